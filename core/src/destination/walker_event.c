/* walker_event.c — a walkerOS event on the way in: parse with limits, check the
 * name, and fill what the collector fills (spec/walkeros.md §1.4). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/base.h"
#include "destination.h"
#include "json/json.h"

cJSON *walker_event_parse(const char *text, size_t len, rudder_err_t *err, char *errstr, size_t errstr_size) {
    if (len > DEST_MAX_EVENT_BYTES) {
        *err = RUDDER_ERR_TOO_LARGE;
        snprintf(errstr, errstr_size, "event: %zu bytes of JSON, the limit is %u", len, DEST_MAX_EVENT_BYTES);
        return NULL;
    }
    char msg[200];
    cJSON *v = rj_parse(text, len, DEST_MAX_DEPTH, err, msg, sizeof msg);
    if (!v) snprintf(errstr, errstr_size, "event: %s", msg);
    return v;
}


/* A random 16-hex span id, as walkerOS gives events. */
static cJSON *span_id(void) {
    char u[40], id[17];
    uuid_v4(u);
    size_t j = 0;
    for (size_t i = 0; u[i] && j < 16; i++)
        if (u[i] != '-') id[j++] = u[i];
    id[j] = '\0';
    return rj_string(id);
}

/* k == lit, stopping at the first difference (k may be shorter than lit). */
static inline int key_is(const char *k, const char *lit) {
    size_t i = 0;
    while (lit[i] && k[i] == lit[i]) i++;
    return !lit[i] && !k[i];
}

rudder_err_t walker_event_normalize(cJSON *ev, const cJSON *c_user, const cJSON *c_consent,
                                    const cJSON *c_globals, char *errstr, size_t errstr_size) {
    if (!mv_is_plain_object(ev)) {
        snprintf(errstr, errstr_size, "event: expected a JSON object, got %s", mv_type_name(ev));
        return RUDDER_ERR_EVENT;
    }
    const cJSON *name = mv_own(ev, "name", 4);
    if (!rj_is_string(name)) {
        snprintf(errstr, errstr_size, "event.name: expected a string \"entity action\", got %s", mv_type_name(name));
        return RUDDER_ERR_EVENT;
    }
    const char *s = name->valuestring, *sp = strchr(s, ' ');
    if (!sp || sp == s || sp[1] == '\0' || sp[1] == ' ') {
        snprintf(errstr, errstr_size, "event.name: expected \"entity action\" (two words separated by a space), got \"%.60s\"", s);
        return RUDDER_ERR_EVENT;
    }
    /* one pass to see which fields are present (events usually carry all of them) */
    enum { F_TIMESTAMP, F_DATA, F_CONTEXT, F_CUSTOM, F_USER, F_NESTED, F_CONSENT, F_ID, F_TRIGGER,
           F_ENTITY, F_ACTION, F_TIMING, F_SOURCE, F_COUNT };
    int have[F_COUNT] = {0};
    for (const cJSON *m = ev->child; m; m = m->next) {
        const char *k = m->string;
        if (!k) continue;
        int f = -1;
        switch (k[0]) { /* the first letter leaves at most three candidates */
        case 't': f = key_is(k, "timestamp") ? F_TIMESTAMP : key_is(k, "trigger") ? F_TRIGGER : key_is(k, "timing") ? F_TIMING : -1; break;
        case 'c': f = key_is(k, "context") ? F_CONTEXT : key_is(k, "custom") ? F_CUSTOM : key_is(k, "consent") ? F_CONSENT : -1; break;
        case 'd': f = key_is(k, "data") ? F_DATA : -1; break;
        case 'u': f = key_is(k, "user") ? F_USER : -1; break;
        case 'n': f = key_is(k, "nested") ? F_NESTED : -1; break;
        case 'i': f = key_is(k, "id") ? F_ID : -1; break;
        case 'e': f = key_is(k, "entity") ? F_ENTITY : -1; break;
        case 'a': f = key_is(k, "action") ? F_ACTION : -1; break;
        case 's': f = key_is(k, "source") ? F_SOURCE : -1; break;
        default: break;
        }
        if (f >= 0) have[f] = 1;
    }
    /* literal keys: nothing to copy */
    if (!have[F_TIMESTAMP]) rj_add_const(ev, "timestamp", rj_number((double)clock_wall_ms()));
    if (!have[F_DATA]) rj_add_const(ev, "data", rj_object());
    if (!have[F_CONTEXT]) rj_add_const(ev, "context", rj_object());
    if (!have[F_CUSTOM]) rj_add_const(ev, "custom", rj_object());
    if (!have[F_USER]) rj_add_const(ev, "user", c_user ? mv_dup(c_user) : rj_object());
    if (!have[F_NESTED]) rj_add_const(ev, "nested", rj_array());
    if (!have[F_CONSENT]) rj_add_const(ev, "consent", c_consent ? mv_dup(c_consent) : rj_object());
    if (!have[F_ID]) rj_add_const(ev, "id", span_id());
    if (!have[F_TRIGGER]) rj_add_const(ev, "trigger", rj_string(""));
    if (!have[F_ENTITY]) rj_add_const(ev, "entity", rj_string_n(s, (size_t)(sp - s))); /* whole words, as walkerOS */
    if (!have[F_ACTION]) {
        const char *a = sp + 1, *e = strchr(a, ' ');
        rj_add_const(ev, "action", rj_string_n(a, e ? (size_t)(e - a) : strlen(a)));
    }
    if (!have[F_TIMING]) rj_add_const(ev, "timing", rj_number(0));
    if (!have[F_SOURCE]) {
        cJSON *src = rj_object();
        rj_add_const(src, "type", rj_string("collector"));
        rj_add_const(src, "schema", rj_string("4"));
        rj_add_const(ev, "source", src);
    }
    /* globals: collector globals with the event's on top */
    cJSON *g = (cJSON *)mv_own(ev, "globals", 7);
    if (mv_is_plain_object(c_globals) && c_globals->child) {
        cJSON *merged = mv_dup(c_globals);
        for (const cJSON *m = mv_is_plain_object(g) ? g->child : NULL; m; m = m->next) {
            cJSON *old = (cJSON *)mv_own(merged, m->string, strlen(m->string));
            if (old) mv_replace(merged, old, mv_dup(m));
            else rj_add(merged, m->string, mv_dup(m));
        }
        if (g) mv_replace(ev, g, merged);
        else rj_add_const(ev, "globals", merged);
    } else if (!g) {
        rj_add_const(ev, "globals", rj_object());
    }
    return RUDDER_OK;
}

/* "2024-01-02T03:04:05.678Z" and friends (Date.parse subset); -1 when unreadable. */
static int64_t parse_iso(const char *s) {
    int y, mo, d, h = 0, mi = 0, n = 0;
    double sec = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3) return -1;
    s += n;
    int64_t offset_min = 0;
    if (*s == 'T' || *s == ' ') {
        if (sscanf(s + 1, "%2d:%2d%n", &h, &mi, &n) != 2) return -1;
        s += 1 + n;
        if (*s == ':') {
            char *end;
            sec = strtod(s + 1, &end);
            s = end;
        }
        if (*s == 'Z') s++;
        else if (*s == '+' || *s == '-') {
            int oh, om;
            if (sscanf(s + 1, "%2d:%2d", &oh, &om) != 2) return -1;
            offset_min = (oh * 60 + om) * (*s == '-' ? -1 : 1);
        }
    }
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    time_t t = timegm(&tm);
    return (int64_t)t * 1000 + (int64_t)floor(sec * 1000 + 0.5) - offset_min * 60000;
}

int64_t walker_event_time_ms(const cJSON *event) {
    const cJSON *ts = mv_own(event, "timestamp", 9);
    if (mv_truthy(ts)) {
        if (rj_is_number(ts) && isfinite(ts->valuedouble) && fabs(ts->valuedouble) < 9.2e18)
            return (int64_t)trunc(ts->valuedouble); /* beyond int64 the conversion is undefined */
        if (rj_is_string(ts)) {
            int64_t v = parse_iso(ts->valuestring);
            if (v >= 0) return v;
        }
    }
    return clock_wall_ms();
}
