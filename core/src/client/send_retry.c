/* send_retry.c — one batch to a final state: build and gzip the body, post it, decide
 * whether a failure is retried (transient: no answer, 408, 429, 5xx; backoff with jitter
 * up to retryCount, or until close with a backend that stores events), split it on 413,
 * and report the outcome (delivered, failed, dropped).  Runs on the sender thread. */
#include "base/base.h"
#include "sender.h"
#include "wire/wire.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double rand01(sender_ctx_t *s) {
    s->rng ^= s->rng << 13; s->rng ^= s->rng >> 7; s->rng ^= s->rng << 17;
    return (double)(s->rng >> 11) / (double)(1ULL << 53);
}

static void build_body(sender_ctx_t *s, qevent_t *list) {
    char now[RUDDER_ISO_LEN + 1];
    clock_iso(clock_wall_ms(), now);
    batch_build_body(&s->body, list, now);
}

void sender_report(rudder_client_t *c, rudder_report_kind_t kind, rudder_err_t err, int status,
                   qevent_t *list, size_t n, const char *why) {
    if (kind == RUDDER_REPORT_DELIVERED) {
        atomic_fetch_add(&c->stats.sent_events, n);
        atomic_fetch_add(&c->stats.sent_batches, 1);
    } else if (kind == RUDDER_REPORT_FAILED) {
        atomic_fetch_add(&c->stats.failed_events, n);
        client_set_last_error(c, why);
        if (!c->backend || !c->backend->dead_letter || !c->backend->dead_letter(c, list, n, status, why)) {
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
        clock_mono_timespec(wake_at, &ts);
        pthread_cond_timedwait(&c->wake, &c->mu, &ts);
    }
    pthread_mutex_unlock(&c->mu);
    return aborted;
}

int sender_send_batch(sender_ctx_t *s, qevent_t *list, size_t n) {
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
            sender_report(c, RUDDER_REPORT_FAILED, RUDDER_ERR_NO_MEMORY, 0, list, n, "out of memory building the batch");
            break;
        }
        http_result_t res;
        atomic_fetch_add(&c->stats.http_requests, 1);
        transport_post(c->transport, payload, payload_len, payload != s->body.data, &res);
        if (res.status) atomic_store(&c->stats.last_http_status, res.status);
        if (res.aborted) {
            if (client_stores_events(c)) final = 0;
            else sender_report(c, RUDDER_REPORT_DROPPED, RUDDER_ERR_SHUTDOWN, 0, list, n, "not delivered before close() gave up");
            break;
        }
        if (res.status >= 200 && res.status < 300) {
            atomic_fetch_add(&c->stats.sent_bytes_raw, s->body.len);
            atomic_fetch_add(&c->stats.sent_bytes_wire, payload_len);
            sender_report(c, RUDDER_REPORT_DELIVERED, RUDDER_OK, res.status, list, n, "delivered");
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
            if (!sender_send_batch(s, list, half)) {
                qevent_free_list(second); /* still in the spool, after the first half */
                return 0;
            }
            return sender_send_batch(s, second, n - half);
        }
        char why[700];
        http_result_why(&res, why, sizeof why);
        if (!http_result_transient(&res)) {
            sender_report(c, RUDDER_REPORT_FAILED, RUDDER_ERR_HTTP, res.status, list, n, why);
            break;
        }
        /* with persistence, transient failures are retried until delivered, expired or close:
         * the events are safe on disk meanwhile */
        if (attempt >= c->retry_count && !client_stores_events(c)) {
            char final[760];
            snprintf(final, sizeof final, "%s (gave up after %d retries)", why, attempt);
            sender_report(c, RUDDER_REPORT_FAILED, RUDDER_ERR_TRANSPORT, res.status, list, n, final);
            break;
        }
        int64_t delay = backoff_delay_ms(attempt < 30 ? attempt + 1 : 30, c->retry_base_ms, c->retry_max_ms, res.retry_after_ms, rand01(s));
        atomic_fetch_add(&c->stats.retries, 1);
        client_log(c, RUDDER_LOG_WARN, "batch of %zu events: %s; retry %d in %lld ms", n, why, attempt + 1, (long long)delay);
        if (retry_sleep(c, clock_mono_ms() + delay)) {
            if (client_stores_events(c)) final = 0;
            else sender_report(c, RUDDER_REPORT_DROPPED, RUDDER_ERR_SHUTDOWN, res.status, list, n, "not delivered before close() gave up (was retrying)");
            break;
        }
    }
    qevent_free_list(list);
    return final;
}
