/* mapping.h — the walkerOS mapping language (spec/walkeros.md §2–§4) on cJSON trees.
 *
 * Values are cJSON trees.  JavaScript `undefined` is a NULL pointer at the top level;
 * inside arrays (wildcard paths, `set`) it is a null node carrying MV_UNDEF_FLAG, which
 * every cJSON printer writes as `null` (as JSON.stringify does) while the mapping code
 * still tells it apart from a real null.  Results are always freshly allocated trees the
 * caller frees with cJSON_Delete; inputs are never modified (except by the policy and
 * event functions that say so).
 */
#ifndef RUDDER_MAPPING_H
#define RUDDER_MAPPING_H
#include <stddef.h>
#include <cjson/cJSON.h>
#include "ruddercore.h"
#include "json/json.h" /* the tree builders (rj_*) */

#define MV_UNDEF_FLAG 0x4000
#define MAP_MAX_DEPTH 96

/* ---- values ---------------------------------------------------------------------- */
cJSON *mv_undef_new(void);                 /* an undefined array element */
/* The three below are asked for every Value of every event: inline. */
static inline int mv_is_undef(const cJSON *v) { return !v || (v->type & MV_UNDEF_FLAG); } /* NULL or an undefined element */

static inline int mv_truthy(const cJSON *v) { /* JavaScript truthiness */
    if (mv_is_undef(v)) return 0;
    switch (v->type & 0xFF) {
    case cJSON_False:
    case cJSON_NULL:
    case cJSON_Invalid: return 0;
    case cJSON_Number: return v->valuedouble != 0 && v->valuedouble == v->valuedouble; /* NaN is falsy */
    case cJSON_String: return v->valuestring && v->valuestring[0];
    default: return 1; /* true, objects, arrays (even empty) */
    }
}

static inline int mv_is_plain_object(const cJSON *v) { return v && (v->type & 0xFF) == cJSON_Object; }
int mv_is_property(const cJSON *v);        /* §1.3: rejects null anywhere */
int mv_strict_equal(const cJSON *a, const cJSON *b); /* JS ===: objects never equal */
cJSON *mv_dup(const cJSON *v);             /* deep copy; NULL stays NULL */
const cJSON *mv_own(const cJSON *obj, const char *key, size_t n); /* own member, exact key */
void mv_clear_undef(cJSON *v);             /* undefined elements become plain nulls */
const char *mv_type_name(const cJSON *v);
/* Replaces old (a member of obj) by value, keeping the member's key; frees old. */
void mv_replace(cJSON *obj, cJSON *old, cJSON *value);
/* obj[key] = value (replaces in place or appends). */
void mv_set(cJSON *obj, const char *key, cJSON *value);

/* ---- evaluation context ---------------------------------------------------------- */
typedef struct map_ctx {
    const cJSON *event;              /* root event handed to callbacks (may be NULL) */
    const cJSON *collector_consent;  /* last resort consent state (may be NULL) */
    const rudder_conf_t *conf;       /* named callbacks (may be NULL) */
    unsigned failed;                 /* errors caught (walkerOS: collector.status.failed) */
    char error[256];                 /* the first error caught */
    int depth;
    const cJSON *cache_input;        /* consent lookup cache: input -> input.consent */
    const cJSON *cache_consent;
} map_ctx_t;

void map_ctx_init(map_ctx_t *c, const cJSON *event, const cJSON *collector_consent,
                  const rudder_conf_t *conf);

/* getMappingValue(input, config) with context consent ctx_consent (may be NULL).
 * Returns a new tree or NULL for undefined.  Errors inside are caught per top-level
 * array element and counted in c->failed, as walkerOS does. */
cJSON *map_value(map_ctx_t *c, const cJSON *input, const cJSON *config, const cJSON *ctx_consent);

/* getByPath: a new tree, or a copy of def (NULL = undefined) when the path is missing. */
cJSON *map_by_path(const cJSON *input, const char *path, size_t n, const cJSON *def);
/* The node at path, not copied (NULL = undefined), walking object keys and array indexes.
 * At an array whose next segment is "*" or "length" it stops there: returns the array and
 * points *rest at that segment (else *rest = NULL); map_by_path goes on from there. */
const cJSON *map_peek_path(const cJSON *input, const char *path, size_t n, const char **rest);

/* grant(required, state, individual): 1 granted / 0 denied.  When granted and
 * granted_out is not NULL, *granted_out receives the map of truthy states. */
int map_grant(const cJSON *required, const cJSON *state, const cJSON *individual,
              cJSON **granted_out);

/* Calls the named host callback; returns 0 and *out (NULL = undefined) or -1 on failure
 * (message in c->error).  what is "fn", "condition", "validate" (for messages). */
int map_call_fn(map_ctx_t *c, const char *what, const cJSON *name, const cJSON *value,
                const cJSON *mapping, const cJSON *consent, cJSON **out);

/* ---- rules and the event pipeline (§2, §3.2) ------------------------------------- */
typedef struct map_config {
    const cJSON *mapping;   /* rules tree {entity: {action: rule | [rule]}} or NULL */
    const cJSON *data;      /* destination-level data Value */
    const cJSON *policy;    /* destination-level policy {path: Value} */
    const cJSON *include;   /* destination-level include list */
    int skip_is_silent;     /* our default: the docs' older `skip` means `silent` */
} map_config_t;

typedef struct map_result {
    const cJSON *rule;      /* matched rule (points into the config) or NULL */
    char key[160];          /* "<entityKey> <actionKey>" of the match, "" if none */
    cJSON *data;            /* produced data (owned; NULL = undefined) */
    int ignore;
    int silent;             /* rule.silent === true (or skip === true when enabled) */
} map_result_t;

/* Rule lookup.  0 ok (*rule may be NULL), -1 when a rule condition failed. */
int map_lookup_rule(map_ctx_t *c, const cJSON *mapping, const cJSON *event,
                    const cJSON **rule, char *key, size_t key_size);

/* processEventMapping: modifies event in place (policies, rename).  0 ok, -1 on a
 * rule-condition failure (c->error says why).  Free out->data with cJSON_Delete. */
int map_process_event(map_ctx_t *c, const map_config_t *cfg, cJSON *event, map_result_t *out);

/* setByPath on an object (undefined deletes); deleteByPath. */
void map_set_path(cJSON *target, const char *path, cJSON *value /* owned, NULL = undefined */);
void map_delete_path(cJSON *target, const char *path);

/* Include sections flattened into one object (§3.3); NULL when nothing applies. */
cJSON *map_include(const cJSON *event, const cJSON *sections);

/* Shallow merge of over into base (both plain objects), arrays union-merged (§3.2 8). */
cJSON *map_merge_data(const cJSON *base, const cJSON *over);

/* ---- configuration check (at creation) ------------------------------------------- */
/* Checks a Value's shape and that every fn/condition/validate names a registered
 * callback.  path is the JSON path for messages ("mapping.product.view.data"). */
rudder_err_t map_check_value(const cJSON *v, const char *path, const rudder_conf_t *conf,
                             char *errstr, size_t errstr_size);
/* Checks the rules tree {entity: {action: rule | [rule]}}. */
rudder_err_t map_check_rules(const cJSON *mapping, const rudder_conf_t *conf,
                             char *errstr, size_t errstr_size);

#endif
