/* redisq_proc.h — the processor of the Redis persistence queue: one thread that takes
 * batches from Redis (its own or any process's, with isMultiProcessor), builds the request
 * with a fresh sentAt, posts it, and acks, retries (maxAttempts tries, backoff doubling up
 * to 30 s) or moves the batch to the failed list.  Outcomes go to hooks, which must not
 * block (the client turns them into reports served by poll/flush). */
#ifndef RUDDER_REDISQ_PROC_H
#define RUDDER_REDISQ_PROC_H
#include "redisq.h"

typedef struct redisq_proc_hooks {
    /* DELIVERED / FAILED (list is valid only during the call); any thread */
    void (*outcome)(void *opaque, rudder_report_kind_t kind, rudder_err_t err, int http_status,
                    const qevent_t *list, size_t n, const char *why);
    void (*log)(void *opaque, rudder_log_level_t level, const char *line);
    void (*http_status)(void *opaque, int status); /* every answer, for stats; may be NULL */
    void *opaque;
} redisq_proc_hooks_t;

typedef struct redisq_proc redisq_proc_t;

/* Starts the thread.  conf gives writeKey, dataPlaneUrl, gzip, timeouts and retryBaseDelay /
 * retryMaxDelay (capped at 30 s); q stays owned by the caller and must outlive the processor.
 * NULL with errstr. */
redisq_proc_t *redisq_proc_start(redisq_t *q, const rudder_conf_t *conf, const redisq_proc_hooks_t *hooks,
                                 char *errstr, size_t errstr_size);
/* Stops taking batches, lets the one in flight finish until deadline_mono_ms (monotonic ms;
 * INT64_MAX = no limit), then abandons it (it goes back to the front of the queue), joins
 * and frees.  NULL ok. */
void redisq_proc_stop(redisq_proc_t *p, int64_t deadline_mono_ms);
/* Forked child: forget the thread (it does not exist in the child) without touching it. */
void redisq_proc_abandon_after_fork(redisq_proc_t *p);
/* Batches this processor finished (delivered or failed), for waits in tests and tools. */
uint64_t redisq_proc_done(redisq_proc_t *p);
#endif
