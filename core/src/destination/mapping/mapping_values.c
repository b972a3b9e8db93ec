/* mapping_values.c — JavaScript value semantics on cJSON (undefined, truthiness,
 * the Property check, ===) and consent grant (spec/walkeros.md §1.3, §4.6). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "mapping.h"

cJSON *mv_undef_new(void) {
    cJSON *n = rj_null();
    if (n) n->type |= MV_UNDEF_FLAG;
    return n;
}


int mv_is_property(const cJSON *v) {
    if (mv_is_undef(v)) return 1;
    switch (v->type & 0xFF) {
    case cJSON_True:
    case cJSON_False:
    case cJSON_String: return 1;
    case cJSON_Number: return !isnan(v->valuedouble);
    case cJSON_Array:
    case cJSON_Object:
        for (const cJSON *c = v->child; c; c = c->next)
            if (!mv_is_property(c)) return 0;
        return 1;
    default: return 0; /* null, raw, invalid */
    }
}

int mv_strict_equal(const cJSON *a, const cJSON *b) {
    if (mv_is_undef(a) || mv_is_undef(b)) return mv_is_undef(a) && mv_is_undef(b);
    int ta = a->type & 0xFF, tb = b->type & 0xFF;
    if (ta != tb) return 0;
    switch (ta) {
    case cJSON_True:
    case cJSON_False:
    case cJSON_NULL: return 1;
    case cJSON_Number: return a->valuedouble == b->valuedouble;
    case cJSON_String: return strcmp(a->valuestring, b->valuestring) == 0;
    default: return 0; /* objects and arrays compare by identity */
    }
}

cJSON *mv_dup(const cJSON *v) { return rj_dup(v); }

const cJSON *mv_own(const cJSON *obj, const char *key, size_t n) {
    if (!obj || (obj->type & 0xFF) != cJSON_Object) return NULL;
    if (n == 0) {
        for (const cJSON *c = obj->child; c; c = c->next)
            if (c->string && !c->string[0]) return c;
        return NULL;
    }
    /* the hot loop of every lookup: one byte compared per member until the first matches */
    const char k0 = key[0];
    for (const cJSON *c = obj->child; c; c = c->next) {
        const char *s = c->string;
        if (!s || s[0] != k0) continue;
        size_t i = 1; /* stops at s's terminator: s may be shorter than n */
        while (i < n && s[i] == key[i]) i++;
        if (i == n && s[n] == '\0') return c;
    }
    return NULL;
}

void mv_clear_undef(cJSON *v) {
    for (; v; v = v->next) {
        v->type &= ~MV_UNDEF_FLAG;
        if (v->child) mv_clear_undef(v->child);
    }
}

const char *mv_type_name(const cJSON *v) {
    if (mv_is_undef(v)) return "undefined";
    switch (v->type & 0xFF) {
    case cJSON_True:
    case cJSON_False: return "a boolean";
    case cJSON_NULL: return "null";
    case cJSON_Number: return "a number";
    case cJSON_String: return "a string";
    case cJSON_Array: return "an array";
    case cJSON_Object: return "an object";
    default: return "an invalid value";
    }
}

int map_grant(const cJSON *required, const cJSON *state, const cJSON *individual,
              cJSON **granted_out) {
    if (granted_out) *granted_out = NULL;
    const cJSON *st = mv_is_plain_object(state) ? state : NULL;
    const cJSON *in = mv_is_plain_object(individual) ? individual : NULL;
    int ok = 1;
    if (mv_is_plain_object(required) && required->child) {
        ok = 0;
        for (const cJSON *r = required->child; r && !ok; r = r->next) {
            if (!mv_truthy(r)) continue;
            size_t n = strlen(r->string);
            const cJSON *m = in ? mv_own(in, r->string, n) : NULL; /* individual overrides state */
            if (!m && st) m = mv_own(st, r->string, n);
            if (mv_truthy(m)) ok = 1;
        }
    }
    if (!ok || !granted_out) return ok;
    cJSON *g = rj_object();
    for (const cJSON *s = st ? st->child : NULL; s; s = s->next) {
        const cJSON *m = in ? mv_own(in, s->string, strlen(s->string)) : NULL;
        if (mv_truthy(m ? m : s)) rj_add(g, s->string, rj_bool(1));
    }
    for (const cJSON *s = in ? in->child : NULL; s; s = s->next) {
        if (st && mv_own(st, s->string, strlen(s->string))) continue; /* placed above */
        if (mv_truthy(s)) rj_add(g, s->string, rj_bool(1));
    }
    *granted_out = g;
    return 1;
}

void mv_replace(cJSON *obj, cJSON *old, cJSON *value) {
    if (!value) return;
    if ((obj->type & 0xFF) == cJSON_Object && old->string && rj_set_key(value, old->string) != 0) {
        rj_delete(value);
        return;
    }
    rj_replace(obj, old, value);
}

void mv_set(cJSON *obj, const char *key, cJSON *value) {
    cJSON *old = (cJSON *)mv_own(obj, key, strlen(key));
    if (old) mv_replace(obj, old, value);
    else rj_add(obj, key, value);
}
