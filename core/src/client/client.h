/* client.h — the client's state, shared by client.c (calls, flush, close, fork),
 * sender.c and send_retry.c (the thread), reports.c (poll), stats.c and the queue backends
 * (backend_spool.c, backend_redis.c). */
#ifndef RUDDER_CLIENT_H
#define RUDDER_CLIENT_H
#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>
#include "client_internal.h"
#include "conf/conf.h"
#include "message.h"
#include "wire/wire.h"
#include "backend.h"
#include "reports.h"

typedef struct client_stats {
    atomic_uint_fast64_t accepted, rejected_invalid, rejected_queue_full, rejected_too_large,
        rejected_closed, rejected_other, sent_events, sent_batches, sent_bytes_raw,
        sent_bytes_wire, retries, failed_events, dropped_events, split_batches,
        reports_lost, http_requests, spool_evicted, spool_dead_letters;
    atomic_int last_http_status;
} client_stats_t;

struct rudder_client {
    rudder_conf_t *conf;
    /* settings read once */
    int flush_at, retry_count, gzip, gzip_level, enabled, log_level;
    int64_t flush_interval_ms, batch_linger_ms, retry_base_ms, retry_max_ms, close_timeout_ms;
    size_t max_body, max_queue_events, max_queue_bytes;
    message_opts_t mopts;

    /* queue and sender state, under mu */
    pthread_mutex_t mu;
    pthread_cond_t wake;      /* wakes the sender */
    pthread_cond_t done;      /* completed_seq advanced */
    queue_t q;
    uint64_t next_seq;        /* last sequence number given out */
    uint64_t taken_seq;       /* last sequence number handed to the sender */
    uint64_t completed_seq;   /* every event <= this has reached a final state */
    uint64_t flush_mark;      /* send at once everything up to here */
    int sender_started, stopping, closed;
    int64_t abort_at_mono;    /* close deadline: abandon I/O and retries after it */
    atomic_int abort_io;       /* read by the transport's progress callback without the lock */
    pthread_t thread;
    pid_t pid;                /* process that owns the sender */
    transport_t *transport;

    /* persistence on: the queue backend (backend.h) and its state; NULL otherwise */
    const client_backend_t *backend;
    void *persist;
    int64_t stored_due_mono;  /* under mu: when the oldest untaken stored event is due */

    reports_t reports;
    client_stats_t stats;
    pthread_mutex_t err_mu;
    char last_error[256];

    struct rudder_client *registry_next; /* all live clients, for fork handling */
};

/* The in-memory queue holds a full batch (a body of maxQueueSize bytes) or half of what it
 * may hold: the sender sends now rather than lingering (batchLinger), so the batch is not
 * cut later and callers are not refused meanwhile.  Caller holds mu. */
static inline int client_queue_full_enough(const rudder_client_t *c) {
    size_t body = BATCH_OVERHEAD + c->q.bytes + c->q.count * (EVENT_SUFFIX + 1);
    return body >= c->max_body || c->q.count * 2 >= c->max_queue_events || c->q.bytes * 2 >= c->max_queue_bytes;
}

/* A backend that stores events itself (the spool): the memory queue stays empty, and
 * transient failures are retried until delivered, expired or close. */
static inline int client_stores_events(const rudder_client_t *c) { return c->backend && c->backend->enqueue; }

/* sender.c */
void *sender_main(void *arg);
/* client.c: starts the sender if needed; caller holds mu. 0 ok. */
int client_ensure_sender_locked(rudder_client_t *c);
void client_set_last_error(rudder_client_t *c, const char *text);
#endif
