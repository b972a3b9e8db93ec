/* redisq_client.h — the client's Redis persistence (redisq_client.c), for client.c,
 * sender.c and the bindings' create_persistence_queue. */
#ifndef RUDDER_REDISQ_CLIENT_H
#define RUDDER_REDISQ_CLIENT_H
#include <stdint.h>
#include "wire/queue.h"
#include "persistence/redisq.h"
#include "ruddercore.h"

typedef struct client_redis client_redis_t;

/* rudder_client_new: opens the queue named by the persistence setting (URL or object). */
int client_open_redis(rudder_client_t *c, const char *setting, char *errstr, size_t errstr_size);
/* Sender thread, without the queue lock: 1 = the batch is in Redis (list freed);
 * 0 = Redis away, the caller keeps the list and waits until client_redis_retry_at(). */
int client_redis_move(rudder_client_t *c, qevent_t *batch, size_t n);
int64_t client_redis_retry_at(const rudder_client_t *c);
/* close(): stops the processor (its batch in flight may finish until the deadline). */
void client_close_redis(rudder_client_t *c, int64_t deadline_mono_ms);
/* destroy: closes the queue and frees. */
void client_free_redis(rudder_client_t *c);
/* fork child: forget the parent's connections and thread; reopen lazily. */
void client_redis_after_fork(rudder_client_t *c);

/* The bindings' createPersistenceQueue: a new client with old's settings and callbacks plus
 * `persistence` (a redis:// URL or a {"type":"redis",...} object as text).  Refused (NULL,
 * errstr) once old has accepted a call or was closed; the caller destroys old on success.
 * An unreachable Redis is an error the caller may retry with backoff. */
rudder_client_t *client_with_persistence(rudder_client_t *old, const char *persistence, char *errstr,
                                         size_t errstr_size);
#endif
