/* destination_calls.c — what the RudderStack destination sends for one mapped event
 * (spec/walkeros.md §6.3): identity, identify, group, page, screen, alias, track, in
 * that order.  Dedup is walkerOS's single slot in "walkeros" mode, else per identity. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "client/client_internal.h"
#include "destination.h"
#include "json/json.h"

void dest_calls_free(dest_calls_t *c) {
    for (size_t i = 0; i < c->n; i++) rj_delete(c->v[i].params);
    free(c->v);
    memset(c, 0, sizeof *c);
}

int dest_calls_add(dest_calls_t *c, rudder_call_type_t type, cJSON *params) {
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        dest_call_t *v = realloc(c->v, cap * sizeof *v);
        if (!v) { rj_delete(params); return -1; }
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n].type = type;
    c->v[c->n].params = params;
    c->n++;
    return 0;
}

/* A resolved id: kept only when it is a non-empty string.  The usual "user.id" is a
 * lookup that points into the event (which outlives the calls); a Value that builds its
 * result is copied into *owned, which the caller frees. */
static const char *resolve_id(map_ctx_t *mc, const cJSON *event, const cJSON *setting, char **owned) {
    *owned = NULL;
    if (!mv_truthy(setting)) return NULL;
    if (rj_is_string(setting)) {
        const char *rest;
        const cJSON *v = map_peek_path(event, setting->valuestring, strlen(setting->valuestring), &rest);
        if (!rest) return rj_is_string(v) && !mv_is_undef(v) && v->valuestring[0] ? v->valuestring : NULL;
    }
    cJSON *v = map_value(mc, event, setting, mv_own(event, "consent", 7));
    if (rj_is_string(v) && v->valuestring[0]) *owned = strdup(v->valuestring);
    rj_delete(v);
    return *owned;
}

/* JSON text with object keys sorted, so trait order does not matter (default mode). */
static int cmp_members(const void *a, const void *b) {
    return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}
static void canonical(const cJSON *v, rbuf_t *out) {
    if (mv_is_plain_object(v)) {
        size_t n = 0;
        for (const cJSON *m = v->child; m; m = m->next) n++;
        const cJSON *few[16]; /* traits are usually a handful of keys: no allocation */
        const cJSON **ms = n <= 16 ? few : malloc(n * sizeof *ms);
        if (!ms) { out->oom = 1; return; }
        n = 0;
        for (const cJSON *m = v->child; m; m = m->next) ms[n++] = m;
        if (n > 1) qsort(ms, n, sizeof *ms, cmp_members);
        rbuf_putc(out, '{');
        for (size_t i = 0; i < n; i++) {
            if (i) rbuf_putc(out, ',');
            rbuf_json_string(out, ms[i]->string, strlen(ms[i]->string));
            rbuf_putc(out, ':');
            canonical(ms[i], out);
        }
        rbuf_putc(out, '}');
        if (ms != few) free(ms);
    } else if (v && (v->type & 0xFF) == cJSON_Array) {
        rbuf_putc(out, '[');
        for (const cJSON *e = v->child; e; e = e->next) {
            if (e != v->child) rbuf_putc(out, ',');
            canonical(e, out);
        }
        rbuf_putc(out, ']');
    } else {
        rj_print_to(v, out);
    }
}

/* Hash text of traits: JSON.stringify order in walkerOS mode, sorted keys otherwise. */
static char *traits_text(const cJSON *traits, int walkeros) {
    if (!traits) return strdup("");
    if (walkeros) return rj_print(traits);
    rbuf_t b = RBUF_INIT;
    canonical(traits, &b);
    return rbuf_detach(&b);
}

/* Literal keys are added without copying (cJSON's CS variant); params are built per call. */
#define ADD(obj, key, item) rj_add_const((obj), (key), (item))

static cJSON *base_params(const char *uid, const char *aid, int64_t ts) {
    cJSON *p = rj_object();
    if (uid) ADD(p, "userId", rj_string(uid));
    if (aid) ADD(p, "anonymousId", rj_string(aid));
    ADD(p, "timestamp", rj_number((double)ts));
    return p;
}

static void set_member(cJSON *obj, const char *key, cJSON *value) {
    cJSON *old = (cJSON *)mv_own(obj, key, strlen(key));
    if (old) mv_replace(obj, old, value);
    else rj_add(obj, key, value);
}

typedef struct call_env {
    rudder_dest_t *d;
    map_ctx_t *mc;
    const cJSON *event;
    const cJSON *rule_settings;
    const char *uid, *aid;
    char idkey[600];   /* identity key for per-identity dedup */
    size_t idkey_len;
    int64_t ts;
    dest_calls_t *out;
    char *errstr;
    size_t errstr_size;
    rudder_err_t err;  /* first call error */
} call_env_t;

/* Default mode extras: a messageId derived from event.id and the call, integrations. */
static void add_call(call_env_t *e, rudder_call_type_t type, cJSON *params) {
    rudder_dest_t *d = e->d;
    if (!d->walkeros) {
        const cJSON *id = mv_own(e->event, "id", 2);
        if (rj_is_string(id) && id->valuestring[0] && strlen(id->valuestring) <= 200) {
            char mid[256];
            size_t n = strlen(id->valuestring);
            const char *call = rudder_call_name(type);
            memcpy(mid, id->valuestring, n);
            mid[n] = '-';
            memcpy(mid + n + 1, call, strlen(call) + 1);
            ADD(params, "messageId", rj_string(mid));
        }
        if (mv_is_plain_object(d->s_integrations))
            ADD(params, "integrations", mv_dup(d->s_integrations));
    }
    if (dest_calls_add(e->out, type, params) == 0) d->stats.calls++;
}

/* A call the data plane would reject: counted, reported, the rest goes on. */
static void call_error(call_env_t *e, rudder_err_t code, const char *msg) {
    e->d->stats.call_errors++;
    if (e->d->client) {
        client_count_rejected(e->d->client, code);
        client_log(e->d->client, RUDDER_LOG_WARN, "walkerOS destination: %s", msg);
    }
    if (e->err == RUDDER_OK) {
        e->err = code;
        snprintf(e->errstr, e->errstr_size, "%s", msg);
    }
}

/* rule.settings.<name> unless absent or null, else the destination setting. */
static const cJSON *pick(const call_env_t *e, const char *name, const cJSON *dest_level) {
    const cJSON *r = mv_own(e->rule_settings, name, strlen(name));
    if (r && !rj_is_null(r)) return r;
    return dest_level;
}

static cJSON *resolve(call_env_t *e, const cJSON *value) {
    cJSON *r = map_value(e->mc, e->event, value, mv_own(e->event, "consent", 7));
    if (r) mv_clear_undef(r);
    return r;
}

static void do_identify(call_env_t *e) {
    rudder_dest_t *d = e->d;
    const cJSON *m = pick(e, "identify", d->s_identify);
    if (!m) return;
    cJSON *r = resolve(e, m);
    if (!mv_is_plain_object(r)) { rj_delete(r); return; }
    const cJSON *ruid = mv_own(r, "userId", 6);
    const char *uid = rj_is_string(ruid) ? ruid->valuestring : e->uid;
    const cJSON *traits = mv_own(r, "traits", 6);
    if (!mv_is_plain_object(traits)) traits = NULL;
    if (dedup_identify_fires(d, e->idkey, e->idkey_len, uid, traits_text(traits, d->walkeros))) {
        cJSON *p = base_params(e->uid, e->aid, e->ts);
        if (mv_truthy(ruid) && rj_is_string(ruid)) set_member(p, "userId", rj_string(uid));
        if (traits) ADD(p, "traits", mv_dup(traits));
        add_call(e, RUDDER_IDENTIFY, p);
    } else {
        d->stats.identify_deduped++;
    }
    rj_delete(r);
}

static void do_group(call_env_t *e) {
    rudder_dest_t *d = e->d;
    const cJSON *m = pick(e, "group", d->s_group);
    if (!m) return;
    cJSON *r = resolve(e, m);
    const cJSON *gid = mv_own(r, "groupId", 7);
    if (!mv_is_plain_object(r) || !rj_is_string(gid) || !gid->valuestring[0]) { rj_delete(r); return; }
    const cJSON *traits = mv_own(r, "traits", 6);
    if (!mv_is_plain_object(traits)) traits = NULL;
    if (dedup_group_fires(d, e->idkey, e->idkey_len, gid->valuestring, traits_text(traits, d->walkeros))) {
        cJSON *p = base_params(e->uid, e->aid, e->ts);
        ADD(p, "groupId", rj_string(gid->valuestring));
        if (traits) ADD(p, "traits", mv_dup(traits));
        add_call(e, RUDDER_GROUP, p);
    } else {
        d->stats.group_deduped++;
    }
    rj_delete(r);
}

static void do_page_like(call_env_t *e, const char *name, rudder_call_type_t type) {
    const cJSON *m = mv_own(e->rule_settings, name, strlen(name));
    if (!m || rj_is_null(m)) return;
    if (rj_is_true(m)) {
        cJSON *p = base_params(e->uid, e->aid, e->ts);
        ADD(p, "name", rj_string(""));
        add_call(e, type, p);
        return;
    }
    cJSON *r = resolve(e, m);
    if (mv_is_plain_object(r)) {
        const cJSON *n = mv_own(r, "name", 4);
        const cJSON *props = mv_own(r, "properties", 10);
        cJSON *p = base_params(e->uid, e->aid, e->ts);
        ADD(p, "name", rj_string(rj_is_string(n) ? n->valuestring : ""));
        if (mv_is_plain_object(props)) ADD(p, "properties", mv_dup(props));
        add_call(e, type, p);
    }
    rj_delete(r);
}

static void do_alias(call_env_t *e) {
    const cJSON *m = mv_own(e->rule_settings, "alias", 5);
    if (!m || rj_is_null(m)) return;
    cJSON *r = resolve(e, m);
    const cJSON *prev = mv_own(r, "previousId", 10);
    if (mv_is_plain_object(r) && rj_is_string(prev) && prev->valuestring[0]) {
        if (!e->uid && !e->d->walkeros) {
            call_error(e, RUDDER_ERR_MISSING_USER_ID,
                       "rule.settings.alias: alias needs a userId and none resolved; alias not sent");
        } else {
            cJSON *p = rj_object();
            ADD(p, "previousId", rj_string(prev->valuestring));
            ADD(p, "timestamp", rj_number((double)e->ts));
            if (e->uid) ADD(p, "userId", rj_string(e->uid));
            add_call(e, RUDDER_ALIAS, p);
        }
    }
    rj_delete(r);
}

static void do_track(call_env_t *e, map_result_t *m) {
    const cJSON *rname = mv_own(m->rule, "name", 4);
    const cJSON *ename = mv_own(e->event, "name", 4);
    const char *name = rj_is_string(rname) ? rname->valuestring
                       : rj_is_string(ename) ? ename->valuestring : "";
    if (!name[0] && !e->d->walkeros) {
        call_error(e, RUDDER_ERR_MISSING_EVENT, "rule.name: track needs a non-empty event name; track not sent");
        return;
    }
    cJSON *p = base_params(e->uid, e->aid, e->ts);
    ADD(p, "event", rj_string(name));
    cJSON *props;
    if (mv_is_plain_object(m->data)) { /* the data is this call's; move it instead of copying */
        props = m->data;
        m->data = NULL;
    } else {
        props = rj_object();
    }
    mv_clear_undef(props);
    ADD(p, "properties", props);
    add_call(e, RUDDER_TRACK, p);
}

dest_outcome_t dest_make_calls(rudder_dest_t *d, const cJSON *event, map_result_t *m,
                               dest_calls_t *out, char *errstr, size_t errstr_size, rudder_err_t *err) {
    map_ctx_t mc;
    map_ctx_init(&mc, event, d->c_consent, d->conf);
    char *uid_owned, *aid_owned;
    const char *uid = resolve_id(&mc, event, d->s_user_id, &uid_owned);
    const char *aid = resolve_id(&mc, event, d->s_anonymous_id, &aid_owned);
    *err = RUDDER_OK;
    if (!uid && !aid) {
        const cJSON *name = mv_own(event, "name", 4), *id = mv_own(event, "id", 2);
        snprintf(errstr, errstr_size, "event '%.80s' (id %.40s) skipped: neither userId nor anonymousId resolved to a non-empty string",
                 rj_is_string(name) ? name->valuestring : "?", rj_is_string(id) ? id->valuestring : "?");
        d->stats.no_identity++;
        if (d->client) {
            client_count_rejected(d->client, RUDDER_ERR_NO_IDENTITY);
            client_log(d->client, RUDDER_LOG_WARN, "walkerOS destination: %s", errstr);
        }
        *err = RUDDER_ERR_NO_IDENTITY;
        d->stats.mapping_errors += mc.failed;
        free(uid_owned);
        free(aid_owned);
        return DEST_NO_IDENTITY;
    }
    call_env_t e = {0};
    e.d = d;
    e.mc = &mc;
    e.event = event;
    e.rule_settings = mv_own(m->rule, "settings", 8);
    if (!mv_is_plain_object(e.rule_settings)) e.rule_settings = NULL;
    e.uid = uid;
    e.aid = aid;
    const char *who = uid ? uid : aid; /* dedup key: "u\x1f<userId>" or "a\x1f<anonymousId>" */
    size_t wn = strlen(who);
    if (wn > sizeof e.idkey - 3) wn = sizeof e.idkey - 3;
    e.idkey[0] = uid ? 'u' : 'a';
    e.idkey[1] = '\x1f';
    memcpy(e.idkey + 2, who, wn);
    e.idkey[2 + wn] = '\0';
    e.idkey_len = 2 + wn;
    e.ts = walker_event_time_ms(event);
    e.out = out;
    e.errstr = errstr;
    e.errstr_size = errstr_size;

    do_identify(&e);
    do_group(&e);
    do_page_like(&e, "page", RUDDER_PAGE);
    do_page_like(&e, "screen", RUDDER_SCREEN);
    do_alias(&e);
    if (!m->silent) do_track(&e, m);

    d->stats.mapping_errors += mc.failed;
    if (mc.failed && d->client)
        client_log(d->client, RUDDER_LOG_WARN, "walkerOS destination: mapping error (value treated as undefined): %s", mc.error);
    free(uid_owned);
    free(aid_owned);
    *err = e.err;
    return DEST_SENT;
}
