/* stats.c — the client's counters as JSON. */
#include "client.h"
#include <stdlib.h>
#include <string.h>

char *rudder_stats(rudder_client_t *c) {
    if (!c) return NULL;
    client_stats_t *s = &c->stats;
    pthread_mutex_lock(&c->mu);
    size_t depth = c->q.count, bytes = c->q.bytes;
    size_t pending = (size_t)(c->next_seq - c->completed_seq);
    pthread_mutex_unlock(&c->mu);
    unsigned long long spool_bytes = c->backend && c->backend->pending_bytes ? (unsigned long long)c->backend->pending_bytes(c) : 0ULL;
    rbuf_t b = RBUF_INIT;
#define U(x) (unsigned long long)atomic_load(&s->x)
    unsigned long long rq = U(rejected_queue_full), ri = U(rejected_invalid), rt = U(rejected_too_large),
                       rc = U(rejected_closed), ro = U(rejected_other);
    rbuf_printf(&b,
                "{\"accepted\":%llu,\"rejected\":%llu,\"rejectedByReason\":{\"invalid\":%llu,\"queueFull\":%llu,"
                "\"tooLarge\":%llu,\"closed\":%llu,\"other\":%llu},\"queueDepth\":%zu,\"queueBytes\":%zu,"
                "\"pending\":%zu,\"sentEvents\":%llu,\"sentBatches\":%llu,\"sentBytesRaw\":%llu,"
                "\"sentBytesGzip\":%llu,\"httpRequests\":%llu,\"retries\":%llu,\"splitBatches\":%llu,"
                "\"failedEvents\":%llu,\"droppedEvents\":%llu,\"reportsLost\":%llu,\"spoolBytes\":%llu,"
                "\"spoolEvicted\":%llu,\"deadLetters\":%llu,\"lastHttpStatus\":%d,\"lastError\":",
                U(accepted), rq + ri + rt + rc + ro, ri, rq, rt, rc, ro, depth, bytes, pending, U(sent_events),
                U(sent_batches), U(sent_bytes_raw), c->gzip ? U(sent_bytes_wire) : 0ULL, U(http_requests),
                U(retries), U(split_batches), U(failed_events), U(dropped_events), U(reports_lost),
                spool_bytes, U(spool_evicted), U(spool_dead_letters),
                atomic_load(&s->last_http_status));
#undef U
    pthread_mutex_lock(&c->err_mu);
    rbuf_json_string(&b, c->last_error, strlen(c->last_error));
    pthread_mutex_unlock(&c->err_mu);
    rbuf_putc(&b, '}');
    return rbuf_detach(&b);
}
