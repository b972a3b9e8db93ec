/* message.c — validates a Segment-spec message and writes its envelope as JSON text
 * (spec/rudderstack.md §3.5).  The text ends without '}' so that the sender appends
 * ,"sentAt":"..."} at every attempt without re-serialising the event. */
#include "message.h"
#include "clock.h"
#include "json.h"
#include "uuid.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes the sender appends per event: ,"sentAt":"YYYY-MM-DDTHH:MM:SS.mmmZ"} */
#define SENT_AT_SUFFIX_LEN (11 + RUDDER_ISO_LEN + 2)

static const char *const TYPE_NAMES[] = {"track", "identify", "group", "page", "screen", "alias"};

const char *rudder_call_name(rudder_call_type_t type) {
    return (unsigned)type < 6 ? TYPE_NAMES[type] : "unknown";
}

static rudder_err_t fail(char *errstr, size_t size, rudder_err_t e, const char *fmt, const char *a) {
    if (errstr && size) snprintf(errstr, size, fmt, a);
    return e;
}

/* Keys the envelope writes itself, in this order; every other key is passed through. */
static const char *const OWN_KEYS[] = {"type", "messageId", "originalTimestamp", "sentAt", "channel",
                                       "userId", "anonymousId", "event", "name", "category",
                                       "groupId", "previousId", "properties", "traits",
                                       "timestamp", "context", "integrations", NULL};

static int is_own_key(const char *k) {
    for (int i = 0; OWN_KEYS[i]; i++)
        if (strcmp(OWN_KEYS[i], k) == 0) return 1;
    return 0;
}

/* An id field: string (empty = absent) or number (written as its decimal text). */
typedef struct idval { const char *s; size_t n; char num[40]; } idval_t;

static rudder_err_t read_id(const cJSON *msg, const char *key, idval_t *out, char *errstr, size_t size) {
    out->s = NULL;
    out->n = 0;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(msg, key);
    if (!v || cJSON_IsNull(v)) return RUDDER_OK;
    if (cJSON_IsString(v)) {
        if (v->valuestring[0]) { out->s = v->valuestring; out->n = strlen(v->valuestring); }
        return RUDDER_OK;
    }
    if (cJSON_IsNumber(v)) {
        rbuf_t b = RBUF_INIT;
        rj_print_to(v, &b);
        snprintf(out->num, sizeof out->num, "%s", rbuf_cstr(&b));
        rbuf_free(&b);
        out->s = out->num;
        out->n = strlen(out->num);
        return RUDDER_OK;
    }
    return fail(errstr, size, RUDDER_ERR_FIELD_TYPE, "'%s' must be a string or a number", key);
}

static rudder_err_t read_object(const cJSON *msg, const char *key, const cJSON **out, char *errstr, size_t size) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(msg, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v)) return RUDDER_OK;
    if (!cJSON_IsObject(v)) return fail(errstr, size, RUDDER_ERR_FIELD_NOT_OBJECT, "'%s' must be a JSON object", key);
    *out = v;
    return RUDDER_OK;
}

static rudder_err_t read_string(const cJSON *msg, const char *key, const char **out, char *errstr, size_t size) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(msg, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v)) return RUDDER_OK;
    if (!cJSON_IsString(v)) return fail(errstr, size, RUDDER_ERR_FIELD_TYPE, "'%s' must be a string", key);
    *out = v->valuestring;
    return RUDDER_OK;
}

static void put_key(rbuf_t *out, const char *key) {
    rbuf_putc(out, ',');
    rbuf_putc(out, '"');
    rbuf_puts(out, key);
    rbuf_puts(out, "\":");
}

static void put_str_field(rbuf_t *out, const char *key, const char *s, size_t n) {
    put_key(out, key);
    rbuf_json_string(out, s, n);
}

rudder_err_t message_build(rudder_call_type_t type, const cJSON *msg, const message_opts_t *opts,
                           rbuf_t *out, char *msgid_out, char *errstr, size_t size) {
    if (errstr && size) errstr[0] = '\0';
    if ((unsigned)type > RUDDER_ALIAS) return fail(errstr, size, RUDDER_ERR_INVALID_ARG, "unknown call type%s", "");
    if (!cJSON_IsObject(msg)) return fail(errstr, size, RUDDER_ERR_NOT_OBJECT, "the %s message must be a JSON object", rudder_call_name(type));

    rudder_err_t e;
    idval_t user, anon, group, prev;
    if ((e = read_id(msg, "userId", &user, errstr, size)) ||
        (e = read_id(msg, "anonymousId", &anon, errstr, size)) ||
        (e = read_id(msg, "groupId", &group, errstr, size)) ||
        (e = read_id(msg, "previousId", &prev, errstr, size)))
        return e;
    const cJSON *properties, *traits, *context, *integrations;
    if ((e = read_object(msg, "properties", &properties, errstr, size)) ||
        (e = read_object(msg, "traits", &traits, errstr, size)) ||
        (e = read_object(msg, "context", &context, errstr, size)))
        return e;
    /* integrations: only ever sent as an object (a non-object sends the event nowhere) */
    if ((e = read_object(msg, "integrations", &integrations, errstr, size))) return e;
    const char *event, *name, *category, *message_id, *orig_ts;
    if ((e = read_string(msg, "event", &event, errstr, size)) ||
        (e = read_string(msg, "name", &name, errstr, size)) ||
        (e = read_string(msg, "category", &category, errstr, size)) ||
        (e = read_string(msg, "messageId", &message_id, errstr, size)) ||
        (e = read_string(msg, "originalTimestamp", &orig_ts, errstr, size)))
        return e;

    if (type == RUDDER_ALIAS) {
        if (!user.s) return fail(errstr, size, RUDDER_ERR_MISSING_USER_ID, "alias needs a non-empty 'userId'%s", "");
        if (!prev.s) return fail(errstr, size, RUDDER_ERR_MISSING_PREVIOUS_ID, "alias needs a non-empty 'previousId'%s", "");
    } else if (!user.s && !anon.s) {
        return fail(errstr, size, RUDDER_ERR_MISSING_IDENTITY, "%s needs a non-empty 'userId' or 'anonymousId'", rudder_call_name(type));
    }
    if (type == RUDDER_TRACK && (!event || !*event))
        return fail(errstr, size, RUDDER_ERR_MISSING_EVENT, "track needs a non-empty 'event' name%s", "");
    if (type == RUDDER_GROUP && !group.s)
        return fail(errstr, size, RUDDER_ERR_MISSING_GROUP_ID, "group needs a non-empty 'groupId'%s", "");

    /* timestamp: the caller's (string as given, number = epoch ms) */
    char ts_buf[RUDDER_ISO_LEN + 1];
    const char *timestamp = NULL;
    const cJSON *tsv = cJSON_GetObjectItemCaseSensitive(msg, "timestamp");
    if (tsv && !cJSON_IsNull(tsv)) {
        if (cJSON_IsString(tsv) && tsv->valuestring[0]) timestamp = tsv->valuestring;
        else if (cJSON_IsNumber(tsv)) { clock_iso((int64_t)tsv->valuedouble, ts_buf); timestamp = ts_buf; }
        else return fail(errstr, size, RUDDER_ERR_FIELD_TYPE, "'%s' must be an ISO 8601 string or epoch milliseconds", "timestamp");
    }

    char id[37];
    if (message_id && *message_id) snprintf(id, sizeof id, "%.36s", message_id);
    else uuid_v4(id);
    char orig[RUDDER_ISO_LEN + 1];
    if (!orig_ts || !*orig_ts) {
        clock_iso(opts && opts->now_ms ? opts->now_ms : clock_wall_ms(), orig);
        orig_ts = orig;
    }

    size_t start = out->len;
    rbuf_puts(out, "{\"type\":\"");
    rbuf_puts(out, rudder_call_name(type));
    rbuf_putc(out, '"');
    if (message_id && *message_id) put_str_field(out, "messageId", message_id, strlen(message_id));
    else put_str_field(out, "messageId", id, 36);
    put_str_field(out, "originalTimestamp", orig_ts, strlen(orig_ts));
    rbuf_puts(out, ",\"channel\":\"server\"");
    if (user.s) put_str_field(out, "userId", user.s, user.n);
    if (anon.s && type != RUDDER_ALIAS) put_str_field(out, "anonymousId", anon.s, anon.n);
    if (type == RUDDER_TRACK) put_str_field(out, "event", event, strlen(event));
    if ((type == RUDDER_PAGE || type == RUDDER_SCREEN) && name) put_str_field(out, "name", name, strlen(name));
    if ((type == RUDDER_PAGE || type == RUDDER_SCREEN) && category) put_str_field(out, "category", category, strlen(category));
    if (type == RUDDER_GROUP) put_str_field(out, "groupId", group.s, group.n);
    if (type == RUDDER_ALIAS) put_str_field(out, "previousId", prev.s, prev.n);
    if (properties && type != RUDDER_IDENTIFY && type != RUDDER_GROUP && type != RUDDER_ALIAS) {
        put_key(out, "properties");
        rj_print_to(properties, out);
    }
    if (traits && (type == RUDDER_IDENTIFY || type == RUDDER_GROUP)) {
        put_key(out, "traits");
        rj_print_to(traits, out);
    }
    if (timestamp) put_str_field(out, "timestamp", timestamp, strlen(timestamp));
    /* context: the caller's members, then traits (identify), then our library (ours wins) */
    put_key(out, "context");
    rbuf_putc(out, '{');
    int first = 1;
    int copy_traits = type == RUDDER_IDENTIFY && traits;
    for (const cJSON *m = context ? context->child : NULL; m; m = m->next) {
        if (strcmp(m->string, "library") == 0 || (copy_traits && strcmp(m->string, "traits") == 0)) continue;
        if (!first) rbuf_putc(out, ',');
        first = 0;
        rbuf_json_string(out, m->string, strlen(m->string));
        rbuf_putc(out, ':');
        rj_print_to(m, out);
    }
    if (copy_traits) {
        if (!first) rbuf_putc(out, ',');
        first = 0;
        rbuf_puts(out, "\"traits\":");
        rj_print_to(traits, out);
    }
    if (!first) rbuf_putc(out, ',');
    rbuf_puts(out, "\"library\":{\"name\":\"ruddercore\",\"version\":\"" RUDDER_VERSION "\"");
    if (opts && opts->library_suffix && *opts->library_suffix) {
        rbuf_puts(out, ",\"binding\":");
        rbuf_json_string(out, opts->library_suffix, strlen(opts->library_suffix));
    }
    rbuf_puts(out, "}}");
    if (integrations) {
        put_key(out, "integrations");
        rj_print_to(integrations, out);
    }
    for (const cJSON *m = msg->child; m; m = m->next) {
        if (is_own_key(m->string)) continue;
        rbuf_putc(out, ',');
        rbuf_json_string(out, m->string, strlen(m->string));
        rbuf_putc(out, ':');
        rj_print_to(m, out);
    }
    if (out->oom) { out->len = start; return fail(errstr, size, RUDDER_ERR_NO_MEMORY, "out of memory%s", ""); }

    size_t total = out->len - start + SENT_AT_SUFFIX_LEN;
    if (opts && opts->max_event_bytes && total > opts->max_event_bytes) {
        out->len = start;
        out->data[start] = '\0';
        if (errstr && size)
            snprintf(errstr, size, "the %s message is %zu bytes with its envelope; maxEventBytes is %zu",
                     rudder_call_name(type), total, opts->max_event_bytes);
        return RUDDER_ERR_TOO_LARGE;
    }
    if (msgid_out) {
        if (message_id && *message_id) snprintf(msgid_out, 37, "%.36s", message_id);
        else memcpy(msgid_out, id, 37);
    }
    return RUDDER_OK;
}

char *rudder_build_message(rudder_call_type_t type, const char *json, size_t len,
                           const char *library_suffix, size_t max_event_bytes,
                           rudder_err_t *err, char *errstr, size_t errstr_size) {
    rudder_err_t e;
    cJSON *msg = rj_parse(json, len, 0, &e, errstr, errstr_size);
    char *text = NULL;
    if (msg) {
        rbuf_t b = RBUF_INIT;
        message_opts_t o = {max_event_bytes, library_suffix, 0};
        e = message_build(type, msg, &o, &b, NULL, errstr, errstr_size);
        if (e == RUDDER_OK) {
            rbuf_putc(&b, '}');
            text = rbuf_detach(&b);
            if (!text) e = RUDDER_ERR_NO_MEMORY;
        } else rbuf_free(&b);
        cJSON_Delete(msg);
    }
    if (err) *err = e;
    return text;
}
