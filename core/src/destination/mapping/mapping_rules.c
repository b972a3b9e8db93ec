/* mapping_rules.c — rule lookup and processEventMapping (spec/walkeros.md §2, §3.2,
 * §3.3): policy, lookup, data, ignore, rename, include, remove. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mapping.h"

/* First rule of a candidate (rule or [rule]) whose condition passes. */
static int resolve(map_ctx_t *c, const cJSON *cand, const cJSON *event, const cJSON **rule) {
    *rule = NULL;
    if (!mv_truthy(cand)) return 0;
    const cJSON *one = cand, *list = rj_is_array(cand) ? cand->child : NULL;
    for (const cJSON *r = rj_is_array(cand) ? list : one; r; r = rj_is_array(cand) ? r->next : NULL) {
        const cJSON *cond = mv_own(r, "condition", 9);
        if (mv_truthy(cond)) {
            cJSON *res = NULL;
            const cJSON *consent = mv_own(event, "consent", 7);
            if (map_call_fn(c, "rule condition", cond, event, r, consent, &res) != 0) return -1;
            int ok = mv_truthy(res);
            rj_delete(res);
            if (!ok) continue;
        }
        *rule = r;
        return 0;
    }
    return 0;
}

/* "<entity> <action>" into key (truncated to fit); runs per event, so no printf. */
static void rule_key(char *key, size_t size, const char *e, size_t elen, const char *a, size_t alen) {
    if (size == 0) return;
    size_t n = 0;
    for (size_t i = 0; i < elen && n + 1 < size; i++) key[n++] = e[i];
    if (n + 1 < size) key[n++] = ' ';
    for (size_t i = 0; i < alen && n + 1 < size; i++) key[n++] = a[i];
    key[n] = '\0';
}

int map_lookup_rule(map_ctx_t *c, const cJSON *mapping, const cJSON *event,
                    const cJSON **rule, char *key, size_t key_size) {
    *rule = NULL;
    if (key_size) key[0] = '\0';
    const cJSON *name = mv_own(event, "name", 4);
    if (!mv_is_plain_object(mapping) || !rj_is_string(name)) return 0;
    const char *s = name->valuestring;
    const char *sp = strchr(s, ' ');
    if (!sp || sp == s) return 0;
    const char *action = sp + 1;
    const char *sp2 = strchr(action, ' ');
    size_t elen = (size_t)(sp - s), alen = sp2 ? (size_t)(sp2 - action) : strlen(action);
    if (alen == 0) return 0;

    const cJSON *eb = mv_own(mapping, s, elen);
    int ent_wild = !mv_truthy(eb);
    if (ent_wild) eb = mv_own(mapping, "*", 1);
    if (mv_truthy(eb)) {
        const cJSON *cand = mv_own(eb, action, alen);
        int act_wild = !mv_truthy(cand);
        if (act_wild) cand = mv_own(eb, "*", 1);
        if (resolve(c, cand, event, rule) != 0) return -1;
        if (*rule) {
            rule_key(key, key_size, ent_wild ? "*" : s, ent_wild ? 1 : elen, act_wild ? "*" : action,
                     act_wild ? 1 : alen);
            return 0;
        }
    }
    const cJSON *any = mv_own(mv_own(mapping, "*", 1), "*", 1);
    if (resolve(c, any, event, rule) != 0) return -1;
    if (*rule) snprintf(key, key_size, "* *");
    return 0;
}

/* Policy: every entry sees the event as it was before the block; written in
 * declaration order (walkerOS writes in completion order, see docs/DESTINATION.md). */
static void apply_policy(map_ctx_t *c, cJSON *event, const cJSON *policy) {
    if (!mv_is_plain_object(policy) || !policy->child) return;
    int n = cJSON_GetArraySize(policy), i = 0;
    cJSON *stack_vals[16];
    cJSON **vals = n <= 16 ? stack_vals : calloc((size_t)n, sizeof *vals);
    if (!vals) return;
    const cJSON *consent = mv_own(event, "consent", 7);
    for (const cJSON *e = policy->child; e; e = e->next) vals[i++] = map_value(c, event, e, consent);
    i = 0;
    for (const cJSON *e = policy->child; e; e = e->next) map_set_path(event, e->string, vals[i++]);
    c->cache_input = NULL; /* the event changed */
    if (vals != stack_vals) free(vals);
}

static int array_contains(const cJSON *arr, const cJSON *v) {
    for (const cJSON *e = arr->child; e; e = e->next)
        if (mv_strict_equal(e, v)) return 1;
    return 0;
}

cJSON *map_merge_data(const cJSON *base, const cJSON *over) {
    cJSON *out = mv_dup(base);
    for (const cJSON *o = over->child; o; o = o->next) {
        cJSON *b = (cJSON *)mv_own(out, o->string, strlen(o->string));
        const cJSON *orig = mv_own(base, o->string, strlen(o->string));
        if (b && rj_is_array(b) && rj_is_array(o) && !mv_is_undef(b)) {
            for (const cJSON *e = o->child; e; e = e->next)
                if (!array_contains(orig, e)) cJSON_AddItemToArray(b, mv_dup(e));
            continue;
        }
        if (b) mv_replace(out, b, mv_dup(o));
        else rj_add(out, o->string, mv_dup(o));
    }
    return out;
}

/* ---- include (§3.3) ---------------------------------------------------------------- */

/* prefix + "_" + name into a buffer of at least n bytes. */
static void join_key(char *out, const char *prefix, const char *name) {
    size_t a = strlen(prefix), b = strlen(name);
    memcpy(out, prefix, a);
    out[a] = '_';
    memcpy(out + a + 1, name, b + 1);
}

static void flatten(cJSON *out, const char *prefix, const cJSON *v, int depth) {
    if (mv_is_undef(v)) return;
    if (mv_is_plain_object(v) && depth < MAP_MAX_DEPTH) {
        for (const cJSON *m = v->child; m; m = m->next) {
            size_t n = strlen(prefix) + strlen(m->string) + 2;
            char stack[256];
            char *key = n <= sizeof stack ? stack : malloc(n);
            if (!key) return;
            join_key(key, prefix, m->string);
            flatten(out, key, m, depth + 1);
            if (key != stack) free(key);
        }
        return;
    }
    cJSON *old = (cJSON *)mv_own(out, prefix, strlen(prefix));
    if (old) mv_replace(out, old, mv_dup(v));
    else rj_add(out, prefix, mv_dup(v));
}

static void include_section(cJSON *out, const cJSON *event, const char *name) {
    cJSON *pseudo = NULL;
    const cJSON *sec;
    if (strcmp(name, "event") == 0) {
        static const char *fields[] = {"entity", "action", "id", "timestamp", "name", "trigger", "timing"};
        pseudo = rj_object();
        for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
            const cJSON *f = mv_own(event, fields[i], strlen(fields[i]));
            if (f) rj_add(pseudo, fields[i], mv_dup(f));
        }
        sec = pseudo;
    } else {
        sec = mv_own(event, name, strlen(name));
    }
    if (!mv_is_plain_object(sec)) { rj_delete(pseudo); return; }
    int is_context = strcmp(name, "context") == 0;
    for (const cJSON *m = sec->child; m; m = m->next) {
        const cJSON *v = m;
        if (is_context && rj_is_array(m)) v = m->child; /* [label, order] -> label */
        if (mv_is_undef(v)) continue;
        size_t n = strlen(name) + strlen(m->string) + 2;
        char stack[256];
        char *key = n <= sizeof stack ? stack : malloc(n);
        if (!key) break;
        join_key(key, name, m->string);
        flatten(out, key, v, 0);
        if (key != stack) free(key);
    }
    rj_delete(pseudo);
}

cJSON *map_include(const cJSON *event, const cJSON *sections) {
    static const char *known[] = {"data", "globals", "context", "user", "source", "event"};
    if (!rj_is_array(sections) || !sections->child) return NULL;
    int all = 0;
    for (const cJSON *s = sections->child; s; s = s->next)
        if (rj_is_string(s) && strcmp(s->valuestring, "all") == 0) all = 1;
    cJSON *out = rj_object();
    if (all) {
        for (size_t i = 0; i < sizeof known / sizeof *known; i++) include_section(out, event, known[i]);
    } else {
        for (const cJSON *s = sections->child; s; s = s->next) {
            if (!rj_is_string(s)) continue;
            for (size_t i = 0; i < sizeof known / sizeof *known; i++)
                if (strcmp(s->valuestring, known[i]) == 0) include_section(out, event, known[i]);
        }
    }
    if (!out->child) { rj_delete(out); return NULL; }
    return out;
}

/* ---- processEventMapping (§3.2) ------------------------------------------------------ */

int map_process_event(map_ctx_t *c, const map_config_t *cfg, cJSON *event, map_result_t *out) {
    memset(out, 0, sizeof *out);
    apply_policy(c, event, cfg->policy);
    const cJSON *rule = NULL;
    if (map_lookup_rule(c, cfg->mapping, event, &rule, out->key, sizeof out->key) != 0) return -1;
    out->rule = rule;
    if (rule) apply_policy(c, event, mv_own(rule, "policy", 6));

    const cJSON *consent = mv_own(event, "consent", 7);
    cJSON *data = NULL;
    if (mv_truthy(cfg->data)) data = map_value(c, event, cfg->data, consent);
    else if (cfg->data && !rj_is_null(cfg->data)) data = mv_dup(cfg->data); /* the falsy value itself */
    else if (cfg->data) data = rj_null();

    if (rule) {
        const cJSON *silent = mv_own(rule, "silent", 6);
        const cJSON *skip = cfg->skip_is_silent ? mv_own(rule, "skip", 4) : NULL;
        out->silent = rj_is_true(silent) || rj_is_true(skip);
        if (mv_truthy(mv_own(rule, "ignore", 6))) {
            rj_delete(data);
            out->ignore = 1;
            return 0;
        }
        const cJSON *rname = mv_own(rule, "name", 4);
        if (mv_truthy(rname) && rj_is_string(rname)) {
            cJSON *old = (cJSON *)mv_own(event, "name", 4);
            cJSON *fresh = rj_string(rname->valuestring);
            if (old) mv_replace(event, old, fresh);
            else rj_add(event, "name", fresh);
        }
        const cJSON *rdata = mv_own(rule, "data", 4);
        if (mv_truthy(rdata)) {
            cJSON *rd = map_value(c, event, rdata, consent);
            if (mv_is_plain_object(data) && mv_is_plain_object(rd)) {
                cJSON *merged = map_merge_data(data, rd);
                rj_delete(data);
                rj_delete(rd);
                data = merged;
            } else {
                rj_delete(data);
                data = rd;
            }
        }
    }

    const cJSON *sections = rule ? mv_own(rule, "include", 7) : NULL;
    if (!sections || rj_is_null(sections)) sections = cfg->include;
    cJSON *inc = map_include(event, sections);
    if (inc) {
        if (mv_is_plain_object(data)) {
            cJSON *merged = map_merge_data(inc, data);
            rj_delete(data);
            data = merged;
        } else if (!data || rj_is_null(data)) {
            rj_delete(data);
            data = inc;
            inc = NULL;
        }
        rj_delete(inc);
    }

    const cJSON *remove = rule ? mv_own(rule, "remove", 6) : NULL;
    if (rj_is_array(remove) && mv_is_plain_object(data))
        for (const cJSON *p = remove->child; p; p = p->next)
            if (rj_is_string(p)) map_delete_path(data, p->valuestring);
    out->data = data;
    return 0;
}
