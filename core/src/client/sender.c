/* sender.c — the one sender thread: waits for a trigger (flushAt, flushInterval,
 * batchLinger, flush, close), takes a batch up to maxQueueSize bytes and hands it to
 * send_retry.c, or to the queue backend (backend.h): a backend that stores events sends
 * from there, Redis takes the batch.  The queue lock is never held during JSON, gzip or
 * HTTP. */
#include "base/base.h"
#include "sender.h"
#include <stdint.h>
#include <string.h>
#include <time.h>

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
        size_t untaken = client_stores_events(c) ? (size_t)(c->next_seq - c->taken_seq) : c->q.count;
        if (c->stopping && (untaken == 0 || now >= c->abort_at_mono || c->abort_io)) break;
        if (untaken == 0) {
            pthread_cond_wait(&c->wake, &c->mu);
            continue;
        }
        int64_t due = client_stores_events(c) ? c->stored_due_mono : c->q.head->enq_mono_ms + c->flush_interval_ms;
        int asked = c->stopping || c->flush_mark > c->taken_seq || now >= due;
        int ready = asked || untaken >= (size_t)c->flush_at;
        /* flushAt alone starts at most one send per batchLinger: under load the batch keeps
         * filling instead of each request carrying flushAt events (a request costs the sender
         * and the data plane far more than an event does).  A full batch, or a queue half
         * full, goes at once (with persistence the untaken events are on disk, uncounted: the
         * linger bounds the wait). */
        int64_t linger_until = last_send_mono + c->batch_linger_ms;
        if (ready && !asked && now < linger_until && (client_stores_events(c) || !client_queue_full_enough(c))) {
            if (linger_until < due) due = linger_until;
            ready = 0;
        }
        if (!ready) {
            struct timespec ts;
            clock_mono_timespec(due, &ts);
            pthread_cond_timedwait(&c->wake, &c->mu, &ts);
            continue;
        }
        if (client_stores_events(c)) {
            last_send_mono = now;
            if (!c->backend->send_stored(&s, untaken)) break;
            continue;
        }
        if (c->backend && c->backend->move && now < c->backend->retry_at(c)) {
            /* Redis away: the events wait in memory (bounded) until the next try */
            int64_t until = c->backend->retry_at(c);
            if (c->stopping && c->abort_at_mono < until) until = c->abort_at_mono;
            struct timespec ts;
            clock_mono_timespec(until, &ts);
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

        if (c->backend && c->backend->move) {
            /* persistence in Redis: "sent" means stored there; the processor posts it */
            int moved = c->backend->move(c, batch, n);
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
        sender_send_batch(&s, batch, n);

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
