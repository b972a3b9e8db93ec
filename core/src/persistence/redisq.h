/* redisq.h — the Redis persistence backend: a reliable batch queue shared by every process
 * using the same Redis, queueName and prefix (the Node SDK's createPersistenceQueue, without
 * its traps).  Key layout (P = prefix, default "{rudder}", Q = queueName), all in one Redis
 * Cluster slot thanks to the braces:
 *
 *   P:Q:b:<id>          string  one batch: "RQ1 <n>\n" then per event "<msgid> <len>\n<text>\n"
 *                               (envelope text without sentAt or closing brace; never the write key)
 *   P:Q:wait            list    batch ids waiting; new ones LPUSHed, the oldest taken from the right
 *   P:Q:active:<proc>   list    the batch a processor is sending (BLMOVE wait -> active)
 *   P:Q:alive:<proc>    string  heartbeat with a TTL; gone = the processor died
 *   P:Q:procs           set     processor ids that may own an active list
 *   P:Q:attempts        hash    batch id -> tries so far (survives restarts)
 *   P:Q:failed          list    batch ids that failed for good (newest on the left)
 *   P:Q:failinfo        hash    batch id -> {"status":..,"error":..,"attempts":..,"failedAt":..}
 *
 * Delivered batches are deleted (batch key, attempts and the active entry in one MULTI).
 * Threads: the producer side (redisq_push) and the processor side (take/ack/retry/fail)
 * use separate connections and may run on two threads; each side is single-threaded. */
#ifndef RUDDER_REDISQ_H
#define RUDDER_REDISQ_H
#include <stddef.h>
#include <stdint.h>
#include "base/base.h"
#include "wire/wire.h"
#include "ruddercore.h"

#define REDISQ_DEFAULT_QUEUE "rudderEventsQueue"
#define REDISQ_DEFAULT_PREFIX "{rudder}"
#define REDISQ_MISSING_HIREDIS                                                                     \
    "persistence: the redis backend is not available: this ruddercore was built without hiredis " \
    "(install libhiredis-dev and rebuild)"

typedef struct redisq_opts {
    char host[256];
    int port;                 /* 6379 */
    int db;                   /* 0 */
    char password[256];       /* "" = no AUTH */
    char username[128];       /* ACL user from a redis:// URL, "" = default */
    char queue_name[128];     /* rudderEventsQueue */
    char prefix[128];         /* {rudder}; a prefix without braces gets them added */
    int multi_processor;      /* isMultiProcessor */
    int max_attempts;         /* jobOpts.maxAttempts: tries of a batch before the failed list */
    int64_t heartbeat_ttl_ms; /* a processor silent this long is dead (multi-processor recovery) */
    int64_t connect_timeout_ms;
} redisq_opts_t;

/* Defaults as the Node SDK documents them (host 127.0.0.1). */
void redisq_opts_default(redisq_opts_t *o);
/* Reads the redis persistence object: {"type":"redis", host, port, db, password, url,
 * queueName, prefix, isMultiProcessor, maxAttempts} (also the Node SDK's nested redisOpts
 * {host,port,db,password} and jobOpts {maxAttempts}), or a "redis://[user:pass@]host[:port][/db]"
 * URL text.  Errors name the JSON path (persistence.port ...). */
rudder_err_t redisq_opts_from_json(const char *json, size_t len, redisq_opts_t *o, char *errstr, size_t errstr_size);
rudder_err_t redisq_opts_from_url(const char *url, redisq_opts_t *o, char *errstr, size_t errstr_size);
/* 1 when text (a persistence setting) selects the redis backend: a redis:// URL or an
 * object whose "type" is "redis". */
int redisq_selected(const char *persistence_setting);

/* ---- batch codec (no Redis needed) ---- */
void redisq_encode(rbuf_t *out, const qevent_t *list);
/* Parses a stored batch; NULL with *n = 0 when damaged.  Events get seq 0. */
qevent_t *redisq_decode(const char *data, size_t len, size_t *n);

/* ---- the queue ---- */
typedef struct redisq redisq_t;

/* Connects both sides, registers this processor and recovers batches left active by dead
 * processors: first in line (single processor) or behind newer ones (isMultiProcessor).
 * NULL with errstr naming the problem (Redis unreachable, AUTH refused, no hiredis...). */
redisq_t *redisq_open(const redisq_opts_t *opts, char *errstr, size_t errstr_size);
/* Deregisters, puts a batch still active back at the front, closes. NULL ok. */
void redisq_close(redisq_t *q);
/* Forked child: closes its copies of the sockets and frees nothing (the parent's threads may
 * have been inside hiredis at the fork); touches nothing in Redis. */
void redisq_abandon_after_fork(redisq_t *q);
const char *redisq_proc_id(const redisq_t *q);
const redisq_opts_t *redisq_options(const redisq_t *q);
/* Batches recovered at open (left active by a dead processor). */
size_t redisq_recovered(const redisq_t *q);

/* Producer: stores one batch and queues it (one round trip, atomic).  0 ok; -1 with
 * errstr when Redis is unreachable (the caller keeps the events and tries again). */
int redisq_push(redisq_t *q, const qevent_t *list, char *errstr, size_t errstr_size);

/* Processor: one batch taken from the queue. */
typedef struct redisq_batch {
    char id[128];
    qevent_t *events; /* owned; redisq_batch_free after the last ack/fail/release */
    size_t n;
    int attempts;     /* tries before this one */
} redisq_batch_t;

/* Waits up to timeout_ms for a batch.  1 = got one, 0 = none yet, -1 = Redis error
 * (errstr set; the connection is retried on the next call).  Also refreshes the heartbeat
 * and, in multi-processor mode, reclaims batches of processors that died. */
int redisq_take(redisq_t *q, int timeout_ms, redisq_batch_t *b, char *errstr, size_t errstr_size);
/* Delivered: deletes the batch.  0 ok. */
int redisq_ack(redisq_t *q, redisq_batch_t *b);
/* A transient failure: counts the try in Redis; returns the tries so far (-1 on error). */
int redisq_count_attempt(redisq_t *q, redisq_batch_t *b);
/* Failed for good: the batch moves to the failed list with why.  0 ok. */
int redisq_fail(redisq_t *q, redisq_batch_t *b, int http_status, const char *why);
/* Not finished (close): back to the front of the queue for whoever comes next.  0 ok. */
int redisq_release(redisq_t *q, redisq_batch_t *b);
/* Frees the batch's events (ack, fail and release keep them for the report). */
void redisq_batch_free(redisq_batch_t *b);
/* Refreshes this processor's heartbeat (call during long waits).  0 ok. */
int redisq_heartbeat(redisq_t *q);
/* Multi-processor: moves batches of dead processors back to the queue; how many. */
int redisq_reclaim_dead(redisq_t *q);

/* Counts: {"waiting":N,"active":N,"failed":N} as JSON (caller frees); NULL on error. */
char *redisq_status_json(redisq_t *q);

/* ---- operator tools (the CLI), on a fresh connection, no processor registered ---- */
/* JSON array of failed batches: [{"id","events":N,"messageIds":[..],"status","error",
 * "attempts","failedAt"}].  NULL with *err and errstr on error. */
char *redisq_list_failed(const redisq_opts_t *opts, rudder_err_t *err, char *errstr, size_t errstr_size);
/* Moves every failed batch back to the queue (behind newer ones) with its tries reset.
 * Returns how many, -1 on error (errstr). */
long redisq_requeue_failed(const redisq_opts_t *opts, char *errstr, size_t errstr_size);
#endif
