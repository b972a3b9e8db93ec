/* spool_client.c — the client's use of the spool on the producer side: open it from the
 * settings at create time, and append each accepted event before the call returns.
 * Lock order: spool lock, then the queue lock (held only to give out the sequence number;
 * the write itself happens under the spool's own lock, never the queue lock). */
#include "client.h"
#include "base/clock.h"
#include <stdio.h>
#include <string.h>

int client_open_spool(rudder_client_t *c, char *errstr, size_t size) {
    const rudder_conf_t *conf = c->conf;
    const char *where = conf_str(conf, "persistence");
    if (!strncmp(where, "redis://", 8) || *where == '{') {
        /* another backend's form (Redis): never mistaken for a directory name */
        if (errstr && size)
            snprintf(errstr, size, "setting 'persistence': \"%.60s\" is not a directory, and no other persistence backend took it",
                     !strncmp(where, "redis://", 8) ? "redis://..." : "{...}");
        return -1;
    }
    spool_opts_t o = {
        .dir = conf_str(conf, "persistence"),
        .fsync = (spool_fsync_t)spool_fsync_from_name(conf_str(conf, "persistenceFsync")),
        .fsync_interval_ms = conf_int(conf, "persistenceFsyncInterval"),
        .max_bytes = (uint64_t)conf_int(conf, "persistenceMaxBytes"),
        .max_age_ms = conf_int(conf, "persistenceMaxAge"),
        .segment_bytes = (uint64_t)conf_int(conf, "persistenceSegmentBytes"),
    };
    if ((int)o.fsync < 0) o.fsync = SPOOL_FSYNC_BATCH;
    c->spool = spool_open(&o, errstr, size);
    if (!c->spool) return -1;
    if (*spool_note(c->spool)) client_log(c, RUDDER_LOG_WARN, "%s", spool_note(c->spool));
    uint64_t recovered = spool_recovered(c->spool);
    if (recovered) {
        /* events an earlier process accepted: pending now, sent first, oldest first */
        pthread_mutex_lock(&c->mu);
        c->next_seq = recovered;
        c->spool_due_mono = 0; /* due at once */
        int rc = client_ensure_sender_locked(c);
        pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->mu);
        client_log(c, RUDDER_LOG_INFO, "spool '%s': %llu undelivered events from an earlier run will be sent first",
                   spool_dir(c->spool), (unsigned long long)recovered);
        if (rc != 0) {
            if (errstr && size) snprintf(errstr, size, "could not start the sender thread");
            spool_close(c->spool);
            c->spool = NULL;
            return -1;
        }
    }
    return 0;
}

rudder_err_t client_enqueue_spooled(rudder_client_t *c, const char *text, size_t len, const char *msgid,
                                    char *errstr, size_t size) {
    spool_lock(c->spool);
    pthread_mutex_lock(&c->mu);
    rudder_err_t rc = c->closed ? RUDDER_ERR_CLOSED : RUDDER_OK;
    pthread_mutex_unlock(&c->mu);
    if (rc == RUDDER_OK) rc = spool_append_locked(c->spool, text, len, msgid, errstr, size);
    else if (errstr && size) snprintf(errstr, size, "the client is closed");
    if (rc == RUDDER_OK) {
        pthread_mutex_lock(&c->mu);
        if (client_ensure_sender_locked(c) != 0) {
            /* on disk already: the next start sends it; this process cannot */
            client_log(c, RUDDER_LOG_ERROR, "could not start the sender thread; the event stays in the spool");
        }
        uint64_t untaken = c->next_seq - c->taken_seq;
        if (untaken == 0) c->spool_due_mono = clock_mono_ms() + c->flush_interval_ms;
        c->next_seq++;
        if (untaken == 0 || untaken + 1 == (uint64_t)c->flush_at) pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->mu);
    }
    spool_unlock(c->spool);
    return rc;
}
