/* backend_spool.c — the queue backend (backend.h) over the spool (persistence/spool.h):
 * opened from the settings at create time, each accepted event appended before the call
 * returns, the sender reading batches back and acking them when final, events failed for
 * good kept in the dead-letter file.
 * Lock order: spool lock, then the queue lock (held only to give out the sequence number;
 * the write itself happens under the spool's own lock, never the queue lock). */
#include "base/base.h"
#include "persistence/persistence.h"
#include "sender.h"
#include <stdio.h>
#include <string.h>

static int spool_backend_open(rudder_client_t *c, const char *where, char *errstr, size_t size) {
    const rudder_conf_t *conf = c->conf;
    if (!strncmp(where, "redis://", 8) || *where == '{') {
        /* another backend's form (Redis): never mistaken for a directory name */
        if (errstr && size)
            snprintf(errstr, size, "setting 'persistence': \"%.60s\" is not a directory, and no other persistence backend took it",
                     !strncmp(where, "redis://", 8) ? "redis://..." : "{...}");
        return -1;
    }
    spool_opts_t o = {
        .dir = where,
        .fsync = (spool_fsync_t)spool_fsync_from_name(conf_str(conf, "persistenceFsync")),
        .fsync_interval_ms = conf_int(conf, "persistenceFsyncInterval"),
        .max_bytes = (uint64_t)conf_int(conf, "persistenceMaxBytes"),
        .max_age_ms = conf_int(conf, "persistenceMaxAge"),
        .segment_bytes = (uint64_t)conf_int(conf, "persistenceSegmentBytes"),
    };
    if ((int)o.fsync < 0) o.fsync = SPOOL_FSYNC_BATCH;
    spool_t *spool = spool_open(&o, errstr, size);
    if (!spool) return -1;
    c->backend = &client_backend_spool;
    c->persist = spool;
    if (*spool_note(spool)) client_log(c, RUDDER_LOG_WARN, "%s", spool_note(spool));
    uint64_t recovered = spool_recovered(spool);
    if (recovered) {
        /* events an earlier process accepted: pending now, sent first, oldest first */
        pthread_mutex_lock(&c->mu);
        c->next_seq = recovered;
        c->stored_due_mono = 0; /* due at once */
        int rc = client_ensure_sender_locked(c);
        pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->mu);
        client_log(c, RUDDER_LOG_INFO, "spool '%s': %llu undelivered events from an earlier run will be sent first",
                   spool_dir(spool), (unsigned long long)recovered);
        if (rc != 0) {
            if (errstr && size) snprintf(errstr, size, "could not start the sender thread");
            spool_close(spool);
            c->backend = NULL;
            c->persist = NULL;
            return -1;
        }
    }
    return 0;
}

static rudder_err_t spool_backend_enqueue(rudder_client_t *c, const char *text, size_t len, const char *msgid,
                                          char *errstr, size_t size) {
    spool_t *spool = c->persist;
    spool_lock(spool);
    pthread_mutex_lock(&c->mu);
    rudder_err_t rc = c->closed ? RUDDER_ERR_CLOSED : RUDDER_OK;
    pthread_mutex_unlock(&c->mu);
    if (rc == RUDDER_OK) rc = spool_append_locked(spool, text, len, msgid, errstr, size);
    else if (errstr && size) snprintf(errstr, size, "the client is closed");
    if (rc == RUDDER_OK) {
        pthread_mutex_lock(&c->mu);
        if (client_ensure_sender_locked(c) != 0) {
            /* on disk already: the next start sends it; this process cannot */
            client_log(c, RUDDER_LOG_ERROR, "could not start the sender thread; the event stays in the spool");
        }
        uint64_t untaken = c->next_seq - c->taken_seq;
        if (untaken == 0) c->stored_due_mono = clock_mono_ms() + c->flush_interval_ms;
        c->next_seq++;
        if (untaken == 0 || untaken + 1 == (uint64_t)c->flush_at) pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->mu);
    }
    spool_unlock(spool);
    return rc;
}

/* Persistence on: one batch read back from the spool (I/O without the queue lock), sent,
 * then acked when final.  Called and returns with mu held.  0 = stop the sender. */
static int spool_backend_send(sender_ctx_t *s, size_t untaken) {
    rudder_client_t *c = s->c;
    spool_t *spool = c->persist;
    pthread_mutex_unlock(&c->mu);
    spool_batch_t b;
    size_t consumed = spool_read_batch(spool, untaken, c->max_body, &b);
    if (b.n_expired) {
        atomic_fetch_add(&c->stats.spool_evicted, b.n_expired);
        sender_report(c, RUDDER_REPORT_DROPPED, RUDDER_ERR_TRANSPORT, 0, b.expired, b.n_expired,
                      "evicted from the spool unsent: older than persistenceMaxAge");
        client_log(c, RUDDER_LOG_WARN, "%zu events older than persistenceMaxAge evicted from the spool", b.n_expired);
        qevent_free_list(b.expired);
    }
    if (b.n_lost) {
        atomic_fetch_add(&c->stats.dropped_events, b.n_lost);
        client_set_last_error(c, "spool records missing or damaged on disk");
        client_log(c, RUDDER_LOG_ERROR, "%zu spooled events could not be read back (missing or damaged on disk)", b.n_lost);
    }
    pthread_mutex_lock(&c->mu);
    c->taken_seq += consumed;
    uint64_t batch_last_seq = c->taken_seq;
    if (c->next_seq > c->taken_seq) /* a byte cut leaves a backlog: due now; else new arrivals */
        c->stored_due_mono = clock_mono_ms() + (consumed < untaken ? 0 : c->flush_interval_ms);
    pthread_mutex_unlock(&c->mu);

    int final = 1;
    if (b.n) {
        spool_sync_for_batch(spool);
        final = sender_send_batch(s, b.events, b.n);
    }
    if (final) spool_ack(spool, &b);

    pthread_mutex_lock(&c->mu);
    if (final) {
        c->completed_seq = batch_last_seq;
        pthread_cond_broadcast(&c->done);
    }
    return final;
}

static int spool_backend_dead_letter(rudder_client_t *c, const qevent_t *list, size_t n, int status, const char *why) {
    spool_t *spool = c->persist;
    if (spool_dead_letter(spool, list, status, why) != 0) return 0;
    atomic_fetch_add(&c->stats.spool_dead_letters, n);
    client_log(c, RUDDER_LOG_ERROR, "%zu events failed: %s (kept in %s/" SPOOL_DEADLETTER ")", n, why, spool_dir(spool));
    return 1;
}

static uint64_t spool_backend_pending_bytes(rudder_client_t *c) { return spool_pending_bytes(c->persist); }

static const char *spool_backend_where(const rudder_client_t *c) { return spool_dir(c->persist); }

/* Forked child: never write into the parent's spool; this process keeps events in memory. */
static int spool_backend_after_fork(rudder_client_t *c) {
    spool_abandon_after_fork(c->persist);
    return 0;
}

static void spool_backend_destroy(rudder_client_t *c) { spool_close(c->persist); }

const client_backend_t client_backend_spool = {
    .name = "spool",
    .open = spool_backend_open,
    .enqueue = spool_backend_enqueue,
    .send_stored = spool_backend_send,
    .dead_letter = spool_backend_dead_letter,
    .pending_bytes = spool_backend_pending_bytes,
    .where = spool_backend_where,
    .after_fork = spool_backend_after_fork,
    .destroy = spool_backend_destroy,
};
