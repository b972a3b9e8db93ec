/* mapping_check.c — checks a mapping configuration once, when a destination is
 * created: shapes the mapping language cannot use become errors naming the JSON path,
 * and every fn/condition/validate must name a registered callback. */
#include <stdio.h>
#include <string.h>
#include "conf/conf.h"
#include "mapping.h"

typedef struct check {
    const rudder_conf_t *conf;
    char *err;
    size_t size;
} check_t;

static rudder_err_t bad(check_t *k, rudder_err_t code, const char *path, const char *what, const cJSON *v) {
    if (k->err && k->size) snprintf(k->err, k->size, "%s: %s, got %s", path, what, mv_type_name(v));
    return code;
}

/* path + "." + key (or "[i]") into a fresh buffer. */
static void join(char *out, size_t n, const char *path, const char *key) {
    snprintf(out, n, "%.300s%s%.200s", path, path[0] ? "." : "", key);
}
static void join_index(char *out, size_t n, const char *path, int i) { snprintf(out, n, "%.490s[%d]", path, i); }

static rudder_err_t check_fn(check_t *k, const cJSON *v, const char *path) {
    if (!rj_is_string(v)) return bad(k, RUDDER_ERR_MAPPING, path, "expected the name of a registered callback", v);
    rudder_fn_cb fn;
    void *opaque;
    if (!k->conf || conf_find_fn(k->conf, v->valuestring, &fn, &opaque) != 0) {
        if (k->err && k->size)
            snprintf(k->err, k->size, "%s: no callback registered as '%.80s' (register it with rudder_conf_set_fn)",
                     path, v->valuestring);
        return RUDDER_ERR_UNKNOWN_FN;
    }
    return RUDDER_OK;
}

static rudder_err_t value(check_t *k, const cJSON *v, const char *path, int depth);

static rudder_err_t value_config(check_t *k, const cJSON *v, const char *path, int depth) {
    char p[512];
    rudder_err_t e;
    for (const cJSON *m = v->child; m; m = m->next) {
        join(p, sizeof p, path, m->string);
        const char *n = m->string;
        if (strcmp(n, "value") == 0) continue; /* any JSON constant */
        if (strcmp(n, "key") == 0) {
            if (!rj_is_string(m)) return bad(k, RUDDER_ERR_MAPPING, p, "expected a dot path string", m);
        } else if (!strcmp(n, "fn") || !strcmp(n, "condition") || !strcmp(n, "validate")) {
            if ((e = check_fn(k, m, p)) != RUDDER_OK) return e;
        } else if (strcmp(n, "consent") == 0) {
            if (!mv_is_plain_object(m)) return bad(k, RUDDER_ERR_MAPPING, p, "expected an object of consent states", m);
        } else if (strcmp(n, "map") == 0) {
            if (!mv_is_plain_object(m)) return bad(k, RUDDER_ERR_MAPPING, p, "expected an object of Values", m);
            for (const cJSON *e2 = m->child; e2; e2 = e2->next) {
                char q[512];
                join(q, sizeof q, p, e2->string);
                if ((e = value(k, e2, q, depth + 1)) != RUDDER_OK) return e;
            }
        } else if (strcmp(n, "set") == 0) {
            if (!rj_is_array(m)) return bad(k, RUDDER_ERR_MAPPING, p, "expected an array of Values", m);
            if ((e = value(k, m, p, depth + 1)) != RUDDER_OK) return e;
        } else if (strcmp(n, "loop") == 0) {
            if (!rj_is_array(m) || cJSON_GetArraySize(m) != 2)
                return bad(k, RUDDER_ERR_MAPPING, p, "expected [source, item] (two Values)", m);
            if ((e = value(k, m, p, depth + 1)) != RUDDER_OK) return e;
        } else {
            if (k->err && k->size)
                snprintf(k->err, k->size, "%s: unknown key (a Value takes key, value, map, loop, set, "
                         "consent, fn, condition, validate)", p);
            return RUDDER_ERR_MAPPING;
        }
    }
    return RUDDER_OK;
}

static rudder_err_t value(check_t *k, const cJSON *v, const char *path, int depth) {
    if (depth > MAP_MAX_DEPTH) return bad(k, RUDDER_ERR_TOO_DEEP, path, "mapping nested too deeply", v);
    if (rj_is_null(v)) return bad(k, RUDDER_ERR_MAPPING, path, "expected a Value (path string, object or array)", v);
    if (rj_is_array(v)) {
        int i = 0;
        for (const cJSON *e = v->child; e; e = e->next, i++) {
            char p[512];
            join_index(p, sizeof p, path, i);
            rudder_err_t r = value(k, e, p, depth + 1);
            if (r != RUDDER_OK) return r;
        }
        return RUDDER_OK;
    }
    if (mv_is_plain_object(v)) return value_config(k, v, path, depth);
    return RUDDER_OK; /* strings are paths; numbers/booleans give undefined as in walkerOS */
}

rudder_err_t map_check_value(const cJSON *v, const char *path, const rudder_conf_t *conf,
                             char *errstr, size_t errstr_size) {
    check_t k = {conf, errstr, errstr_size};
    if (!v) return RUDDER_OK;
    return value(&k, v, path, 0);
}

static rudder_err_t string_list(check_t *k, const cJSON *v, const char *path) {
    if (!rj_is_array(v)) return bad(k, RUDDER_ERR_MAPPING, path, "expected an array of strings", v);
    int i = 0;
    for (const cJSON *e = v->child; e; e = e->next, i++) {
        if (rj_is_string(e)) continue;
        char p[512];
        join_index(p, sizeof p, path, i);
        return bad(k, RUDDER_ERR_MAPPING, p, "expected a string", e);
    }
    return RUDDER_OK;
}

static rudder_err_t rule(check_t *k, const cJSON *r, const char *path) {
    if (!mv_is_plain_object(r)) return bad(k, RUDDER_ERR_MAPPING, path, "expected a rule object", r);
    char p[512];
    rudder_err_t e = RUDDER_OK;
    for (const cJSON *m = r->child; m && e == RUDDER_OK; m = m->next) {
        const char *n = m->string;
        join(p, sizeof p, path, n);
        if (strcmp(n, "name") == 0) {
            if (!rj_is_string(m)) e = bad(k, RUDDER_ERR_MAPPING, p, "expected a string", m);
        } else if (strcmp(n, "data") == 0) {
            e = value(k, m, p, 1);
        } else if (strcmp(n, "include") == 0 || strcmp(n, "remove") == 0) {
            e = string_list(k, m, p);
        } else if (strcmp(n, "policy") == 0) {
            if (!mv_is_plain_object(m)) e = bad(k, RUDDER_ERR_MAPPING, p, "expected an object {path: Value}", m);
            for (const cJSON *x = mv_is_plain_object(m) ? m->child : NULL; x && e == RUDDER_OK; x = x->next) {
                char q[512];
                join(q, sizeof q, p, x->string);
                e = value(k, x, q, 1);
            }
        } else if (strcmp(n, "condition") == 0) {
            e = check_fn(k, m, p);
        } else if (strcmp(n, "consent") == 0) {
            if (!mv_is_plain_object(m)) e = bad(k, RUDDER_ERR_MAPPING, p, "expected an object of consent states", m);
        } else if (strcmp(n, "settings") == 0) {
            if (!mv_is_plain_object(m)) { e = bad(k, RUDDER_ERR_MAPPING, p, "expected an object", m); break; }
            for (const cJSON *s = m->child; s && e == RUDDER_OK; s = s->next) {
                char q[512];
                join(q, sizeof q, p, s->string);
                if ((!strcmp(s->string, "page") || !strcmp(s->string, "screen")) && rj_is_bool(s)) continue;
                if (!strcmp(s->string, "identify") || !strcmp(s->string, "group") || !strcmp(s->string, "page") ||
                    !strcmp(s->string, "screen") || !strcmp(s->string, "alias")) {
                    if (!rj_is_null(s)) e = value(k, s, q, 1);
                } else {
                    if (k->err && k->size)
                        snprintf(k->err, k->size, "%s: unknown rule setting (identify, group, page, screen, alias)", q);
                    e = RUDDER_ERR_MAPPING;
                }
            }
        } else if (!strcmp(n, "ignore") || !strcmp(n, "silent") || !strcmp(n, "skip") ||
                   !strcmp(n, "batch") || !strcmp(n, "extend")) {
            /* flags and fields without effect here; any JSON */
        } else {
            if (k->err && k->size)
                snprintf(k->err, k->size, "%s: unknown rule field (name, data, include, remove, policy, "
                         "ignore, silent, skip, settings, condition, consent, batch)", p);
            e = RUDDER_ERR_MAPPING;
        }
    }
    return e;
}

rudder_err_t map_check_rules(const cJSON *mapping, const rudder_conf_t *conf,
                             char *errstr, size_t errstr_size) {
    check_t k = {conf, errstr, errstr_size};
    if (!mapping || rj_is_null(mapping)) return RUDDER_OK;
    if (!mv_is_plain_object(mapping)) return bad(&k, RUDDER_ERR_MAPPING, "mapping", "expected an object {entity: {action: rule}}", mapping);
    for (const cJSON *ent = mapping->child; ent; ent = ent->next) {
        char p[512];
        join(p, sizeof p, "mapping", ent->string);
        if (!mv_is_plain_object(ent)) return bad(&k, RUDDER_ERR_MAPPING, p, "expected an object {action: rule}", ent);
        for (const cJSON *act = ent->child; act; act = act->next) {
            char q[512];
            join(q, sizeof q, p, act->string);
            rudder_err_t e;
            if (rj_is_array(act)) {
                int i = 0;
                for (const cJSON *r = act->child; r; r = r->next, i++) {
                    char s[512];
                    join_index(s, sizeof s, q, i);
                    if ((e = rule(&k, r, s)) != RUDDER_OK) return e;
                }
            } else if ((e = rule(&k, act, q)) != RUDDER_OK) {
                return e;
            }
        }
    }
    return RUDDER_OK;
}
