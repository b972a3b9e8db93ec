/* mapping_value.c — getMappingValue (spec/walkeros.md §4.1, §4.2, §4.4). */
#include <stdio.h>
#include <string.h>
#include "mapping.h"

void map_ctx_init(map_ctx_t *c, const cJSON *event, const cJSON *collector_consent,
                  const rudder_conf_t *conf) {
    memset(c, 0, sizeof *c);
    c->event = event;
    c->collector_consent = collector_consent;
    c->conf = conf;
}

/* Records a caught error (the first one is kept for messages). */
static int fail(map_ctx_t *c, const char *fmt, const char *arg) {
    if (!c->error[0]) snprintf(c->error, sizeof c->error, fmt, arg ? arg : "");
    return -1;
}

static int process(map_ctx_t *c, const cJSON *input, const cJSON *item, const cJSON *consent,
                   cJSON **out);
static cJSON *finish(cJSON *result, const cJSON *value_member);

/* Consent state of §4.1 step 2. */
static const cJSON *consent_state(map_ctx_t *c, const cJSON *input, const cJSON *ctx_consent) {
    if (mv_is_plain_object(input)) {
        const cJSON *ic;
        if (input == c->cache_input) { /* the event is asked for every Value */
            ic = c->cache_consent;
        } else {
            ic = mv_own(input, "consent", 7);
            c->cache_input = input;
            c->cache_consent = ic;
        }
        if (mv_truthy(ic)) return ic;
    }
    if (ctx_consent) return ctx_consent;
    return c->collector_consent;
}

/* A string Value: the shorthand for {key: s}, "" meaning the whole input (§4.2).  It needs
 * no consent state and no recursion, and it is most of the Values of a data map. */
static cJSON *value_at_path(const cJSON *input, const cJSON *path) {
    const char *k = path->valuestring;
    size_t n = (path->type & RJ_PLAIN_TEXT) ? (size_t)path->valueint : strlen(k);
    return finish(n ? map_by_path(input, k, n, NULL) : mv_dup(input), NULL);
}

cJSON *map_value(map_ctx_t *c, const cJSON *input, const cJSON *config, const cJSON *ctx_consent) {
    if (mv_is_undef(input) || !config) return NULL;
    if (rj_is_string(config) && c->depth < MAP_MAX_DEPTH) return value_at_path(input, config);
    if (c->depth >= MAP_MAX_DEPTH) {
        c->failed++;
        fail(c, "mapping nested deeper than %s levels", "96");
        return NULL;
    }
    c->depth++;
    const cJSON *state = consent_state(c, input, ctx_consent);
    cJSON *result = NULL;
    if (rj_is_array(config)) {
        for (const cJSON *item = config->child; item; item = item->next) {
            cJSON *r = NULL;
            if (process(c, input, item, state, &r) != 0) { c->failed++; continue; }
            if (r) { result = r; break; }
        }
    } else if (process(c, input, config, state, &result) != 0) {
        c->failed++;
        result = NULL;
    }
    c->depth--;
    return result;
}

/* Step 10: a defined Property, else the static value if it is one, else undefined. */
static cJSON *finish(cJSON *result, const cJSON *value_member) {
    if (result && mv_is_property(result)) return result;
    rj_delete(result);
    if (value_member && mv_is_property(value_member)) return mv_dup(value_member);
    return NULL;
}


/* loop/map/set write a new result into *result (freeing what was there) and set
 * *changed; a loop over a non-array leaves the result as it was. */
static int do_loop(map_ctx_t *c, const cJSON *input, const cJSON *loop, const cJSON *consent,
                   cJSON **result, int *changed) {
    if (!rj_is_array(loop)) return fail(c, "loop must be an array [source, item], got %s", mv_type_name(loop));
    const cJSON *scope = loop->child;
    const cJSON *item_value = scope ? scope->next : NULL;
    cJSON *list = NULL;
    const cJSON *items;
    if (rj_is_string(scope) && strcmp(scope->valuestring, "this") == 0) {
        items = NULL; /* the list is [input] */
    } else {
        list = scope ? map_value(c, input, scope, consent) : NULL;
        if (!rj_is_array(list) || mv_is_undef(list)) { rj_delete(list); return 0; }
        items = list->child;
    }
    cJSON *arr = rj_array();
    if (!list) {
        cJSON *r = item_value ? map_value(c, input, item_value, consent) : NULL;
        if (r) cJSON_AddItemToArray(arr, r);
    }
    for (const cJSON *el = items; el; el = el->next) {
        cJSON *r = item_value ? map_value(c, el, item_value, consent) : NULL;
        if (r) cJSON_AddItemToArray(arr, r);
    }
    rj_delete(list);
    rj_delete(*result);
    *result = arr;
    *changed = 1;
    return 0;
}

static int do_map(map_ctx_t *c, const cJSON *input, const cJSON *map, const cJSON *consent,
                  cJSON **result, int *changed) {
    if (!mv_is_plain_object(map)) return fail(c, "map must be an object, got %s", mv_type_name(map));
    cJSON *obj = rj_object();
    for (const cJSON *e = map->child; e; e = e->next) {
        cJSON *r = map_value(c, input, e, consent);
        if (r) { /* key owned by the config, which outlives results; so is its plainness */
            rj_add_const(obj, e->string, r);
            r->type |= e->type & RJ_PLAIN_KEY;
        }
    }
    rj_delete(*result);
    *result = obj;
    *changed = 1;
    return 0;
}

static int do_set(map_ctx_t *c, const cJSON *input, const cJSON *set, const cJSON *consent,
                  cJSON **result, int *changed) {
    if (!rj_is_array(set)) return fail(c, "set must be an array, got %s", mv_type_name(set));
    cJSON *arr = rj_array();
    for (const cJSON *e = set->child; e; e = e->next) {
        cJSON *r = NULL;
        if (process(c, input, e, consent, &r) != 0) { /* set entries share one element's fate */
            rj_delete(arr);
            return -1;
        }
        cJSON_AddItemToArray(arr, r ? r : mv_undef_new());
    }
    rj_delete(*result);
    *result = arr;
    *changed = 1;
    return 0;
}

/* One Value (§4.2).  0 with *out (NULL = undefined), or -1 when it "throws". */
static int process(map_ctx_t *c, const cJSON *input, const cJSON *item, const cJSON *consent,
                   cJSON **out) {
    *out = NULL;
    if (rj_is_array(item)) { /* nested array: first truthy, else the last result */
        cJSON *last = NULL;
        for (const cJSON *el = item->child; el; el = el->next) {
            cJSON *r = NULL;
            if (process(c, input, el, consent, &r) != 0) { rj_delete(last); return -1; }
            rj_delete(last);
            last = r;
            if (mv_truthy(r)) break;
        }
        *out = last;
        return 0;
    }
    if (rj_is_null(item)) return fail(c, "a mapping Value is null%s", NULL);
    if (rj_is_string(item)) {
        *out = value_at_path(input, item);
        return 0;
    }
    if (!mv_is_plain_object(item) || !item->child) return 0; /* {} / numbers / booleans */

    /* one pass over the config's members (a Value is evaluated for every event) */
    const cJSON *condition = NULL, *required = NULL, *value_m = NULL, *fn = NULL, *key = NULL,
                *validate = NULL, *loop = NULL, *map = NULL, *set = NULL;
    for (const cJSON *m = item->child; m; m = m->next) {
        const char *k = m->string;
        if (!k) continue;
        switch (k[0]) {
        case 'c': if (!strcmp(k, "condition")) condition = m; else if (!strcmp(k, "consent")) required = m; break;
        case 'v': if (!strcmp(k, "value")) value_m = m; else if (!strcmp(k, "validate")) validate = m; break;
        case 'f': if (!strcmp(k, "fn")) fn = m; break;
        case 'k': if (!strcmp(k, "key")) key = m; break;
        case 'l': if (!strcmp(k, "loop")) loop = m; break;
        case 'm': if (!strcmp(k, "map")) map = m; break;
        case 's': if (!strcmp(k, "set")) set = m; break;
        default: break;
        }
    }
    if (!mv_truthy(condition)) condition = NULL;
    if (!mv_truthy(required)) required = NULL;
    if (!mv_truthy(fn)) fn = NULL;
    if (!mv_truthy(key)) key = NULL;
    if (!mv_truthy(validate)) validate = NULL;
    if (!mv_truthy(loop)) loop = NULL;
    if (!mv_truthy(map)) map = NULL;
    if (!mv_truthy(set)) set = NULL;

    if (condition) {
        cJSON *r = NULL;
        if (map_call_fn(c, "condition", condition, input, item, consent, &r) != 0) {
            c->failed++;
            return 0;
        }
        int ok = mv_truthy(r);
        rj_delete(r);
        if (!ok) return 0;
    }
    if (required && !map_grant(required, consent, NULL, NULL)) {
        *out = mv_dup(value_m);
        return 0;
    }
    /* The result starts as the static value or the whole input; it is only borrowed
     * (not copied) until a step replaces it, since copying the event is the costly part. */
    const cJSON *borrowed = value_m ? value_m : input;
    cJSON *result = NULL;
    int owned = 0;
    if (fn) {
        if (map_call_fn(c, "fn", fn, input, item, consent, &result) != 0) c->failed++;
        owned = 1;
    }
    if (key) {
        if (!rj_is_string(key)) {
            rj_delete(result);
            return fail(c, "key must be a string, got %s", mv_type_name(key));
        }
        rj_delete(result);
        result = map_by_path(input, key->valuestring, strlen(key->valuestring), value_m);
        owned = 1;
    }
    int rc = 0;
    if (loop) rc = do_loop(c, input, loop, consent, &result, &owned);
    else if (map) rc = do_map(c, input, map, consent, &result, &owned);
    else if (set) rc = do_set(c, input, set, consent, &result, &owned);
    if (rc != 0) { rj_delete(result); return -1; }
    if (validate) {
        cJSON *r = NULL;
        int ok = 0;
        if (map_call_fn(c, "validate", validate, owned ? result : borrowed, item, consent, &r) == 0) ok = mv_truthy(r);
        else c->failed++;
        rj_delete(r);
        if (!ok) { rj_delete(result); result = NULL; owned = 1; }
    }
    if (!owned) { /* still the static value or the input: copy only if it is returned */
        if (!mv_is_undef(borrowed) && mv_is_property(borrowed)) { *out = mv_dup(borrowed); return 0; }
        *out = value_m && mv_is_property(value_m) && !mv_is_undef(value_m) ? mv_dup(value_m) : NULL;
        return 0;
    }
    *out = finish(result, value_m);
    return 0;
}
