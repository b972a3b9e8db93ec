/* backend.h — the client's queue-backend interface: where accepted events go when the
 * `persistence` setting is on.  client.c, sender.c, send_retry.c and stats.c reach
 * persistence only through this table (c->backend); the two backends implement it over
 * persistence/:
 *   backend_spool.c  the spool is the queue: calls append to disk, the sender reads back
 *   backend_redis.c  calls go to the memory queue, the sender moves batches to Redis and
 *                    a processor thread posts them
 * An op a backend does not have is NULL. */
#ifndef RUDDER_CLIENT_BACKEND_H
#define RUDDER_CLIENT_BACKEND_H
#include <stddef.h>
#include <stdint.h>
#include "ruddercore.h"
#include "wire/wire.h"

typedef struct sender_ctx sender_ctx_t;

typedef struct client_backend {
    const char *name;  /* in log lines: "kept in the <name> '<where>'" */
    /* rudder_client_new: opens the backend from the setting; 0 ok, -1 with errstr */
    int (*open)(rudder_client_t *c, const char *setting, char *errstr, size_t size);

    /* A backend that stores events itself (the spool): the call appends there, not to the
     * memory queue, and the sender sends from there (with mu held; 0 = stop the sender). */
    rudder_err_t (*enqueue)(rudder_client_t *c, const char *text, size_t len, const char *msgid,
                            char *errstr, size_t size);
    int (*send_stored)(sender_ctx_t *s, size_t untaken);
    /* Events failed for good: 1 when the backend kept them (and logged where). */
    int (*dead_letter)(rudder_client_t *c, const qevent_t *list, size_t n, int status, const char *why);
    uint64_t (*pending_bytes)(rudder_client_t *c);
    const char *(*where)(const rudder_client_t *c);

    /* A backend fed from the memory queue (Redis), sender thread without mu: 1 = the batch
     * moved (list freed); 0 = backend away, keep the list and try again at retry_at. */
    int (*move)(rudder_client_t *c, qevent_t *batch, size_t n);
    int64_t (*retry_at)(const rudder_client_t *c);
    /* close(): work in flight may finish until the deadline. */
    void (*close)(rudder_client_t *c, int64_t deadline_mono_ms);

    /* Forked child: 1 = the backend stays (reopened lazily), 0 = forgotten (the child keeps
     * its events in memory; the parent's files are not touched). */
    int (*after_fork)(rudder_client_t *c);
    void (*destroy)(rudder_client_t *c);
} client_backend_t;

extern const client_backend_t client_backend_spool, client_backend_redis;

/* The backend that takes this `persistence` value: a redis:// URL or {"type":"redis",...}
 * is Redis, anything else a spool directory. */
const client_backend_t *client_backend_for(const char *setting);
#endif
