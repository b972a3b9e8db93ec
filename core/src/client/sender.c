/* sender.c — the one sender thread: waits for a trigger (flushAt, flushInterval, flush,
 * close), takes a batch up to maxQueueSize bytes, builds and gzips the body, posts it,
 * retries transient failures with backoff, splits on 413, and reports the outcome.
 * The queue lock is never held during JSON, gzip or HTTP. */
#include "base/backoff.h"
#include "wire/batch.h"
#include "client.h"
#include "base/clock.h"
#include "base/gzip.h"
#include "persistence/spool.h"
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct sender_ctx {
    rudder_client_t *c;
    gzipper_t gz;
    rbuf_t body, wire;
    uint64_t rng;
} sender_ctx_t;

static double rand01(sender_ctx_t *s) {
    s->rng ^= s->rng << 13; s->rng ^= s->rng >> 7; s->rng ^= s->rng << 17;
    return (double)(s->rng >> 11) / (double)(1ULL << 53);
}

static void deadline_ts(int64_t mono_ms, struct timespec *ts) {
    ts->tv_sec = mono_ms / 1000;
    ts->tv_nsec = (long)(mono_ms % 1000) * 1000000L;
}

static void build_body(sender_ctx_t *s, qevent_t *list) {
    char now[RUDDER_ISO_LEN + 1];
    clock_iso(clock_wall_ms(), now);
    batch_build_body(&s->body, list, now);
}

static void report_outcome(rudder_client_t *c, rudder_report_kind_t kind, rudder_err_t err, int status,
                           qevent_t *list, size_t n, const char *why) {
    if (kind == RUDDER_REPORT_DELIVERED) {
        atomic_fetch_add(&c->stats.sent_events, n);
        atomic_fetch_add(&c->stats.sent_batches, 1);
    } else if (kind == RUDDER_REPORT_FAILED) {
        atomic_fetch_add(&c->stats.failed_events, n);
        client_set_last_error(c, why);
        if (c->spool && spool_dead_letter(c->spool, list, status, why) == 0) {
            atomic_fetch_add(&c->stats.spool_dead_letters, n);
            client_log(c, RUDDER_LOG_ERROR, "%zu events failed: %s (kept in %s/" SPOOL_DEADLETTER ")", n, why,
                       spool_dir(c->spool));
        } else {
            client_log(c, RUDDER_LOG_ERROR, "%zu events failed: %s", n, why);
        }
    } else {
        atomic_fetch_add(&c->stats.dropped_events, n);
        client_set_last_error(c, why);
    }
    if (!c->reports.cb) return;
    char *ids = batch_ids_json(list);
    char *evs = kind == RUDDER_REPORT_DELIVERED ? NULL : batch_events_json(list);
    if (reports_push(&c->reports, kind, err, status, n, RUDDER_LOG_INFO, strdup(why), ids, evs) != 0)
        atomic_fetch_add(&c->stats.reports_lost, 1);
}

static int is_transient(const http_result_t *r) {
    if (r->status == 0) return 1;               /* network error, timeout, reset */
    if (r->status == 408 || r->status == 429) return 1;
    return r->status >= 500;
}

/* Waits until mono time `until` or the close deadline; returns 1 if interrupted by close. */
static int retry_sleep(rudder_client_t *c, int64_t until) {
    pthread_mutex_lock(&c->mu);
    int aborted = 0;
    for (;;) {
        int64_t now = clock_mono_ms();
        if (c->abort_io || (c->stopping && now >= c->abort_at_mono)) { aborted = 1; break; }
        if (now >= until) break;
        int64_t wake_at = until;
        if (c->stopping && c->abort_at_mono < wake_at) wake_at = c->abort_at_mono;
        struct timespec ts;
        deadline_ts(wake_at, &ts);
        pthread_cond_timedwait(&c->wake, &c->mu, &ts);
    }
    pthread_mutex_unlock(&c->mu);
    return aborted;
}

/* Sends one batch to a final state; frees the list.  Returns 1 when final, 0 when close()
 * interrupted it and the spool keeps it for the next start (persistence on). */
static int send_batch(sender_ctx_t *s, qevent_t *list, size_t n) {
    rudder_client_t *c = s->c;
    int final = 1;
    for (int attempt = 0;; attempt++) {
        build_body(s, list);
        const char *payload = s->body.data;
        size_t payload_len = s->body.len;
        if (c->gzip && gzipper_compress(&s->gz, s->body.data, s->body.len, &s->wire) == 0) {
            payload = s->wire.data;
            payload_len = s->wire.len;
        }
        if (s->body.oom) {
            report_outcome(c, RUDDER_REPORT_FAILED, RUDDER_ERR_NO_MEMORY, 0, list, n, "out of memory building the batch");
            break;
        }
        http_result_t res;
        atomic_fetch_add(&c->stats.http_requests, 1);
        transport_post(c->transport, payload, payload_len, payload != s->body.data, &res);
        if (res.status) atomic_store(&c->stats.last_http_status, res.status);
        if (res.aborted) {
            if (c->spool) final = 0;
            else report_outcome(c, RUDDER_REPORT_DROPPED, RUDDER_ERR_SHUTDOWN, 0, list, n, "not delivered before close() gave up");
            break;
        }
        if (res.status >= 200 && res.status < 300) {
            atomic_fetch_add(&c->stats.sent_bytes_raw, s->body.len);
            atomic_fetch_add(&c->stats.sent_bytes_wire, payload_len);
            report_outcome(c, RUDDER_REPORT_DELIVERED, RUDDER_OK, res.status, list, n, "delivered");
            break;
        }
        if (res.status == 413 && n > 1) {
            /* too large for this data plane: send each half on its own (no attempt counted) */
            size_t half = n / 2;
            qevent_t *mid = list;
            for (size_t i = 1; i < half; i++) mid = mid->next;
            qevent_t *second = mid->next;
            mid->next = NULL;
            atomic_fetch_add(&c->stats.split_batches, 1);
            client_log(c, RUDDER_LOG_WARN, "data plane answered 413 for %zu events; sending two halves", n);
            if (!send_batch(s, list, half)) {
                qevent_free_list(second); /* still in the spool, after the first half */
                return 0;
            }
            return send_batch(s, second, n - half);
        }
        char why[700];
        if (res.status) snprintf(why, sizeof why, "HTTP %d: %.500s", res.status, res.body);
        else snprintf(why, sizeof why, "%s", res.error);
        size_t wl = strlen(why);
        while (wl && (why[wl - 1] == '\n' || why[wl - 1] == '\r')) why[--wl] = '\0';
        if (!is_transient(&res)) {
            report_outcome(c, RUDDER_REPORT_FAILED, RUDDER_ERR_HTTP, res.status, list, n, why);
            break;
        }
        /* with persistence, transient failures are retried until delivered, expired or close:
         * the events are safe on disk meanwhile */
        if (attempt >= c->retry_count && !c->spool) {
            char final[760];
            snprintf(final, sizeof final, "%s (gave up after %d retries)", why, attempt);
            report_outcome(c, RUDDER_REPORT_FAILED, RUDDER_ERR_TRANSPORT, res.status, list, n, final);
            break;
        }
        int64_t delay = backoff_delay_ms(attempt < 30 ? attempt + 1 : 30, c->retry_base_ms, c->retry_max_ms, res.retry_after_ms, rand01(s));
        atomic_fetch_add(&c->stats.retries, 1);
        client_log(c, RUDDER_LOG_WARN, "batch of %zu events: %s; retry %d in %lld ms", n, why, attempt + 1, (long long)delay);
        if (retry_sleep(c, clock_mono_ms() + delay)) {
            if (c->spool) final = 0;
            else report_outcome(c, RUDDER_REPORT_DROPPED, RUDDER_ERR_SHUTDOWN, res.status, list, n, "not delivered before close() gave up (was retrying)");
            break;
        }
    }
    qevent_free_list(list);
    return final;
}

/* Persistence on: one batch read back from the spool (I/O without the queue lock), sent,
 * then acked when final.  Called and returns with mu held.  0 = stop the sender. */
static int send_spooled(sender_ctx_t *s, size_t untaken) {
    rudder_client_t *c = s->c;
    pthread_mutex_unlock(&c->mu);
    spool_batch_t b;
    size_t consumed = spool_read_batch(c->spool, untaken, c->max_body, &b);
    if (b.n_expired) {
        atomic_fetch_add(&c->stats.spool_evicted, b.n_expired);
        report_outcome(c, RUDDER_REPORT_DROPPED, RUDDER_ERR_TRANSPORT, 0, b.expired, b.n_expired,
                       "evicted from the spool unsent: older than persistenceMaxAge");
        client_log(c, RUDDER_LOG_WARN, "%zu events older than persistenceMaxAge evicted from the spool", b.n_expired);
        qevent_free_list(b.expired);
    }
    if (b.n_lost) {
        atomic_fetch_add(&c->stats.dropped_events, b.n_lost);
        client_set_last_error(c, "spool records missing or damaged on disk");
        client_log(c, RUDDER_LOG_ERROR, "%zu spooled events could not be read back (missing or damaged on disk)", b.n_lost);
    }
    pthread_mutex_lock(&c->mu);
    c->taken_seq += consumed;
    uint64_t batch_last_seq = c->taken_seq;
    if (c->next_seq > c->taken_seq) /* a byte cut leaves a backlog: due now; else new arrivals */
        c->spool_due_mono = clock_mono_ms() + (consumed < untaken ? 0 : c->flush_interval_ms);
    pthread_mutex_unlock(&c->mu);

    int final = 1;
    if (b.n) {
        spool_sync_for_batch(c->spool);
        final = send_batch(s, b.events, b.n);
    }
    if (final) spool_ack(c->spool, &b);

    pthread_mutex_lock(&c->mu);
    if (final) {
        c->completed_seq = batch_last_seq;
        pthread_cond_broadcast(&c->done);
    }
    return final;
}

void *sender_main(void *arg) {
    sender_ctx_t s;
    memset(&s, 0, sizeof s);
    s.c = arg;
    rudder_client_t *c = s.c;
    s.rng = (uint64_t)clock_wall_ms() * 0x9E3779B97F4A7C15ULL | 1;
    rbuf_init(&s.body);
    rbuf_init(&s.wire);
    if (c->gzip && gzipper_init(&s.gz, c->gzip_level) != 0) c->gzip = 0;

    int64_t last_send_mono = INT64_MIN / 2; /* when the last send started */
    pthread_mutex_lock(&c->mu);
    for (;;) {
        int64_t now = clock_mono_ms();
        /* events accepted and not yet taken: in memory, or on disk with persistence */
        size_t untaken = c->spool ? (size_t)(c->next_seq - c->taken_seq) : c->q.count;
        if (c->stopping && (untaken == 0 || now >= c->abort_at_mono || c->abort_io)) break;
        if (untaken == 0) {
            pthread_cond_wait(&c->wake, &c->mu);
            continue;
        }
        int64_t due = c->spool ? c->spool_due_mono : c->q.head->enq_mono_ms + c->flush_interval_ms;
        int asked = c->stopping || c->flush_mark > c->taken_seq || now >= due;
        int ready = asked || untaken >= (size_t)c->flush_at;
        /* flushAt alone starts at most one send per batchLinger: under load the batch keeps
         * filling instead of each request carrying flushAt events (a request costs the sender
         * and the data plane far more than an event does).  A full batch, or a queue half
         * full, goes at once (with persistence the untaken events are on disk, uncounted: the
         * linger bounds the wait). */
        int64_t linger_until = last_send_mono + c->batch_linger_ms;
        if (ready && !asked && now < linger_until && (c->spool || !client_queue_full_enough(c))) {
            if (linger_until < due) due = linger_until;
            ready = 0;
        }
        if (!ready) {
            struct timespec ts;
            deadline_ts(due, &ts);
            pthread_cond_timedwait(&c->wake, &c->mu, &ts);
            continue;
        }
        if (c->spool) {
            last_send_mono = now;
            if (!send_spooled(&s, untaken)) break;
            continue;
        }
        if (c->redis && now < client_redis_retry_at(c)) {
            /* Redis away: the events wait in memory (bounded) until the next try */
            int64_t until = client_redis_retry_at(c);
            if (c->stopping && c->abort_at_mono < until) until = c->abort_at_mono;
            struct timespec ts;
            deadline_ts(until, &ts);
            pthread_cond_timedwait(&c->wake, &c->mu, &ts);
            continue;
        }
        last_send_mono = now;
        size_t n;
        qevent_t *batch = queue_take_batch(&c->q, c->max_body, &n);
        qevent_t *last = batch;
        while (last->next) last = last->next;
        uint64_t batch_last_seq = last->seq, taken_before = c->taken_seq;
        c->taken_seq = batch_last_seq;
        pthread_mutex_unlock(&c->mu);

        if (c->redis) {
            /* persistence in Redis: "sent" means stored there; the processor posts it */
            int moved = client_redis_move(c, batch, n);
            pthread_mutex_lock(&c->mu);
            if (!moved) {
                queue_push_front(&c->q, batch);
                c->taken_seq = taken_before;
                continue;
            }
            c->completed_seq = batch_last_seq;
            pthread_cond_broadcast(&c->done);
            continue;
        }
        send_batch(&s, batch, n);

        pthread_mutex_lock(&c->mu);
        c->completed_seq = batch_last_seq;
        pthread_cond_broadcast(&c->done);
    }
    pthread_mutex_unlock(&c->mu);
    gzipper_end(&s.gz);
    rbuf_free(&s.body);
    rbuf_free(&s.wire);
    return NULL;
}
