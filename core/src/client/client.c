/* client.c — the public client API: create, the six calls, poll, flush, close, destroy,
 * queue length, and fork safety.  Calls validate and build the envelope on the caller's
 * thread, then take the queue lock only to append. */
#include "base/base.h"
#include "wire/wire.h"
#include "client.h"
#include "json/json.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- registry of live clients, for fork handling ----------------------------------- */

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static rudder_client_t *registry;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* Before fork: hold every lock so the child inherits consistent state. */
static void fork_prepare(void) {
    pthread_mutex_lock(&registry_mu);
    for (rudder_client_t *c = registry; c; c = c->registry_next) {
        pthread_mutex_lock(&c->mu);
        pthread_mutex_lock(&c->reports.mu);
    }
}

/* In the parent: what it queued before forking is sent now, without waiting for flushAt or
 * flushInterval.  A pre-forking server's master seldom runs app code again and may never
 * run exit handlers (uWSGI's master runs no Python atexit, and re-executes itself on a
 * reload), so an event it queued at import would otherwise be lost. */
static void fork_parent(void) {
    for (rudder_client_t *c = registry; c; c = c->registry_next) {
        if (c->sender_started && !c->closed && c->next_seq > c->completed_seq) {
            if (c->next_seq > c->flush_mark) c->flush_mark = c->next_seq;
            pthread_cond_signal(&c->wake);
        }
        pthread_mutex_unlock(&c->reports.mu);
        pthread_mutex_unlock(&c->mu);
    }
    pthread_mutex_unlock(&registry_mu);
}

static void init_cond(pthread_cond_t *cv) {
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &ca);
    pthread_condattr_destroy(&ca);
}

/* In the child: no sender thread exists.  The parent still owns (and sends) the queued
 * events, so the child forgets them; its own events start a new sender lazily. */
static void fork_child(void) {
    pthread_mutex_init(&registry_mu, NULL);
    for (rudder_client_t *c = registry; c; c = c->registry_next) {
        pthread_mutex_init(&c->mu, NULL);
        init_cond(&c->wake);
        init_cond(&c->done);
        pthread_mutex_init(&c->err_mu, NULL);
        reports_after_fork(&c->reports);
        qevent_free_list(queue_take_all(&c->q));
        c->taken_seq = c->completed_seq = c->flush_mark = c->next_seq;
        if (c->sender_started) {
            transport_abandon(c->transport);
            c->transport = NULL;
        }
        c->sender_started = 0;
        c->pid = getpid();
        /* the spool: never written by the child, which keeps its events in memory;
         * Redis: the child's own connections and processor, opened lazily */
        if (c->backend && !c->backend->after_fork(c)) {
            c->backend = NULL;
            c->persist = NULL;
        }
    }
}

static void register_atfork(void) { pthread_atfork(fork_prepare, fork_parent, fork_child); }

/* ---- logging ----------------------------------------------------------------------- */

static int level_from_name(const char *name) {
    if (!strcmp(name, "silly") || !strcmp(name, "debug")) return RUDDER_LOG_DEBUG;
    if (!strcmp(name, "info")) return RUDDER_LOG_INFO;
    if (!strcmp(name, "warn")) return RUDDER_LOG_WARN;
    if (!strcmp(name, "error")) return RUDDER_LOG_ERROR;
    return 1000; /* off */
}

const char *client_log_level_name(rudder_log_level_t l) {
    return l >= RUDDER_LOG_ERROR ? "error" : l >= RUDDER_LOG_WARN ? "warn" : l >= RUDDER_LOG_INFO ? "info" : "debug";
}

void client_log(rudder_client_t *c, rudder_log_level_t level, const char *fmt, ...) {
    if ((int)level < c->log_level) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (c->conf->log_cb) {
        rj_scope_t heap = rj_scope_heap(); /* host code sees the heap, not a push's arena */
        c->conf->log_cb(level, line, c->conf->log_opaque);
        rj_scope_close(heap);
    } else if (c->reports.cb) reports_push(&c->reports, RUDDER_REPORT_LOG, RUDDER_OK, 0, 0, level, strdup(line), NULL, NULL);
    else if (level >= RUDDER_LOG_WARN) fprintf(stderr, "ruddercore %s: %s\n", client_log_level_name(level), line);
}

void client_set_last_error(rudder_client_t *c, const char *text) {
    pthread_mutex_lock(&c->err_mu);
    snprintf(c->last_error, sizeof c->last_error, "%s", text);
    pthread_mutex_unlock(&c->err_mu);
}

/* ---- create / destroy ---------------------------------------------------------------- */

/* What rudder_client_new set up before any thread or backend exists. */
static void free_client(rudder_client_t *c) {
    reports_destroy(&c->reports);
    pthread_mutex_destroy(&c->mu);
    pthread_mutex_destroy(&c->err_mu);
    pthread_cond_destroy(&c->wake);
    pthread_cond_destroy(&c->done);
    rudder_conf_destroy(c->conf);
    free(c);
}

rudder_client_t *rudder_client_new(const rudder_conf_t *conf, char *errstr, size_t size) {
    if (errstr && size) errstr[0] = '\0';
    if (!conf) {
        if (errstr && size) snprintf(errstr, size, "rudder_client_new: conf is required");
        return NULL;
    }
    if (conf_validate_for_client(conf, errstr, size) != RUDDER_OK) return NULL;
    rudder_client_t *c = calloc(1, sizeof *c);
    if (!c || !(c->conf = rudder_conf_dup(conf))) {
        free(c);
        if (errstr && size) snprintf(errstr, size, "out of memory");
        return NULL;
    }
    conf = c->conf;
    c->flush_at = (int)conf_int(conf, "flushAt");
    c->flush_interval_ms = conf_int(conf, "flushInterval");
    c->batch_linger_ms = conf_int(conf, "batchLinger");
    c->max_body = (size_t)conf_int(conf, "maxQueueSize");
    c->max_queue_events = (size_t)conf_int(conf, "maxInternalQueueSize");
    c->max_queue_bytes = (size_t)conf_int(conf, "maxInternalQueueBytes");
    c->retry_count = (int)conf_int(conf, "retryCount");
    c->retry_base_ms = conf_int(conf, "retryBaseDelay");
    c->retry_max_ms = conf_int(conf, "retryMaxDelay");
    c->gzip = conf_bool(conf, "gzip");
    c->gzip_level = (int)conf_int(conf, "gzipLevel");
    c->enabled = conf_bool(conf, "enable");
    c->close_timeout_ms = conf_int(conf, "closeTimeout");
    c->log_level = level_from_name(conf_str(conf, "logLevel"));
    c->mopts.max_event_bytes = (size_t)conf_int(conf, "maxEventBytes");
    c->mopts.library_suffix = conf->library_suffix;
    pthread_mutex_init(&c->mu, NULL);
    pthread_mutex_init(&c->err_mu, NULL);
    init_cond(&c->wake);
    init_cond(&c->done);
    reports_init(&c->reports, conf->report_cb, conf->report_opaque, (size_t)conf_int(conf, "maxReports"));
    c->pid = getpid();
    if (!conf_bool(conf, "tlsVerify"))
        client_log(c, RUDDER_LOG_WARN, "tlsVerify is off: the data plane's certificate is not checked");
    /* persistence: a redis:// URL or {"type":"redis",...} is Redis, anything else a spool directory */
    const char *persistence = conf_str(conf, "persistence");
    if (*persistence && client_backend_for(persistence)->open(c, persistence, errstr, size) != 0) {
        free_client(c);
        return NULL;
    }

    pthread_once(&atfork_once, register_atfork);
    pthread_mutex_lock(&registry_mu);
    c->registry_next = registry;
    registry = c;
    pthread_mutex_unlock(&registry_mu);
    return c;
}

rudder_client_t *rudder_client_new_json(const char *json, size_t len, char *errstr, size_t size) {
    rudder_conf_t *conf = rudder_conf_new();
    if (!conf) return NULL;
    rudder_client_t *c = NULL;
    if (rudder_conf_set_json(conf, json, len, errstr, size) == RUDDER_OK) c = rudder_client_new(conf, errstr, size);
    rudder_conf_destroy(conf);
    return c;
}

int client_ensure_sender_locked(rudder_client_t *c) {
    if (c->sender_started) return 0;
    char err[256];
    if (!c->transport) c->transport = transport_new(c->conf, &c->abort_io, err, sizeof err);
    if (!c->transport) return -1;
    if (pthread_create(&c->thread, NULL, sender_main, c) != 0) return -1;
    c->sender_started = 1;
    return 0;
}

static void unregister(rudder_client_t *c) {
    pthread_mutex_lock(&registry_mu);
    for (rudder_client_t **p = &registry; *p; p = &(*p)->registry_next)
        if (*p == c) { *p = c->registry_next; break; }
    pthread_mutex_unlock(&registry_mu);
}

void rudder_client_destroy(rudder_client_t *c) {
    if (!c) return;
    rudder_close(c, (int)c->close_timeout_ms, NULL);
    unregister(c);
    if (c->backend) c->backend->destroy(c);
    transport_free(c->transport);
    qevent_free_list(queue_take_all(&c->q));
    free_client(c);
}

/* ---- the calls ---------------------------------------------------------------------- */

static void count_rejection(rudder_client_t *c, rudder_err_t e) {
    switch (e) {
    case RUDDER_ERR_QUEUE_FULL: atomic_fetch_add(&c->stats.rejected_queue_full, 1); break;
    case RUDDER_ERR_TOO_LARGE: atomic_fetch_add(&c->stats.rejected_too_large, 1); break;
    case RUDDER_ERR_CLOSED: atomic_fetch_add(&c->stats.rejected_closed, 1); break;
    case RUDDER_ERR_NO_MEMORY: case RUDDER_ERR_INVALID_ARG: atomic_fetch_add(&c->stats.rejected_other, 1); break;
    default: atomic_fetch_add(&c->stats.rejected_invalid, 1);
    }
}

void client_count_rejected(rudder_client_t *c, rudder_err_t reason) { if (c) count_rejection(c, reason); }

const rudder_conf_t *client_conf(const rudder_client_t *c) { return c->conf; }

int64_t client_close_timeout_ms(const rudder_client_t *c) { return c->close_timeout_ms; }

static rudder_err_t enqueue_text(rudder_client_t *c, rbuf_t *text, const char *msgid, char *errstr, size_t size) {
    if (client_stores_events(c)) return c->backend->enqueue(c, text->data, text->len, msgid, errstr, size);
    qevent_t *e = qevent_new(text->data, text->len, msgid);
    if (!e) {
        if (errstr && size) snprintf(errstr, size, "out of memory");
        return RUDDER_ERR_NO_MEMORY;
    }
    e->enq_mono_ms = clock_mono_ms();
    pthread_mutex_lock(&c->mu);
    rudder_err_t rc = RUDDER_OK;
    if (c->closed) rc = RUDDER_ERR_CLOSED;
    else if (c->q.count >= c->max_queue_events || c->q.bytes + e->len > c->max_queue_bytes) rc = RUDDER_ERR_QUEUE_FULL;
    else if (client_ensure_sender_locked(c) != 0) rc = RUDDER_ERR_NO_MEMORY;
    if (rc == RUDDER_ERR_QUEUE_FULL) pthread_cond_signal(&c->wake); /* a lingering sender: send now */
    if (rc != RUDDER_OK) {
        pthread_mutex_unlock(&c->mu);
        free(e);
        if (errstr && size) {
            if (rc == RUDDER_ERR_QUEUE_FULL)
                snprintf(errstr, size, "queue full (maxInternalQueueSize %zu events / maxInternalQueueBytes %zu bytes); event not accepted",
                         c->max_queue_events, c->max_queue_bytes);
            else if (rc == RUDDER_ERR_CLOSED) snprintf(errstr, size, "the client is closed");
            else snprintf(errstr, size, "could not start the sender thread");
        }
        return rc;
    }
    e->seq = ++c->next_seq;
    int full_before = client_queue_full_enough(c);
    queue_push(&c->q, e);
    /* wake the sender only when it has something new to decide: a first event, flushAt
     * reached, or a queue that just became full enough (which ends a batchLinger wait) */
    if (c->q.count == 1 || c->q.count == (size_t)c->flush_at || (!full_before && client_queue_full_enough(c)))
        pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->mu);
    return RUDDER_OK;
}

static rudder_err_t accept(rudder_client_t *c, rudder_err_t e, rbuf_t *text, const char *msgid,
                          char *errstr, size_t size) {
    if (e == RUDDER_OK) e = enqueue_text(c, text, msgid, errstr, size);
    if (e != RUDDER_OK) count_rejection(c, e);
    else atomic_fetch_add(&c->stats.accepted, 1);
    return e;
}

/* Each producer thread keeps a scratch buffer for the envelope, so a call allocates only
 * its queue entry; the key's destructor frees it when the thread ends. */
enum { BUF_ENVELOPE, BUF_COUNT };
static pthread_key_t bufs_key;
static pthread_once_t bufs_key_once = PTHREAD_ONCE_INIT;

static void free_thread_bufs(void *p) {
    rbuf_t *b = p;
    for (int i = 0; i < BUF_COUNT; i++) rbuf_free(&b[i]);
    free(b);
}

static void make_bufs_key(void) { pthread_key_create(&bufs_key, free_thread_bufs); }

static rbuf_t *thread_buf(int which) {
    pthread_once(&bufs_key_once, make_bufs_key);
    rbuf_t *b = pthread_getspecific(bufs_key);
    if (!b && (b = calloc(BUF_COUNT, sizeof *b)) != NULL && pthread_setspecific(bufs_key, b) != 0) {
        free(b);
        b = NULL;
    }
    if (!b) return NULL;
    rbuf_reset(&b[which]);
    return &b[which];
}

/* Don't keep a huge buffer per thread after an unusually large message. */
static void trim_thread_buf(rbuf_t *b) {
    if (b->cap > 1 << 20) rbuf_free(b);
}

static rudder_err_t no_memory(char *errstr, size_t size) {
    if (errstr && size) snprintf(errstr, size, "out of memory");
    return RUDDER_ERR_NO_MEMORY;
}

rudder_err_t client_enqueue_cjson(rudder_client_t *c, rudder_call_type_t type, const cJSON *msg,
                                  char *errstr, size_t size, char *msgid_out) {
    if (errstr && size) errstr[0] = '\0';
    if (!c || !msg) return RUDDER_ERR_INVALID_ARG;
    if (!c->enabled) return RUDDER_OK;
    if (!rj_is_object(msg)) {
        if (errstr && size) snprintf(errstr, size, "the %s message must be a JSON object", rudder_call_name(type));
        count_rejection(c, RUDDER_ERR_NOT_OBJECT);
        return RUDDER_ERR_NOT_OBJECT;
    }
    rbuf_t *text = thread_buf(BUF_ENVELOPE);
    if (!text) return no_memory(errstr, size);
    char msgid[37];
    rudder_err_t e = message_build_tree(type, msg, &c->mopts, text, msgid, errstr, size);
    e = accept(c, e, text, msgid, errstr, size);
    trim_thread_buf(text);
    if (e == RUDDER_OK && msgid_out) memcpy(msgid_out, msgid, 37);
    return e;
}

/* rudder_call and client_call_members: the envelope from text (scanned) or from members
 * (n >= 0, already known), then the queue. */
static rudder_err_t call(rudder_client_t *c, rudder_call_type_t type, const char *json, size_t len,
                         const rj_member_t *members, int n, char *errstr, size_t size, char *msgid_out,
                         size_t msgid_size) {
    if (errstr && size) errstr[0] = '\0';
    if (!c || (!json && !members)) {
        if (errstr && size) snprintf(errstr, size, "client and message are required");
        return RUDDER_ERR_INVALID_ARG;
    }
    if (!c->enabled) return RUDDER_OK;
    char msgid[37];
    rbuf_t *text = thread_buf(BUF_ENVELOPE);
    if (!text) return no_memory(errstr, size);
    rudder_err_t e = members ? message_build_members(type, members, n, &c->mopts, text, msgid, errstr, size)
                             : message_build_text(type, json, len, &c->mopts, text, msgid, errstr, size);
    e = accept(c, e, text, msgid, errstr, size);
    trim_thread_buf(text);
    if (e == RUDDER_OK && msgid_out && msgid_size) text_copy(msgid_out, msgid_size, msgid);
    return e;
}

rudder_err_t rudder_call(rudder_client_t *c, rudder_call_type_t type, const char *json, size_t len,
                         char *errstr, size_t size, char *msgid_out, size_t msgid_size) {
    return call(c, type, json, len, NULL, 0, errstr, size, msgid_out, msgid_size);
}

rudder_err_t client_call_members(rudder_client_t *c, rudder_call_type_t type, const rj_member_t *members,
                                 int n, char *errstr, size_t size, char *msgid_out, size_t msgid_size) {
    return call(c, type, NULL, 0, members, n, errstr, size, msgid_out, msgid_size);
}

#define CALL_FN(fname, TYPE)                                                                     \
    rudder_err_t fname(rudder_client_t *c, const char *json, size_t len, char *errstr, size_t size) { \
        return rudder_call(c, TYPE, json, len, errstr, size, NULL, 0);                           \
    }
CALL_FN(rudder_track, RUDDER_TRACK)
CALL_FN(rudder_identify, RUDDER_IDENTIFY)
CALL_FN(rudder_group, RUDDER_GROUP)
CALL_FN(rudder_page, RUDDER_PAGE)
CALL_FN(rudder_screen, RUDDER_SCREEN)
CALL_FN(rudder_alias, RUDDER_ALIAS)

/* ---- poll, flush, close ---------------------------------------------------------------- */

int rudder_wait_reports(rudder_client_t *c, int timeout_ms) {
    return c ? reports_wait(&c->reports, timeout_ms) : 0;
}

int rudder_poll(rudder_client_t *c, int timeout_ms) {
    if (!c || !c->reports.cb) return 0;
    if (timeout_ms != 0 && !reports_wait(&c->reports, timeout_ms)) return 0;
    return reports_dispatch(&c->reports);
}

size_t rudder_queue_length(rudder_client_t *c) {
    if (!c) return 0;
    pthread_mutex_lock(&c->mu);
    size_t n = (size_t)(c->next_seq - c->completed_seq);
    pthread_mutex_unlock(&c->mu);
    return n;
}

uint64_t rudder_flush_begin(rudder_client_t *c) {
    if (!c) return 0;
    pthread_mutex_lock(&c->mu);
    uint64_t mark = c->next_seq;
    if (mark > c->flush_mark) c->flush_mark = mark;
    if (mark > c->completed_seq) {
        client_ensure_sender_locked(c);
        pthread_cond_signal(&c->wake);
    }
    pthread_mutex_unlock(&c->mu);
    return mark;
}

size_t rudder_flush_wait(rudder_client_t *c, uint64_t mark, int timeout_ms) {
    if (!c) return 0;
    int64_t until = timeout_ms < 0 ? INT64_MAX : clock_mono_ms() + timeout_ms;
    pthread_mutex_lock(&c->mu);
    while (c->completed_seq < mark) {
        if (timeout_ms < 0) { pthread_cond_wait(&c->done, &c->mu); continue; }
        if (clock_mono_ms() >= until) break;
        struct timespec ts;
        clock_mono_timespec(until, &ts);
        pthread_cond_timedwait(&c->done, &c->mu, &ts);
    }
    size_t left = c->completed_seq < mark ? (size_t)(mark - c->completed_seq) : 0;
    pthread_mutex_unlock(&c->mu);
    return left;
}

/* Waits for mark while serving reports on this thread; returns events left. */
static size_t wait_serving(rudder_client_t *c, uint64_t mark, int timeout_ms) {
    int64_t until = timeout_ms < 0 ? INT64_MAX : clock_mono_ms() + timeout_ms;
    size_t left;
    for (;;) {
        int64_t now = clock_mono_ms();
        int slice = until == INT64_MAX ? 50 : (int)(until - now < 50 ? (until - now > 0 ? until - now : 0) : 50);
        left = rudder_flush_wait(c, mark, slice);
        if (c->reports.cb) reports_dispatch(&c->reports);
        if (!left || clock_mono_ms() >= until) break;
    }
    return left;
}

rudder_err_t rudder_flush(rudder_client_t *c, int timeout_ms, size_t *remaining) {
    if (remaining) *remaining = 0;
    if (!c) return RUDDER_ERR_INVALID_ARG;
    if (reports_in_callback(&c->reports)) return RUDDER_ERR_IN_CALLBACK;
    uint64_t mark = rudder_flush_begin(c);
    size_t left = timeout_ms == 0 ? rudder_flush_wait(c, mark, 0) : wait_serving(c, mark, timeout_ms);
    if (c->reports.cb) reports_dispatch(&c->reports);
    if (remaining) *remaining = left;
    return left ? RUDDER_ERR_TIMEOUT : RUDDER_OK;
}

rudder_err_t rudder_close(rudder_client_t *c, int timeout_ms, size_t *lost) {
    if (lost) *lost = 0;
    if (!c) return RUDDER_ERR_INVALID_ARG;
    if (reports_in_callback(&c->reports)) return RUDDER_ERR_IN_CALLBACK;
    pthread_mutex_lock(&c->mu);
    if (c->closed) {
        pthread_mutex_unlock(&c->mu);
        return RUDDER_OK;
    }
    c->closed = 1;
    uint64_t dropped_before = atomic_load(&c->stats.dropped_events);
    uint64_t mark = c->next_seq;
    c->flush_mark = mark;
    c->stopping = 1;
    c->abort_at_mono = timeout_ms < 0 ? INT64_MAX : clock_mono_ms() + timeout_ms;
    int started = c->sender_started;
    pthread_cond_broadcast(&c->wake);
    pthread_mutex_unlock(&c->mu);

    if (started) {
        wait_serving(c, mark, timeout_ms);
        /* past the deadline: abandon the request in flight and any retry wait */
        pthread_mutex_lock(&c->mu);
        c->abort_io = 1;
        pthread_cond_broadcast(&c->wake);
        pthread_mutex_unlock(&c->mu);
        pthread_join(c->thread, NULL);
        c->sender_started = 0;
    }
    /* Redis: the processor may finish the batch it is sending until the deadline */
    if (c->backend && c->backend->close) c->backend->close(c, c->abort_at_mono);
    /* whatever is still queued will never be sent (with persistence it stays in the spool) */
    pthread_mutex_lock(&c->mu);
    uint64_t kept = client_stores_events(c) ? c->next_seq - c->completed_seq : 0;
    qevent_t *left = queue_take_all(&c->q);
    c->completed_seq = c->next_seq;
    pthread_cond_broadcast(&c->done);
    pthread_mutex_unlock(&c->mu);
    size_t n_left = qevent_list_count(left);
    if (n_left) {
        atomic_fetch_add(&c->stats.dropped_events, n_left);
        if (c->reports.cb)
            reports_push(&c->reports, RUDDER_REPORT_DROPPED, RUDDER_ERR_SHUTDOWN, 0, n_left, RUDDER_LOG_INFO,
                         strdup("still queued when close() gave up"), batch_ids_json(left), batch_events_json(left));
    }
    qevent_free_list(left);
    if (kept)
        client_log(c, RUDDER_LOG_INFO, "%llu undelivered events kept in the %s '%s' for the next start",
                   (unsigned long long)kept, c->backend->name, c->backend->where(c));
    size_t n_lost = (size_t)(atomic_load(&c->stats.dropped_events) - dropped_before);
    if (n_lost)
        client_log(c, RUDDER_LOG_WARN, "closed with %zu events not delivered (reported as dropped)", n_lost);
    if (c->reports.cb) reports_dispatch(&c->reports);
    if (lost) *lost = n_lost;
    return n_lost ? RUDDER_ERR_TIMEOUT : RUDDER_OK;
}
