/* destination.c — the public walkerOS destination API (ruddercore.h §4): creation from
 * the walkerOS destination config, push, push_many, map, command, stats, destroy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "client/client_internal.h"
#include "conf/conf.h"
#include "destination.h"
#include "base/base.h"
#include "json/json.h"

#define ERR(...) do { if (errstr && errstr_size) snprintf(errstr, errstr_size, __VA_ARGS__); } while (0)

/* A JSON-typed setting, parsed; NULL when unset or JSON null. */
static int parse_setting(const rudder_conf_t *conf, const char *name, cJSON **out,
                         char *errstr, size_t errstr_size) {
    *out = NULL;
    const char *text = conf_json(conf, name);
    if (!text) return 0;
    rudder_err_t e;
    char msg[160];
    cJSON *v = rj_parse(text, strlen(text), 0, &e, msg, sizeof msg);
    if (!v) { ERR("settings.%s: %s", name, msg); return -1; }
    if (rj_is_null(v)) { rj_delete(v); return 0; }
    *out = v;
    return 0;
}

static rudder_err_t check_config(rudder_dest_t *d, char *errstr, size_t errstr_size) {
    rudder_err_t e;
    if ((e = map_check_rules(d->map.mapping, d->conf, errstr, errstr_size)) != RUDDER_OK) return e;
    if (d->map.data && !rj_is_null(d->map.data) &&
        (e = map_check_value(d->map.data, "data", d->conf, errstr, errstr_size)) != RUDDER_OK) return e;
    const cJSON *policy = d->map.policy;
    if (policy && !rj_is_null(policy)) {
        if (!mv_is_plain_object(policy)) { ERR("policy: expected an object {path: Value}, got %s", mv_type_name(policy)); return RUDDER_ERR_MAPPING; }
        for (const cJSON *p = policy->child; p; p = p->next) {
            char path[300];
            snprintf(path, sizeof path, "policy.%.280s", p->string);
            if ((e = map_check_value(p, path, d->conf, errstr, errstr_size)) != RUDDER_OK) return e;
        }
    }
    const cJSON *inc = d->map.include;
    if (inc && !rj_is_null(inc)) {
        if (!rj_is_array(inc)) { ERR("include: expected an array of section names, got %s", mv_type_name(inc)); return RUDDER_ERR_MAPPING; }
        int i = 0;
        for (const cJSON *s = inc->child; s; s = s->next, i++)
            if (!rj_is_string(s)) { ERR("include[%d]: expected a string, got %s", i, mv_type_name(s)); return RUDDER_ERR_MAPPING; }
    }
    const cJSON *consent = d->consent_required;
    if (consent && !rj_is_null(consent) && !mv_is_plain_object(consent)) {
        ERR("consent: expected an object of consent states, got %s", mv_type_name(consent));
        return RUDDER_ERR_MAPPING;
    }
    struct { const char *name; const cJSON *v; } vals[] = {
        {"settings.userId", d->s_user_id}, {"settings.anonymousId", d->s_anonymous_id},
        {"settings.identify", d->s_identify}, {"settings.group", d->s_group}};
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++)
        if ((e = map_check_value(vals[i].v, vals[i].name, d->conf, errstr, errstr_size)) != RUDDER_OK) return e;
    if (d->s_integrations && !mv_is_plain_object(d->s_integrations)) {
        ERR("settings.integrations: expected an object, got %s", mv_type_name(d->s_integrations));
        return RUDDER_ERR_CONFIG;
    }
    return RUDDER_OK;
}

rudder_dest_t *rudder_dest_new(const char *config_json, size_t len, const rudder_conf_t *base,
                               char *errstr, size_t errstr_size) {
    if (errstr && errstr_size) errstr[0] = '\0';
    if (!config_json) { ERR("rudder_dest_new: config is required"); return NULL; }
    rudder_err_t e;
    char msg[200];
    cJSON *config = rj_parse(config_json, len, 0, &e, msg, sizeof msg);
    if (!config) { ERR("config: %s", msg); return NULL; }
    if (!mv_is_plain_object(config)) {
        ERR("config: expected a JSON object {\"settings\": ..., \"mapping\": ...}, got %s", mv_type_name(config));
        rj_delete(config);
        return NULL;
    }
    rudder_dest_t *d = calloc(1, sizeof *d);
    if (!d) { rj_delete(config); ERR("out of memory"); return NULL; }
    pthread_mutex_init(&d->lock, NULL);
    d->config = config;
    d->conf = base ? rudder_conf_dup(base) : rudder_conf_new();
    if (!d->conf) { ERR("out of memory"); goto fail; }

    const cJSON *settings = mv_own(config, "settings", 8);
    if (settings && !rj_is_null(settings)) {
        if (!mv_is_plain_object(settings)) { ERR("settings: expected an object, got %s", mv_type_name(settings)); goto fail; }
        char *text = rj_print(settings);
        char cmsg[200];
        e = text ? rudder_conf_set_json(d->conf, text, strlen(text), cmsg, sizeof cmsg) : RUDDER_ERR_NO_MEMORY;
        free(text);
        if (e != RUDDER_OK) { ERR("settings: %s", cmsg); goto fail; }
    }
    if (parse_setting(d->conf, "userId", &d->s_user_id, errstr, errstr_size) ||
        parse_setting(d->conf, "anonymousId", &d->s_anonymous_id, errstr, errstr_size) ||
        parse_setting(d->conf, "identify", &d->s_identify, errstr, errstr_size) ||
        parse_setting(d->conf, "group", &d->s_group, errstr, errstr_size) ||
        parse_setting(d->conf, "integrations", &d->s_integrations, errstr, errstr_size))
        goto fail;
    /* walkerOS: userId/anonymousId default unless given; null means the default too */
    if (!d->s_user_id) d->s_user_id = rj_string("user.id");
    if (!d->s_anonymous_id) d->s_anonymous_id = rj_string("user.session");

    d->map.mapping = mv_own(config, "mapping", 7);
    d->map.data = mv_own(config, "data", 4);
    d->map.policy = mv_own(config, "policy", 6);
    d->map.include = mv_own(config, "include", 7);
    d->consent_required = mv_own(config, "consent", 7);
    d->disabled = mv_truthy(mv_own(config, "disabled", 8));
    d->walkeros = strcmp(conf_str(d->conf, "dedup"), "walkeros") == 0;
    d->map.skip_is_silent = !d->walkeros;
    if (check_config(d, errstr, errstr_size) != RUDDER_OK) goto fail;

    int64_t cap = conf_int(d->conf, "identityCacheSize");
    d->identify_seen = dedup_lru_new(cap > 0 ? (size_t)cap : 10000);
    d->group_seen = dedup_lru_new(cap > 0 ? (size_t)cap : 10000);
    d->c_consent = rj_object();
    d->c_user = rj_object();
    d->c_globals = rj_object();
    if (!d->identify_seen || !d->group_seen || !d->c_consent || !d->c_user || !d->c_globals) {
        ERR("out of memory");
        goto fail;
    }
    d->client = rudder_client_new(d->conf, errstr, errstr_size);
    if (!d->client) goto fail;
    return d;
fail:
    rudder_dest_destroy(d);
    return NULL;
}

void rudder_dest_destroy(rudder_dest_t *d) {
    if (!d) return;
    rudder_client_destroy(d->client);
    for (size_t i = 0; i < d->held_len; i++) rj_delete(d->held[i]);
    free(d->held);
    rj_delete(d->s_user_id);
    rj_delete(d->s_anonymous_id);
    rj_delete(d->s_identify);
    rj_delete(d->s_group);
    rj_delete(d->s_integrations);
    rj_delete(d->c_consent);
    rj_delete(d->c_user);
    rj_delete(d->c_globals);
    free(d->last_uid);
    free(d->last_traits);
    free(d->last_group_id);
    free(d->last_group_traits);
    dedup_lru_free(d->identify_seen);
    dedup_lru_free(d->group_seen);
    rudder_conf_destroy(d->conf);
    rj_delete(d->config);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

rudder_client_t *rudder_dest_client(rudder_dest_t *d) { return d ? d->client : NULL; }

/* Parses, runs and queues one event; *ncalls gets the calls queued. */
static rudder_err_t push_one(rudder_dest_t *d, cJSON *event, size_t *ncalls, dest_outcome_t *oc,
                             char *errstr, size_t errstr_size) {
    dest_calls_t calls = {0};
    rudder_err_t e = dest_run(d, event, &calls, oc, errstr, errstr_size);
    char qerr[256];
    rudder_err_t qe = dest_enqueue_calls(d, &calls, qerr, sizeof qerr);
    if (qe != RUDDER_OK && e == RUDDER_OK) {
        e = qe;
        ERR("%s", qerr);
    }
    *ncalls = calls.n;
    dest_calls_free(&calls);
    return e;
}

rudder_err_t dest_push_tree(rudder_dest_t *d, cJSON *event, char *errstr, size_t errstr_size) {
    if (errstr && errstr_size) errstr[0] = '\0';
    if (!d || !event) { ERR("rudder_dest_push: destination and event are required"); rj_delete(event); return RUDDER_ERR_INVALID_ARG; }
    char local[256];
    if (!errstr || !errstr_size) { errstr = local; errstr_size = sizeof local; }
    size_t n;
    dest_outcome_t oc;
    pthread_mutex_lock(&d->lock);
    rudder_err_t e = push_one(d, event, &n, &oc, errstr, errstr_size);
    pthread_mutex_unlock(&d->lock);
    return e;
}

rudder_err_t rudder_dest_push(rudder_dest_t *d, const char *event_json, size_t len,
                              char *errstr, size_t errstr_size) {
    if (errstr && errstr_size) errstr[0] = '\0';
    if (!d || !event_json) { ERR("rudder_dest_push: destination and event are required"); return RUDDER_ERR_INVALID_ARG; }
    char local[256];
    if (!errstr || !errstr_size) { errstr = local; errstr_size = sizeof local; }
    rudder_err_t e;
    rj_scope_t scope = rj_scope_open(); /* the event's trees live until the push returns */
    cJSON *event = walker_event_parse(event_json, len, &e, errstr, errstr_size);
    if (event) {
        e = dest_push_tree(d, event, errstr, errstr_size);
    } else {
        dest_count_invalid(d);
    }
    rj_scope_close(scope);
    return e;
}

void dest_event_builder(rj_builder_t *b, int check_utf8) {
    rjb_init(b, DEST_MAX_DEPTH, DEST_MAX_EVENT_BYTES, check_utf8);
}

cJSON *dest_event_take(rudder_dest_t *d, rj_builder_t *b, int converted) {
    cJSON *root = rjb_take(b);
    if (converted) return root;
    rj_delete(root);
    if (b->err != RUDDER_OK) dest_count_invalid(d);
    return NULL;
}

void dest_count_invalid(rudder_dest_t *d) {
    pthread_mutex_lock(&d->lock);
    d->stats.events++;
    d->stats.invalid++;
    pthread_mutex_unlock(&d->lock);
}

/* Results are built on the heap (cJSON's own builders): they outlive each event's scope. */
static void add_result(cJSON *results, rudder_err_t e, size_t ncalls, const char *err) {
    cJSON *r = cJSON_CreateObject();
    cJSON_AddBoolToObject(r, "ok", e == RUDDER_OK);
    cJSON_AddNumberToObject(r, "calls", (double)ncalls);
    if (e != RUDDER_OK) {
        cJSON_AddStringToObject(r, "error", err);
        cJSON_AddStringToObject(r, "code", rudder_err_name(e));
    }
    cJSON_AddItemToArray(results, r);
}

char *rudder_dest_push_many(rudder_dest_t *d, const char *text, size_t len) {
    if (!d || !text) return NULL;
    cJSON *results = cJSON_CreateArray();
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) i++;
    char err[300];
    if (i < len && text[i] == '[') {
        rudder_err_t e;
        char msg[200];
        rj_scope_t scope = rj_scope_open(); /* the whole array's trees, until the last event ran */
        cJSON *arr = rj_parse(text, len, DEST_MAX_DEPTH + 1, &e, msg, sizeof msg);
        if (!arr) {
            snprintf(err, sizeof err, "events: %s", msg);
            add_result(results, e, 0, err);
        } else {
            int idx = 0;
            pthread_mutex_lock(&d->lock);
            for (cJSON *ev = arr->child; ev; idx++) {
                cJSON *next = ev->next;
                cJSON_DetachItemViaPointer(arr, ev);
                size_t n = 0;
                dest_outcome_t oc;
                char one[256];
                e = push_one(d, ev, &n, &oc, one, sizeof one);
                snprintf(err, sizeof err, "[%d] %s", idx, one);
                add_result(results, e, n, err);
                ev = next;
            }
            pthread_mutex_unlock(&d->lock);
            rj_delete(arr);
        }
        rj_scope_close(scope);
    } else {
        size_t line = 0;
        while (i < len) {
            size_t start = i;
            while (i < len && text[i] != '\n') i++;
            size_t end = i;
            if (i < len) i++;
            line++;
            size_t s = start;
            while (s < end && (text[s] == ' ' || text[s] == '\t' || text[s] == '\r')) s++;
            if (s == end) continue;
            rudder_err_t e;
            char one[256];
            rj_scope_t scope = rj_scope_open();
            cJSON *ev = walker_event_parse(text + start, end - start, &e, one, sizeof one);
            size_t n = 0;
            pthread_mutex_lock(&d->lock);
            if (!ev) {
                d->stats.events++;
                d->stats.invalid++;
            } else {
                dest_outcome_t oc;
                e = push_one(d, ev, &n, &oc, one, sizeof one);
            }
            pthread_mutex_unlock(&d->lock);
            rj_scope_close(scope);
            snprintf(err, sizeof err, "line %zu: %s", line, one);
            add_result(results, e, n, err);
        }
    }
    char *out = rj_print(results);
    rj_delete(results);
    return out;
}

char *dest_map_tree(rudder_dest_t *d, cJSON *event, rudder_err_t *err, char *errstr, size_t errstr_size) {
    dest_calls_t calls = {0};
    dest_outcome_t oc;
    pthread_mutex_lock(&d->lock);
    *err = dest_run(d, event, &calls, &oc, errstr, errstr_size);
    pthread_mutex_unlock(&d->lock);
    cJSON *arr = dest_calls_to_json(&calls);
    dest_calls_free(&calls);
    char *out = rj_print(arr);
    rj_delete(arr);
    return out;
}

char *rudder_dest_map(rudder_dest_t *d, const char *event_json, size_t len, rudder_err_t *err,
                      char *errstr, size_t errstr_size) {
    rudder_err_t local_err;
    char local[256];
    if (!err) err = &local_err;
    if (!errstr || !errstr_size) { errstr = local; errstr_size = sizeof local; }
    errstr[0] = '\0';
    if (!d || !event_json) { *err = RUDDER_ERR_INVALID_ARG; ERR("rudder_dest_map: destination and event are required"); return NULL; }
    rj_scope_t scope = rj_scope_open();
    cJSON *event = walker_event_parse(event_json, len, err, errstr, errstr_size);
    char *out = NULL;
    if (event) out = dest_map_tree(d, event, err, errstr, errstr_size);
    else dest_count_invalid(d);
    rj_scope_close(scope);
    return out;
}

rudder_err_t rudder_dest_command(rudder_dest_t *d, const char *command, const char *data_json,
                                 size_t len, char *errstr, size_t errstr_size) {
    char local[256];
    if (!errstr || !errstr_size) { errstr = local; errstr_size = sizeof local; }
    errstr[0] = '\0';
    if (!d || !command) { ERR("rudder_dest_command: destination and command are required"); return RUDDER_ERR_INVALID_ARG; }
    const char *cmd = strncmp(command, "walker ", 7) == 0 ? command + 7 : command;
    cJSON *data = NULL;
    if (data_json && len) {
        rudder_err_t e;
        char msg[200];
        data = rj_parse(data_json, len, DEST_MAX_DEPTH, &e, msg, sizeof msg);
        if (!data) { ERR("walker %s data: %s", cmd, msg); return e; }
    }
    dest_calls_t calls = {0};
    rj_scope_t scope = rj_scope_open(); /* for the held events it releases */
    pthread_mutex_lock(&d->lock);
    rudder_err_t e = dest_run_command(d, cmd, data, &calls, errstr, errstr_size);
    char qerr[256];
    rudder_err_t qe = dest_enqueue_calls(d, &calls, qerr, sizeof qerr);
    pthread_mutex_unlock(&d->lock);
    if (e == RUDDER_OK && qe != RUDDER_OK) { e = qe; ERR("%s", qerr); }
    dest_calls_free(&calls);
    rj_scope_close(scope);
    rj_delete(data);
    return e;
}

char *rudder_dest_stats(rudder_dest_t *d) {
    if (!d) return NULL;
    cJSON *o = cJSON_CreateObject();
    pthread_mutex_lock(&d->lock);
    const dest_stats_t *s = &d->stats;
    cJSON_AddNumberToObject(o, "events", (double)s->events);
    cJSON_AddNumberToObject(o, "invalid", (double)s->invalid);
    cJSON_AddNumberToObject(o, "ignored", (double)s->ignored);
    cJSON_AddNumberToObject(o, "consentQueued", (double)s->consent_queued);
    cJSON_AddNumberToObject(o, "consentHeld", (double)d->held_len);
    cJSON_AddNumberToObject(o, "consentDropped", (double)s->consent_dropped);
    cJSON_AddNumberToObject(o, "noIdentity", (double)s->no_identity);
    cJSON_AddNumberToObject(o, "mappingErrors", (double)s->mapping_errors);
    cJSON_AddNumberToObject(o, "ruleErrors", (double)s->rule_errors);
    cJSON_AddNumberToObject(o, "calls", (double)s->calls);
    cJSON_AddNumberToObject(o, "callErrors", (double)s->call_errors);
    cJSON_AddNumberToObject(o, "identifyDeduped", (double)s->identify_deduped);
    cJSON_AddNumberToObject(o, "groupDeduped", (double)s->group_deduped);
    cJSON_AddNumberToObject(o, "identityCacheEntries", (double)dedup_lru_size(d->identify_seen));
    cJSON_AddStringToObject(o, "dedup", d->walkeros ? "walkeros" : "identity");
    pthread_mutex_unlock(&d->lock);
    char *cs = rudder_stats(d->client);
    if (cs) {
        rudder_err_t e;
        char msg[64];
        cJSON *c = rj_parse(cs, strlen(cs), 0, &e, msg, sizeof msg);
        if (c) rj_add(o, "client", c);
        rudder_free(cs);
    }
    char *out = rj_print(o);
    rj_delete(o);
    return out;
}
