/* sender.h — the sender thread, in two parts: sender.c decides when a batch goes (flushAt,
 * flushInterval, batchLinger, flush, close); send_retry.c takes one batch to a final
 * state (post, retry with backoff, split on 413, report the outcome). */
#ifndef RUDDER_SENDER_H
#define RUDDER_SENDER_H
#include <stdint.h>
#include "base/base.h"
#include "client.h"

struct sender_ctx {
    rudder_client_t *c;
    gzipper_t gz;
    rbuf_t body, wire;
    uint64_t rng;
};

/* Sends one batch to a final state; frees the list.  1 when final, 0 when close()
 * interrupted it and a backend that stores events keeps it for the next start. */
int sender_send_batch(sender_ctx_t *s, qevent_t *list, size_t n);
/* Counts, logs and queues the report of a batch's outcome. */
void sender_report(rudder_client_t *c, rudder_report_kind_t kind, rudder_err_t err, int status,
                   qevent_t *list, size_t n, const char *why);
#endif
