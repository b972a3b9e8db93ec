/* destination.h — the walkerOS RudderStack destination (spec/walkeros.md §3.1, §6),
 * internal view shared by destination*.c, the CLI and the conformance runner. */
#ifndef RUDDER_DESTINATION_H
#define RUDDER_DESTINATION_H
#include <pthread.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "ruddercore.h"
#include "destination/mapping/mapping.h"
#include "destination_dedup.h"
#include "json/json_build.h"

#define DEST_CONSENT_QUEUE_MAX 1000     /* walkerOS's default queue bound */
#define DEST_MAX_EVENT_BYTES (1u << 20) /* one walkerOS event as JSON text */
#define DEST_MAX_DEPTH 32               /* nesting of one event */

typedef struct dest_stats {
    uint64_t events;          /* events received (valid or not) */
    uint64_t invalid;         /* rejected: not an object, bad name, bad JSON ... */
    uint64_t ignored;         /* a rule said ignore */
    uint64_t consent_queued;  /* held back by destination consent */
    uint64_t consent_dropped; /* consent queue overflow */
    uint64_t no_identity;     /* neither userId nor anonymousId */
    uint64_t mapping_errors;  /* errors caught inside mapping Values */
    uint64_t rule_errors;     /* a rule condition failed: nothing sent */
    uint64_t calls;           /* calls produced */
    uint64_t call_errors;     /* calls the data plane would reject, or the client refused */
    uint64_t identify_deduped;
    uint64_t group_deduped;
} dest_stats_t;

struct rudder_dest {
    pthread_mutex_t lock;
    rudder_conf_t *conf;
    rudder_client_t *client;
    cJSON *config;                 /* the parsed destination config (owned) */
    map_config_t map;              /* points into config */
    const cJSON *consent_required; /* config.consent */
    int disabled;
    int walkeros;                  /* dedup "walkeros": exact walkerOS calls */
    /* settings parsed once */
    cJSON *s_user_id, *s_anonymous_id, *s_identify, *s_group, *s_integrations;
    /* collector state */
    cJSON *c_consent, *c_user, *c_globals;
    /* events held back by destination consent, oldest first */
    cJSON **held;
    size_t held_len;
    /* dedup */
    char *last_uid;       /* walkerOS single slot; NULL = undefined */
    char *last_traits;    /* "" when none */
    char *last_group_id;
    char *last_group_traits;
    dedup_lru_t *identify_seen, *group_seen;
    dest_stats_t stats;
};

/* One call the destination makes. */
typedef struct dest_call {
    rudder_call_type_t type;
    cJSON *params; /* timestamp as epoch-ms number; messageId/integrations in default mode */
} dest_call_t;

typedef struct dest_calls {
    dest_call_t *v;
    size_t n, cap;
} dest_calls_t;

void dest_calls_free(dest_calls_t *c);
int dest_calls_add(dest_calls_t *c, rudder_call_type_t type, cJSON *params);

/* Outcome of one event. */
typedef enum dest_outcome {
    DEST_SENT = 0,      /* calls produced (maybe zero, e.g. silent without side effects) */
    DEST_IGNORED,       /* rule ignore */
    DEST_HELD,          /* consent denied: held back */
    DEST_NO_IDENTITY,   /* neither id resolved */
    DEST_FAILED         /* invalid event or rule condition failure */
} dest_outcome_t;

/* Runs one parsed event (owned, consumed) or a {"walker_command": ..., "data": ...}
 * object through the destination, appending every call it makes (including calls of
 * held events released by it) to out.  Caller holds dest->lock.  Returns RUDDER_OK or
 * an error with errstr; *outcome says what happened to the event itself. */
rudder_err_t dest_run(rudder_dest_t *d, cJSON *event, dest_calls_t *out, dest_outcome_t *outcome,
                      char *errstr, size_t errstr_size);

/* A collector command (consent, user, globals); releases held events into out. */
rudder_err_t dest_run_command(rudder_dest_t *d, const char *command, const cJSON *data,
                              dest_calls_t *out, char *errstr, size_t errstr_size);

/* §6.3 for one processed event: identity, identify, group, page, screen, alias, track.
 * Takes m->data for the track properties (sets it to NULL). */
dest_outcome_t dest_make_calls(rudder_dest_t *d, const cJSON *event, map_result_t *m,
                               dest_calls_t *out, char *errstr, size_t errstr_size, rudder_err_t *err);

/* Event checks and collector defaults (spec §1.4); 0 ok, else an error with the path. */
rudder_err_t walker_event_normalize(cJSON *event, const cJSON *c_user, const cJSON *c_consent,
                                    const cJSON *c_globals, char *errstr, size_t errstr_size);

/* Parses one event text with the destination's limits (size, depth, UTF-8). */
cJSON *walker_event_parse(const char *text, size_t len, rudder_err_t *err, char *errstr, size_t errstr_size);

/* rudder_dest_push for an event already in tree form (owned, consumed), built by a
 * binding inside its own arena scope (json_build.h) instead of as JSON text. */
rudder_err_t dest_push_tree(rudder_dest_t *d, cJSON *event, char *errstr, size_t errstr_size);
/* rudder_dest_map for an event in tree form (owned, consumed), inside the caller's scope. */
char *dest_map_tree(rudder_dest_t *d, cJSON *event, rudder_err_t *err, char *errstr, size_t errstr_size);
/* Counts an event that never became a tree (bad JSON, or a binding's builder refused it). */
void dest_count_invalid(rudder_dest_t *d);

/* For the bindings, which build an event's tree from host values (json_build.h): a builder
 * with the limits of one event, and the tree it made - NULL when the conversion failed
 * (converted = 0), counting the event as invalid when the builder's limits refused it. */
void dest_event_builder(rj_builder_t *b, int check_utf8);
cJSON *dest_event_take(rudder_dest_t *d, rj_builder_t *b, int converted);

/* Queues calls on the client (ISO timestamps); returns the first error, counts each. */
rudder_err_t dest_enqueue_calls(rudder_dest_t *d, dest_calls_t *calls, char *errstr, size_t errstr_size);

/* [[method, params], ...] as a cJSON array (params moved out of calls). */
cJSON *dest_calls_to_json(dest_calls_t *calls);

/* The epoch ms of an event's timestamp (walkerOS: new Date(event.timestamp || now)). */
int64_t walker_event_time_ms(const cJSON *event);

#endif
