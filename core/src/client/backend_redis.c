/* backend_redis.c — the queue backend (backend.h) over Redis (persistence/redisq*.h).
 * Calls go to the bounded in-memory queue as without persistence; the sender thread moves each batch to
 * Redis (flushAt / flushInterval / flush) instead of posting it; this process's processor
 * thread (redisq_proc.c) takes batches from Redis — its own, a dead process's, or with
 * isMultiProcessor anyone's — and posts them.  Outcomes become the client's reports and
 * stats.  While Redis is away the sender keeps the batch and tries again with backoff; the
 * memory queue fills up to maxInternalQueueSize and then rejects calls (counted), never
 * blocking the caller. */
#include "client.h"
#include "wire/wire.h"
#include "base/base.h"
#include "persistence/persistence.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct client_redis {
    redisq_opts_t opts;
    redisq_t *q;           /* NULL in a forked child until its sender opens its own */
    redisq_proc_t *proc;
    int64_t retry_at_mono; /* sender: no move before this (Redis away) */
    int64_t backoff_ms;
    int outage;
} client_redis_t;

static void on_outcome(void *opaque, rudder_report_kind_t kind, rudder_err_t err, int status, const qevent_t *list,
                       size_t n, const char *why) {
    rudder_client_t *c = opaque;
    if (kind == RUDDER_REPORT_DELIVERED) {
        atomic_fetch_add(&c->stats.sent_events, n);
        atomic_fetch_add(&c->stats.sent_batches, 1);
    } else {
        atomic_fetch_add(&c->stats.failed_events, n);
        client_set_last_error(c, why);
        client_log(c, RUDDER_LOG_ERROR, "%zu events failed: %s (kept in the Redis failed list; "
                   "`ruddercore persistence list-failed` shows them)", n, why);
    }
    if (!c->reports.cb) return;
    char *ids = batch_ids_json(list);
    char *evs = kind == RUDDER_REPORT_DELIVERED ? NULL : batch_events_json(list);
    if (reports_push(&c->reports, kind, err, status, n, RUDDER_LOG_INFO, strdup(why), ids, evs) != 0)
        atomic_fetch_add(&c->stats.reports_lost, 1);
}

static void on_log(void *opaque, rudder_log_level_t level, const char *line) {
    client_log(opaque, level, "%s", line);
}

static void on_status(void *opaque, int status) {
    rudder_client_t *c = opaque;
    atomic_fetch_add(&c->stats.http_requests, 1);
    atomic_store(&c->stats.last_http_status, status);
}

/* Opens the queue and starts the processor; 0 ok, -1 with errstr. */
static int start(rudder_client_t *c, client_redis_t *r, char *errstr, size_t size) {
    r->q = redisq_open(&r->opts, errstr, size);
    if (!r->q) return -1;
    redisq_proc_hooks_t h = {.outcome = on_outcome, .log = on_log, .http_status = on_status, .opaque = c};
    r->proc = redisq_proc_start(r->q, c->conf, &h, errstr, size);
    if (!r->proc) {
        redisq_close(r->q);
        r->q = NULL;
        return -1;
    }
    if (redisq_recovered(r->q))
        client_log(c, RUDDER_LOG_INFO, "persistence: %zu batches left in flight by a process that stopped are queued again (%s)",
                   redisq_recovered(r->q), r->opts.multi_processor ? "behind newer ones" : "first");
    return 0;
}

static int redis_backend_open(rudder_client_t *c, const char *setting, char *errstr, size_t size) {
    client_redis_t *r = calloc(1, sizeof *r);
    if (!r) {
        if (errstr && size) snprintf(errstr, size, "out of memory");
        return -1;
    }
    rudder_err_t e = redisq_opts_from_json(setting, strlen(setting), &r->opts, errstr, size);
    /* the heartbeat is refreshed between requests: it must outlive the longest one, or another
     * processor would take over a batch still being sent */
    int64_t longest_request = 2 * conf_int(c->conf, "requestTimeout");
    if (r->opts.heartbeat_ttl_ms < longest_request) r->opts.heartbeat_ttl_ms = longest_request;
    if (e != RUDDER_OK || start(c, r, errstr, size) != 0) {
        free(r);
        return -1;
    }
    r->backoff_ms = 100;
    c->backend = &client_backend_redis;
    c->persist = r;
    return 0;
}

static int64_t redis_backend_retry_at(const rudder_client_t *c) { return ((const client_redis_t *)c->persist)->retry_at_mono; }

/* Sender thread, without the queue lock: stores one batch in Redis.  1 stored (the list is
 * freed), 0 Redis away (the caller keeps the list and tries again at retry_at). */
static int redis_backend_move(rudder_client_t *c, qevent_t *batch, size_t n) {
    client_redis_t *r = c->persist;
    char err[400] = "";
    int ok = 0;
    if (!r->q) { /* a forked child: its own connection and processor */
        if (start(c, r, err, sizeof err) == 0) ok = redisq_push(r->q, batch, err, sizeof err) == 0;
    } else {
        ok = redisq_push(r->q, batch, err, sizeof err) == 0;
    }
    if (ok) {
        if (r->outage) client_log(c, RUDDER_LOG_INFO, "persistence: Redis is back; batches move again");
        r->outage = 0;
        r->backoff_ms = 100;
        r->retry_at_mono = 0;
        qevent_free_list(batch);
        return 1;
    }
    if (!r->outage) client_log(c, RUDDER_LOG_ERROR, "%s; %zu events wait in memory (up to maxInternalQueueSize)", err, n);
    client_set_last_error(c, err);
    r->outage = 1;
    r->retry_at_mono = clock_mono_ms() + r->backoff_ms;
    r->backoff_ms = r->backoff_ms * 2 > 5000 ? 5000 : r->backoff_ms * 2;
    return 0;
}

/* close(): the processor finishes its batch until the deadline, then gives it back. */
static void redis_backend_close(rudder_client_t *c, int64_t deadline_mono) {
    client_redis_t *r = c->persist;
    if (!r) return;
    redisq_proc_stop(r->proc, deadline_mono);
    r->proc = NULL;
}

static void redis_backend_destroy(rudder_client_t *c) {
    client_redis_t *r = c->persist;
    if (!r) return;
    redisq_proc_stop(r->proc, clock_mono_ms());
    redisq_close(r->q);
    free(r);
    c->persist = NULL;
}

/* Forked child: the parent's connections and thread are not ours; open our own lazily. */
static int redis_backend_after_fork(rudder_client_t *c) {
    client_redis_t *r = c->persist;
    redisq_proc_abandon_after_fork(r->proc);
    redisq_abandon_after_fork(r->q);
    r->proc = NULL;
    r->q = NULL;
    r->outage = 0;
    r->retry_at_mono = 0;
    return 1;
}

const client_backend_t client_backend_redis = {
    .name = "Redis queue",
    .open = redis_backend_open,
    .move = redis_backend_move,
    .retry_at = redis_backend_retry_at,
    .close = redis_backend_close,
    .after_fork = redis_backend_after_fork,
    .destroy = redis_backend_destroy,
};
