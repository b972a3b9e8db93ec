/* backend.c — which queue backend takes a `persistence` value, and the bindings'
 * createPersistenceQueue (a fresh client with the same settings plus persistence). */
#include "client.h"
#include "persistence/persistence.h"
#include <stdio.h>

const client_backend_t *client_backend_for(const char *setting) {
    return redisq_selected(setting) ? &client_backend_redis : &client_backend_spool;
}

rudder_client_t *client_with_persistence(rudder_client_t *old, const char *persistence, char *errstr, size_t size) {
    if (errstr && size) errstr[0] = '\0';
    if (!old || !persistence) {
        if (errstr && size) snprintf(errstr, size, "createPersistenceQueue: a client and the queue options are required");
        return NULL;
    }
    pthread_mutex_lock(&old->mu);
    int used = old->next_seq != 0 || old->closed || old->sender_started;
    pthread_mutex_unlock(&old->mu);
    if (used) {
        if (errstr && size)
            snprintf(errstr, size, "createPersistenceQueue: the client has already %s; call it right after creating the client",
                     old->closed ? "been closed" : "accepted calls");
        return NULL;
    }
    if (old->backend) {
        if (errstr && size) snprintf(errstr, size, "createPersistenceQueue: the client already has persistence");
        return NULL;
    }
    rudder_conf_t *conf = rudder_conf_dup(old->conf);
    if (!conf) return NULL;
    rudder_client_t *c = NULL;
    if (rudder_conf_set(conf, "persistence", persistence, errstr, size) == RUDDER_OK) c = rudder_client_new(conf, errstr, size);
    rudder_conf_destroy(conf);
    return c;
}
