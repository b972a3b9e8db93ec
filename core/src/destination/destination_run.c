/* destination_run.c — one event through the destination (spec/walkeros.md §3.1):
 * collector defaults, destination consent gate (denied events are held, not dropped),
 * user merge, processEventMapping, then the calls.  Also the collector commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "client/client_internal.h"
#include "destination.h"
#include "base/base.h"
#include "json/json.h"

static void replace_member(cJSON *obj, const char *key, cJSON *value) {
    cJSON *old = (cJSON *)mv_own(obj, key, strlen(key));
    if (old) mv_replace(obj, old, value);
    else rj_add(obj, key, value);
}

/* Shallow overlay of src's members onto dst (both objects). */
static void overlay(cJSON *dst, const cJSON *src) {
    for (const cJSON *m = mv_is_plain_object(src) ? src->child : NULL; m; m = m->next)
        replace_member(dst, m->string, mv_dup(m));
}

/* Keeps event (consumed) for later; the kept copy is all heap: it outlives the push. */
static void hold(rudder_dest_t *d, cJSON *event, int retry) {
    rj_scope_t heap = rj_scope_heap();
    cJSON *kept = rj_dup(event);
    rj_scope_close(heap);
    rj_delete(event);
    if (!kept) return;
    event = kept;
    if (d->held_len >= DEST_CONSENT_QUEUE_MAX) { /* oldest dropped, as walkerOS does */
        rj_delete(d->held[0]);
        memmove(d->held, d->held + 1, (d->held_len - 1) * sizeof *d->held);
        d->held_len--;
        d->stats.consent_dropped++;
    }
    if (!d->held) d->held = malloc(DEST_CONSENT_QUEUE_MAX * sizeof *d->held);
    if (!d->held) { rj_delete(event); return; }
    d->held[d->held_len++] = event;
    if (!retry) d->stats.consent_queued++;
}

/* Gate, user merge, mapping, calls.  Consumes event. */
static rudder_err_t process_one(rudder_dest_t *d, cJSON *event, int retry, dest_calls_t *out,
                                dest_outcome_t *outcome, char *errstr, size_t errstr_size) {
    cJSON *granted = NULL;
    const cJSON *ec = mv_own(event, "consent", 7);
    /* the common case: no collector consent and only `true` states: the granted map would
     * equal the event's own, so skip rebuilding it */
    int same = !(d->c_consent && d->c_consent->child) && mv_is_plain_object(ec);
    for (const cJSON *m = same ? ec->child : NULL; m && same; m = m->next) same = rj_is_true(m);
    if (!map_grant(d->consent_required, d->c_consent, ec, same ? NULL : &granted)) {
        hold(d, event, retry);
        *outcome = DEST_HELD;
        return RUDDER_OK;
    }
    if (!same) replace_member(event, "consent", granted);
    if (d->c_user && d->c_user->child) { /* collector user below the event's (shallow) */
        cJSON *user = mv_dup(d->c_user);
        overlay(user, mv_own(event, "user", 4));
        replace_member(event, "user", user);
    } else if (!mv_is_plain_object(mv_own(event, "user", 4))) {
        replace_member(event, "user", rj_object());
    }

    map_ctx_t mc;
    map_ctx_init(&mc, event, d->c_consent, d->conf);
    map_result_t m;
    rudder_err_t err = RUDDER_OK;
    if (map_process_event(&mc, &d->map, event, &m) != 0) {
        d->stats.rule_errors++;
        snprintf(errstr, errstr_size, "mapping: %s; nothing sent for this event", mc.error);
        if (d->client) client_log(d->client, RUDDER_LOG_ERROR, "walkerOS destination: %s", errstr);
        *outcome = DEST_FAILED;
        rj_delete(event);
        return RUDDER_ERR_CALLBACK;
    }
    d->stats.mapping_errors += mc.failed;
    if (mc.failed && d->client)
        client_log(d->client, RUDDER_LOG_WARN, "walkerOS destination: mapping error (value treated as undefined): %s", mc.error);
    if (m.ignore) {
        d->stats.ignored++;
        *outcome = DEST_IGNORED;
    } else {
        *outcome = dest_make_calls(d, event, &m, out, errstr, errstr_size, &err);
    }
    rj_delete(m.data);
    rj_delete(event);
    return err;
}

/* Held events get the current collector consent and another try, oldest first. */
static void release_held(rudder_dest_t *d, dest_calls_t *out) {
    if (!d->held_len) return;
    size_t n = d->held_len;
    cJSON **batch = malloc(n * sizeof *batch);
    if (!batch) return;
    memcpy(batch, d->held, n * sizeof *batch);
    d->held_len = 0;
    for (size_t i = 0; i < n; i++) {
        replace_member(batch[i], "consent", d->c_consent ? mv_dup(d->c_consent) : rj_object());
        dest_outcome_t oc;
        char err[256];
        process_one(d, batch[i], 1, out, &oc, err, sizeof err);
    }
    free(batch);
}

rudder_err_t dest_run_command(rudder_dest_t *d, const char *command, const cJSON *data,
                              dest_calls_t *out, char *errstr, size_t errstr_size) {
    cJSON **target = NULL;
    if (strcmp(command, "consent") == 0) target = &d->c_consent;
    else if (strcmp(command, "user") == 0) target = &d->c_user;
    else if (strcmp(command, "globals") == 0) target = &d->c_globals;
    if (!target) {
        snprintf(errstr, errstr_size, "walker %.40s: unknown command (consent, user, globals)", command);
        return RUDDER_ERR_INVALID_ARG;
    }
    if (data && !mv_is_plain_object(data)) {
        snprintf(errstr, errstr_size, "walker %s: data must be an object, got %s", command, mv_type_name(data));
        return RUDDER_ERR_INVALID_ARG;
    }
    rj_scope_t heap = rj_scope_heap(); /* collector state outlives the push */
    if (!*target) *target = rj_object();
    overlay(*target, data);
    rj_scope_close(heap);
    release_held(d, out);
    return RUDDER_OK;
}

rudder_err_t dest_run(rudder_dest_t *d, cJSON *event, dest_calls_t *out, dest_outcome_t *outcome,
                      char *errstr, size_t errstr_size) {
    *outcome = DEST_FAILED;
    if (errstr_size) errstr[0] = '\0';
    const cJSON *cmd = mv_own(event, "walker_command", 14);
    if (cmd) {
        rudder_err_t e;
        if (!rj_is_string(cmd)) {
            snprintf(errstr, errstr_size, "walker_command: expected a string, got %s", mv_type_name(cmd));
            e = RUDDER_ERR_INVALID_ARG;
        } else {
            e = dest_run_command(d, cmd->valuestring, mv_own(event, "data", 4), out, errstr, errstr_size);
        }
        *outcome = e == RUDDER_OK ? DEST_IGNORED : DEST_FAILED;
        rj_delete(event);
        return e;
    }
    d->stats.events++;
    rudder_err_t e = walker_event_normalize(event, d->c_user, d->c_consent, d->c_globals, errstr, errstr_size);
    if (e != RUDDER_OK) {
        d->stats.invalid++;
        rj_delete(event);
        return e;
    }
    if (d->disabled) {
        rj_delete(event);
        *outcome = DEST_IGNORED;
        return RUDDER_OK;
    }
    release_held(d, out);
    return process_one(d, event, 0, out, outcome, errstr, errstr_size);
}

rudder_err_t dest_enqueue_calls(rudder_dest_t *d, dest_calls_t *calls, char *errstr, size_t errstr_size) {
    rudder_err_t first = RUDDER_OK;
    for (size_t i = 0; i < calls->n; i++) {
        cJSON *p = calls->v[i].params; /* a number timestamp (epoch ms) the envelope writes as ISO 8601 */
        char msg[256];
        rudder_err_t e = client_enqueue_cjson(d->client, calls->v[i].type, p, msg, sizeof msg, NULL);
        if (e != RUDDER_OK) {
            d->stats.call_errors++;
            if (first == RUDDER_OK) {
                first = e;
                snprintf(errstr, errstr_size, "%s: %s", rudder_call_name(calls->v[i].type), msg);
            }
        }
    }
    return first;
}

cJSON *dest_calls_to_json(dest_calls_t *calls) {
    cJSON *arr = rj_array();
    for (size_t i = 0; i < calls->n; i++) {
        cJSON *pair = rj_array();
        cJSON_AddItemToArray(pair, rj_string(rudder_call_name(calls->v[i].type)));
        cJSON_AddItemToArray(pair, calls->v[i].params);
        calls->v[i].params = NULL;
        cJSON_AddItemToArray(arr, pair);
    }
    return arr;
}
