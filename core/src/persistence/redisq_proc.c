/* redisq_proc.c — the Redis queue's processor thread (see redisq_proc.h).  Unlike the Node
 * SDK it sends a batch as soon as it is taken (no 1 s wait per job), keeps the tries count
 * in Redis so a restart does not reset it, and deletes what it delivered. */
#include "redisq_proc.h"
#include "base/base.h"
#include "wire/wire.h"
#include "conf/conf.h"
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NODE_MAX_BACKOFF_MS 30000 /* the Node SDK's cap on one wait between tries */

struct redisq_proc {
    redisq_t *q;
    redisq_proc_hooks_t hooks;
    transport_t *transport;
    gzipper_t gz;
    int gzip;
    int64_t base_ms, cap_ms;
    rbuf_t body, wire;
    uint64_t rng;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    int stop;                 /* under mu: take no new batch */
    atomic_int abort_io;      /* abandon the request in flight */
    atomic_uint_fast64_t done;
};

static void plog(redisq_proc_t *p, rudder_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void plog(redisq_proc_t *p, rudder_log_level_t level, const char *fmt, ...) {
    if (!p->hooks.log) return;
    char line[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    p->hooks.log(p->hooks.opaque, level, line);
}

static void outcome(redisq_proc_t *p, rudder_report_kind_t kind, rudder_err_t err, int status,
                    const redisq_batch_t *b, const char *why) {
    if (p->hooks.outcome) p->hooks.outcome(p->hooks.opaque, kind, err, status, b->events, b->n, why);
    atomic_fetch_add(&p->done, 1);
}

static double rand01(redisq_proc_t *p) {
    p->rng ^= p->rng << 13; p->rng ^= p->rng >> 7; p->rng ^= p->rng << 17;
    return (double)(p->rng >> 11) / (double)(1ULL << 53);
}

static int stopping(redisq_proc_t *p) {
    pthread_mutex_lock(&p->mu);
    int s = p->stop;
    pthread_mutex_unlock(&p->mu);
    return s;
}

/* Waits until mono time `until`, refreshing the heartbeat; 1 when told to stop. */
static int pause_until(redisq_proc_t *p, int64_t until) {
    int64_t beat_every = redisq_options(p->q)->heartbeat_ttl_ms / 3;
    pthread_mutex_lock(&p->mu);
    while (!p->stop) {
        int64_t now = clock_mono_ms();
        if (now >= until) break;
        int64_t wake_at = until < now + beat_every ? until : now + beat_every;
        struct timespec ts = {(time_t)(wake_at / 1000), (long)(wake_at % 1000) * 1000000L};
        pthread_cond_timedwait(&p->wake, &p->mu, &ts);
        if (!p->stop && clock_mono_ms() < until) {
            pthread_mutex_unlock(&p->mu);
            redisq_heartbeat(p->q);
            pthread_mutex_lock(&p->mu);
        }
    }
    int s = p->stop;
    pthread_mutex_unlock(&p->mu);
    return s;
}

/* Sends one taken batch to a final state, or back to the queue when stopped.  Redis is
 * updated before the outcome is reported, so a user who sees a report sees Redis agree. */
static void process(redisq_proc_t *p, redisq_batch_t *b) {
    int max_attempts = redisq_options(p->q)->max_attempts;
    for (;;) {
        if (b->attempts >= max_attempts) { /* tries used up before (e.g. by a process that died) */
            char why[120];
            snprintf(why, sizeof why, "gave up after %d tries (maxAttempts)", b->attempts);
            redisq_fail(p->q, b, 0, why);
            outcome(p, RUDDER_REPORT_FAILED, RUDDER_ERR_TRANSPORT, 0, b, why);
            return;
        }
        char now[RUDDER_ISO_LEN + 1];
        clock_iso(clock_wall_ms(), now);
        batch_build_body(&p->body, b->events, now);
        const char *payload = p->body.data;
        size_t payload_len = p->body.len;
        if (p->gzip && gzipper_compress(&p->gz, p->body.data, p->body.len, &p->wire) == 0) {
            payload = p->wire.data;
            payload_len = p->wire.len;
        }
        http_result_t res;
        transport_post(p->transport, payload, payload_len, payload != p->body.data, &res);
        if (res.status && p->hooks.http_status) p->hooks.http_status(p->hooks.opaque, res.status);
        if (res.aborted) {
            redisq_release(p->q, b); /* first in line for the next processor or start */
            return;
        }
        if (res.status >= 200 && res.status < 300) {
            if (redisq_ack(p->q, b) != 0)
                plog(p, RUDDER_LOG_WARN, "batch %s delivered but Redis did not delete it; it may be sent again", b->id);
            outcome(p, RUDDER_REPORT_DELIVERED, RUDDER_OK, res.status, b, "delivered");
            return;
        }
        char why[700];
        http_result_why(&res, why, sizeof why);
        if (!http_result_transient(&res)) {
            b->attempts++;
            redisq_fail(p->q, b, res.status, why);
            outcome(p, RUDDER_REPORT_FAILED, RUDDER_ERR_HTTP, res.status, b, why);
            return;
        }
        int tries = redisq_count_attempt(p->q, b);
        if (tries < 0) tries = ++b->attempts; /* Redis away: count here, it will know next time */
        if (tries >= max_attempts) {
            char final[800];
            snprintf(final, sizeof final, "%s (gave up after %d tries, maxAttempts)", why, tries);
            redisq_fail(p->q, b, res.status, final);
            outcome(p, RUDDER_REPORT_FAILED, RUDDER_ERR_TRANSPORT, res.status, b, final);
            return;
        }
        int64_t delay = backoff_delay_ms(tries, p->base_ms, p->cap_ms, res.retry_after_ms, rand01(p));
        plog(p, RUDDER_LOG_WARN, "batch of %zu events from Redis: %s; try %d of %d in %lld ms", b->n, why, tries + 1,
             max_attempts, (long long)delay);
        if (pause_until(p, clock_mono_ms() + delay)) {
            redisq_release(p->q, b);
            return;
        }
    }
}

static void *proc_main(void *arg) {
    redisq_proc_t *p = arg;
    int outage = 0;
    int64_t backoff = 100;
    while (!stopping(p)) {
        redisq_batch_t b;
        char err[400];
        int got = redisq_take(p->q, 500, &b, err, sizeof err);
        if (got < 0) {
            if (!outage) plog(p, RUDDER_LOG_ERROR, "%s; the processor keeps trying", err);
            outage = 1;
            pause_until(p, clock_mono_ms() + backoff);
            backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
            continue;
        }
        if (outage) plog(p, RUDDER_LOG_INFO, "persistence: Redis is back; the processor goes on");
        outage = 0;
        backoff = 100;
        if (got == 1) {
            process(p, &b);
            redisq_batch_free(&b);
        }
    }
    return NULL;
}

redisq_proc_t *redisq_proc_start(redisq_t *q, const rudder_conf_t *conf, const redisq_proc_hooks_t *hooks,
                                 char *errstr, size_t size) {
    redisq_proc_t *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->q = q;
    p->hooks = *hooks;
    p->gzip = conf_bool(conf, "gzip");
    p->base_ms = conf_int(conf, "retryBaseDelay");
    p->cap_ms = conf_int(conf, "retryMaxDelay");
    if (p->cap_ms > NODE_MAX_BACKOFF_MS) p->cap_ms = NODE_MAX_BACKOFF_MS;
    p->rng = (uint64_t)clock_wall_ms() * 0x9E3779B97F4A7C15ULL | 1;
    rbuf_init(&p->body);
    rbuf_init(&p->wire);
    if (p->gzip && gzipper_init(&p->gz, (int)conf_int(conf, "gzipLevel")) != 0) p->gzip = 0;
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->wake, &ca);
    pthread_condattr_destroy(&ca);
    p->transport = transport_new(conf, &p->abort_io, errstr, size);
    if (!p->transport || pthread_create(&p->thread, NULL, proc_main, p) != 0) {
        if (errstr && size && p->transport) snprintf(errstr, size, "could not start the persistence processor thread");
        transport_free(p->transport);
        if (p->gzip) gzipper_end(&p->gz);
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->wake);
        free(p);
        return NULL;
    }
    return p;
}

void redisq_proc_stop(redisq_proc_t *p, int64_t deadline) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    /* the request in flight may finish until the deadline; then it is abandoned */
    if (deadline != INT64_MAX) {
        while (atomic_load(&p->abort_io) == 0) {
            struct timespec ts;
            if (pthread_tryjoin_np(p->thread, NULL) == 0) goto joined;
            if (clock_mono_ms() >= deadline) break;
            ts.tv_sec = 0;
            ts.tv_nsec = 5 * 1000000L;
            nanosleep(&ts, NULL);
        }
        atomic_store(&p->abort_io, 1);
    }
    pthread_join(p->thread, NULL);
joined:
    transport_free(p->transport);
    if (p->gzip) gzipper_end(&p->gz);
    rbuf_free(&p->body);
    rbuf_free(&p->wire);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->wake);
    free(p);
}

void redisq_proc_abandon_after_fork(redisq_proc_t *p) {
    if (!p) return;
    /* its thread does not exist here and may have been using any of it: leak, touch nothing */
    transport_abandon(p->transport);
}

uint64_t redisq_proc_done(redisq_proc_t *p) { return atomic_load(&p->done); }
