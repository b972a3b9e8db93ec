/* client_internal.h — what the destination (and the CLI) use of the client beyond the
 * public header. */
#ifndef RUDDER_CLIENT_INTERNAL_H
#define RUDDER_CLIENT_INTERNAL_H
#include <cjson/cJSON.h>
#include "ruddercore.h"
#include "json/json.h"

/* Queue a message given as a cJSON object (not modified). Same rules as rudder_call. */
rudder_err_t client_enqueue_cjson(rudder_client_t *c, rudder_call_type_t type, const cJSON *msg,
                                  char *errstr, size_t errstr_size, char *msgid_out);

/* rudder_call for a message whose top-level members the binding recorded while writing
 * its JSON text (member_log.h): the same validation and envelope, no second scan. */
rudder_err_t client_call_members(rudder_client_t *c, rudder_call_type_t type, const rj_member_t *members,
                                 int n, char *errstr, size_t errstr_size, char *msgid_out,
                                 size_t msgid_size);

/* The conf the client was created from (owned by the client). */
const rudder_conf_t *client_conf(const rudder_client_t *c);

/* Its closeTimeout in ms: what the bindings' close() and garbage collection wait by default. */
int64_t client_close_timeout_ms(const rudder_client_t *c);

/* Counts a rejection made above the client (destination) in the client's stats. */
void client_count_rejected(rudder_client_t *c, rudder_err_t reason);

/* A log level's name as the bindings show it: "debug", "info", "warn", "error". */
const char *client_log_level_name(rudder_log_level_t level);

/* Emits a log line through the client's log path (report queue / raw callback). */
void client_log(rudder_client_t *c, rudder_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The bindings' createPersistenceQueue: a new client with old's settings and callbacks plus
 * `persistence` (a redis:// URL or a {"type":"redis",...} object as text).  Refused (NULL,
 * errstr) once old has accepted a call or was closed; the caller destroys old on success.
 * An unreachable Redis is an error the caller may retry with backoff.  (backend.c) */
rudder_client_t *client_with_persistence(rudder_client_t *old, const char *persistence, char *errstr,
                                         size_t errstr_size);

#endif
