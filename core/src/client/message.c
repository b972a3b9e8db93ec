/* message.c — validates a Segment-spec message and writes its envelope as JSON text
 * (spec/rudderstack.md §3.5).
 *
 * The caller's JSON is scanned once (validated, no tree built) and values are copied
 * verbatim into the envelope, so numbers stay exact and a call costs about one pass over
 * its bytes.  The text ends without '}' so that the sender appends ,"sentAt":"..."} at
 * every attempt without re-serialising the event. */
#include "message.h"
#include "base/base.h"
#include "json/json.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes the sender appends per event: ,"sentAt":"YYYY-MM-DDTHH:MM:SS.mmmZ"} */
#define SENT_AT_SUFFIX_LEN (11 + RUDDER_ISO_LEN + 2)
#define MAX_MEMBERS 256

static const char *const TYPE_NAMES[] = {"track", "identify", "group", "page", "screen", "alias"};

const char *rudder_call_name(rudder_call_type_t type) {
    return (unsigned)type < 6 ? TYPE_NAMES[type] : "unknown";
}

static rudder_err_t fail(char *errstr, size_t size, rudder_err_t e, const char *fmt, const char *a) {
    if (errstr && size) snprintf(errstr, size, fmt, a);
    return e;
}

/* Keys the envelope writes itself; every other key is passed through as given. */
enum own_key { K_TYPE, K_MESSAGE_ID, K_ORIGINAL_TS, K_SENT_AT, K_CHANNEL, K_USER_ID, K_ANON_ID, K_EVENT,
               K_NAME, K_CATEGORY, K_GROUP_ID, K_PREVIOUS_ID, K_PROPERTIES, K_TRAITS, K_TIMESTAMP,
               K_CONTEXT, K_INTEGRATIONS, K_COUNT };
static const char *const OWN_KEYS[K_COUNT] = {"type", "messageId", "originalTimestamp", "sentAt", "channel",
                                              "userId", "anonymousId", "event", "name", "category",
                                              "groupId", "previousId", "properties", "traits",
                                              "timestamp", "context", "integrations"};

/* The key as plain text: raw when it has no escapes, else decoded into buf. */
static const char *member_key(const rj_member_t *m, char *buf, size_t size, size_t *len) {
    if (!m->key_escaped) { *len = m->key_len; return m->key; } /* tree keys are decoded already */
    rbuf_t q = RBUF_INIT;
    rbuf_putc(&q, '"');
    rbuf_append(&q, m->key, m->key_len);
    rbuf_putc(&q, '"');
    cJSON *k = rj_parse(q.data, q.len, 1, NULL, NULL, 0);
    rbuf_free(&q);
    text_copy(buf, size, k && rj_is_string(k) ? k->valuestring : "");
    rj_delete(k);
    *len = strlen(buf);
    return buf;
}

static int own_key_index(const char *k, size_t n) {
    static const unsigned char LEN[K_COUNT] = {4, 9, 17, 6, 7, 6, 11, 5, 4, 8, 7, 10, 10, 6, 9, 7, 12};
    for (int i = 0; i < K_COUNT; i++) {
        if (LEN[i] != n || OWN_KEYS[i][0] != k[0]) continue;
        size_t j = 1; /* keys are short: a byte loop costs less than a memcmp call */
        while (j < n && OWN_KEYS[i][j] == k[j]) j++;
        if (j == n) return i;
    }
    return -1;
}

/* A null member counts as absent. */
static const rj_member_t *present(const rj_member_t *m) { return m && m->kind != 'z' ? m : NULL; }

static int is_empty_string(const rj_member_t *m) {
    if (m->node) return m->kind == 's' && !m->node->valuestring[0];
    return m->kind == 's' && m->val_len == 2;
}

/* The call's id as reports and queues keep it: the first 36 bytes of s[0..n). */
static void set_id(char id[37], const char *s, size_t n) {
    if (n > 36) n = 36;
    memcpy(id, s, n);
    id[n] = '\0';
}

/* The member's value as JSON: its text, or its node printed. */
static void put_value(rbuf_t *out, const rj_member_t *m) {
    if (m->node) rj_print_to(m->node, out);
    else rbuf_append(out, m->val, m->val_len);
}

/* The member's key as a JSON string (quotes included). */
static void put_key(rbuf_t *out, const rj_member_t *m) {
    if (m->node) {
        rbuf_json_string(out, m->key, m->key_len);
        return;
    }
    rbuf_putc(out, '"');
    rbuf_append(out, m->key, m->key_len); /* scanned: still in its escaped form */
    rbuf_putc(out, '"');
}

static rudder_err_t check_id(const rj_member_t *m, const char *key, char *errstr, size_t size) {
    if (m && m->kind != 's' && m->kind != 'n')
        return fail(errstr, size, RUDDER_ERR_FIELD_TYPE, "'%s' must be a string or a number", key);
    return RUDDER_OK;
}

static rudder_err_t check_kind(const rj_member_t *m, char kind, const char *key, char *errstr, size_t size) {
    if (!m || m->kind == kind) return RUDDER_OK;
    if (kind == 'o') return fail(errstr, size, RUDDER_ERR_FIELD_NOT_OBJECT, "'%s' must be a JSON object", key);
    return fail(errstr, size, RUDDER_ERR_FIELD_TYPE, "'%s' must be a string", key);
}

static void put_raw_member(rbuf_t *out, const char *key, const rj_member_t *m) {
    rbuf_puts(out, ",\"");
    rbuf_puts(out, key);
    rbuf_puts(out, "\":");
    put_value(out, m);
}

/* An id: strings verbatim, numbers as their decimal text in quotes. */
static void put_id(rbuf_t *out, const char *key, const rj_member_t *m) {
    rbuf_puts(out, ",\"");
    rbuf_puts(out, key);
    rbuf_puts(out, "\":");
    if (m->kind == 'n') rbuf_putc(out, '"');
    put_value(out, m);
    if (m->kind == 'n') rbuf_putc(out, '"');
}

/* context: the caller's members except library (and traits for identify), then traits,
 * then our library (ours wins). */
static void put_context(rbuf_t *out, const rj_member_t *ctx, const rj_member_t *copy_traits,
                        const message_opts_t *opts) {
    rbuf_puts(out, ",\"context\":{");
    int first = 1;
    if (ctx) {
        rj_member_t members[MAX_MEMBERS];
        int n = 0;
        if (ctx->node) { /* members of a tree */
            for (const cJSON *c = ctx->node->child; c && n < MAX_MEMBERS; c = c->next, n++)
                members[n] = (rj_member_t){.key = c->string ? c->string : "", .key_len = c->string ? strlen(c->string) : 0, .node = c};
        } else {
            n = rj_scan_object(ctx->val, ctx->val_len, 0, members, MAX_MEMBERS, NULL, NULL, 0);
        }
        for (int i = 0; i < n; i++) {
            char kb[128];
            size_t kl;
            const char *k = member_key(&members[i], kb, sizeof kb, &kl);
            if ((kl == 7 && !memcmp(k, "library", 7)) || (copy_traits && kl == 6 && !memcmp(k, "traits", 6))) continue;
            if (!first) rbuf_putc(out, ',');
            first = 0;
            put_key(out, &members[i]);
            rbuf_putc(out, ':');
            put_value(out, &members[i]);
        }
    }
    if (copy_traits) {
        if (!first) rbuf_putc(out, ',');
        first = 0;
        rbuf_puts(out, "\"traits\":");
        put_value(out, copy_traits);
    }
    if (!first) rbuf_putc(out, ',');
    rbuf_puts(out, "\"library\":{\"name\":\"ruddercore\",\"version\":\"" RUDDER_VERSION "\"");
    if (opts && opts->library_suffix && *opts->library_suffix) {
        rbuf_puts(out, ",\"binding\":");
        rbuf_json_string(out, opts->library_suffix, strlen(opts->library_suffix));
    }
    rbuf_puts(out, "}}");
}

/* The envelope from the message's top-level members (valid JSON each). */
static rudder_err_t build(rudder_call_type_t type, const rj_member_t *members, int n, const message_opts_t *opts,
                         rbuf_t *out, char *msgid_out, char *errstr, size_t size) {
    rudder_err_t e;
    const rj_member_t *own[K_COUNT] = {0};
    signed char member_own[MAX_MEMBERS];
    for (int i = 0; i < n; i++) {
        char kb[128];
        size_t kl;
        const char *k = member_key(&members[i], kb, sizeof kb, &kl);
        int idx = own_key_index(k, kl);
        member_own[i] = (signed char)idx;
        if (idx >= 0 && !own[idx]) own[idx] = &members[i];
    }
    const rj_member_t *user = present(own[K_USER_ID]), *anon = present(own[K_ANON_ID]),
                      *group = present(own[K_GROUP_ID]), *prev = present(own[K_PREVIOUS_ID]),
                      *properties = present(own[K_PROPERTIES]), *traits = present(own[K_TRAITS]),
                      *context = present(own[K_CONTEXT]), *integrations = present(own[K_INTEGRATIONS]),
                      *event = present(own[K_EVENT]), *name = present(own[K_NAME]),
                      *category = present(own[K_CATEGORY]), *message_id = present(own[K_MESSAGE_ID]),
                      *orig_ts = present(own[K_ORIGINAL_TS]), *ts = present(own[K_TIMESTAMP]);
    if ((e = check_id(user, "userId", errstr, size)) || (e = check_id(anon, "anonymousId", errstr, size)) ||
        (e = check_id(group, "groupId", errstr, size)) || (e = check_id(prev, "previousId", errstr, size)) ||
        (e = check_kind(properties, 'o', "properties", errstr, size)) ||
        (e = check_kind(traits, 'o', "traits", errstr, size)) ||
        (e = check_kind(context, 'o', "context", errstr, size)) ||
        /* integrations only ever go out as an object (a non-object sends the event nowhere) */
        (e = check_kind(integrations, 'o', "integrations", errstr, size)) ||
        (e = check_kind(event, 's', "event", errstr, size)) || (e = check_kind(name, 's', "name", errstr, size)) ||
        (e = check_kind(category, 's', "category", errstr, size)) ||
        (e = check_kind(message_id, 's', "messageId", errstr, size)) ||
        (e = check_kind(orig_ts, 's', "originalTimestamp", errstr, size)))
        return e;
    /* an empty string counts as absent */
    if (user && is_empty_string(user)) user = NULL;
    if (anon && is_empty_string(anon)) anon = NULL;
    if (group && is_empty_string(group)) group = NULL;
    if (prev && is_empty_string(prev)) prev = NULL;
    if (message_id && is_empty_string(message_id)) message_id = NULL;
    if (orig_ts && is_empty_string(orig_ts)) orig_ts = NULL;

    if (type == RUDDER_ALIAS) {
        if (!user) return fail(errstr, size, RUDDER_ERR_MISSING_USER_ID, "alias needs a non-empty 'userId'%s", "");
        if (!prev) return fail(errstr, size, RUDDER_ERR_MISSING_PREVIOUS_ID, "alias needs a non-empty 'previousId'%s", "");
    } else if (!user && !anon) {
        return fail(errstr, size, RUDDER_ERR_MISSING_IDENTITY, "%s needs a non-empty 'userId' or 'anonymousId'", rudder_call_name(type));
    }
    if (type == RUDDER_TRACK && (!event || is_empty_string(event)))
        return fail(errstr, size, RUDDER_ERR_MISSING_EVENT, "track needs a non-empty 'event' name%s", "");
    if (type == RUDDER_GROUP && !group)
        return fail(errstr, size, RUDDER_ERR_MISSING_GROUP_ID, "group needs a non-empty 'groupId'%s", "");

    /* timestamp: the caller's (string as given, number = epoch ms) */
    char ts_buf[RUDDER_ISO_LEN + 1] = "";
    if (ts) {
        if (ts->kind == 'n' && ts->node) {
            clock_iso((int64_t)ts->node->valuedouble, ts_buf);
        } else if (ts->kind == 'n') {
            char num[64];
            snprintf(num, sizeof num, "%.*s", (int)(ts->val_len < 63 ? ts->val_len : 63), ts->val);
            clock_iso((int64_t)strtod(num, NULL), ts_buf);
        } else if (ts->kind != 's') {
            return fail(errstr, size, RUDDER_ERR_FIELD_TYPE, "'%s' must be an ISO 8601 string or epoch milliseconds", "timestamp");
        } else if (is_empty_string(ts)) ts = NULL;
    }

    size_t start = out->len;
    rbuf_puts(out, "{\"type\":\"");
    rbuf_puts(out, rudder_call_name(type));
    rbuf_puts(out, "\",\"messageId\":");
    char id[37];
    if (message_id && message_id->node) {
        put_value(out, message_id);
        set_id(id, message_id->node->valuestring, strlen(message_id->node->valuestring));
    } else if (message_id) {
        rbuf_append(out, message_id->val, message_id->val_len);
        set_id(id, message_id->val + 1, message_id->val_len - 2);
        if (memchr(message_id->val, '\\', message_id->val_len)) { /* the id as a string, not as JSON text */
            cJSON *v = rj_parse(message_id->val, message_id->val_len, 1, NULL, NULL, 0);
            if (rj_is_string(v)) set_id(id, v->valuestring, strlen(v->valuestring));
            rj_delete(v);
        }
    } else {
        uuid_v4(id);
        rbuf_putc(out, '"');
        rbuf_append(out, id, 36);
        rbuf_putc(out, '"');
    }
    rbuf_puts(out, ",\"originalTimestamp\":");
    if (orig_ts) put_value(out, orig_ts);
    else {
        char now[RUDDER_ISO_LEN + 1];
        clock_iso(opts && opts->now_ms ? opts->now_ms : clock_wall_ms(), now);
        rbuf_putc(out, '"');
        rbuf_append(out, now, RUDDER_ISO_LEN);
        rbuf_putc(out, '"');
    }
    rbuf_puts(out, ",\"channel\":\"server\"");
    if (user) put_id(out, "userId", user);
    if (anon && type != RUDDER_ALIAS) put_id(out, "anonymousId", anon);
    if (type == RUDDER_TRACK) put_raw_member(out, "event", event);
    if ((type == RUDDER_PAGE || type == RUDDER_SCREEN) && name) put_raw_member(out, "name", name);
    if ((type == RUDDER_PAGE || type == RUDDER_SCREEN) && category) put_raw_member(out, "category", category);
    if (type == RUDDER_GROUP) put_id(out, "groupId", group);
    if (type == RUDDER_ALIAS) put_id(out, "previousId", prev);
    if (properties && type != RUDDER_IDENTIFY && type != RUDDER_GROUP && type != RUDDER_ALIAS)
        put_raw_member(out, "properties", properties);
    if (traits && (type == RUDDER_IDENTIFY || type == RUDDER_GROUP)) put_raw_member(out, "traits", traits);
    if (ts && ts->kind == 's') put_raw_member(out, "timestamp", ts);
    else if (ts) {
        rbuf_puts(out, ",\"timestamp\":\"");
        rbuf_append(out, ts_buf, RUDDER_ISO_LEN);
        rbuf_putc(out, '"');
    }
    put_context(out, context, type == RUDDER_IDENTIFY ? traits : NULL, opts);
    if (integrations) put_raw_member(out, "integrations", integrations);
    for (int i = 0; i < n; i++) {
        if (member_own[i] >= 0) continue;
        rbuf_putc(out, ',');
        put_key(out, &members[i]);
        rbuf_putc(out, ':');
        put_value(out, &members[i]);
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
    if (msgid_out) memcpy(msgid_out, id, 37);
    return RUDDER_OK;
}

rudder_err_t message_build_text(rudder_call_type_t type, const char *json, size_t len,
                                const message_opts_t *opts, rbuf_t *out, char *msgid_out,
                                char *errstr, size_t size) {
    if (errstr && size) errstr[0] = '\0';
    if ((unsigned)type > RUDDER_ALIAS) return fail(errstr, size, RUDDER_ERR_INVALID_ARG, "unknown call type%s", "");
    rj_member_t members[MAX_MEMBERS];
    rudder_err_t e;
    int n = rj_scan_object(json, len, 0, members, MAX_MEMBERS, &e, errstr, size);
    if (n < 0) {
        if (e == RUDDER_ERR_NOT_OBJECT)
            return fail(errstr, size, e, "the %s message must be a JSON object", rudder_call_name(type));
        return e;
    }
    return build(type, members, n, opts, out, msgid_out, errstr, size);
}

rudder_err_t message_build_members(rudder_call_type_t type, const rj_member_t *members, int n,
                                   const message_opts_t *opts, rbuf_t *out, char *msgid_out,
                                   char *errstr, size_t size) {
    if (errstr && size) errstr[0] = '\0';
    if ((unsigned)type > RUDDER_ALIAS) return fail(errstr, size, RUDDER_ERR_INVALID_ARG, "unknown call type%s", "");
    if (n < 0 || n > MAX_MEMBERS) return fail(errstr, size, RUDDER_ERR_TOO_DEEP, "too many top-level members%s", "");
    return build(type, members, n, opts, out, msgid_out, errstr, size);
}

static char kind_of(const cJSON *v) {
    switch (v->type & 0xFF) {
    case cJSON_Object: return 'o';
    case cJSON_Array: return 'a';
    case cJSON_String: return 's';
    case cJSON_Number: return 'n';
    case cJSON_True: return 't';
    case cJSON_False: return 'f';
    default: return 'z';
    }
}

rudder_err_t message_build_tree(rudder_call_type_t type, const cJSON *msg, const message_opts_t *opts,
                                rbuf_t *out, char *msgid_out, char *errstr, size_t size) {
    if (errstr && size) errstr[0] = '\0';
    if ((unsigned)type > RUDDER_ALIAS) return fail(errstr, size, RUDDER_ERR_INVALID_ARG, "unknown call type%s", "");
    if (!rj_is_object(msg))
        return fail(errstr, size, RUDDER_ERR_NOT_OBJECT, "the %s message must be a JSON object", rudder_call_name(type));
    rj_member_t members[MAX_MEMBERS];
    int n = 0;
    for (const cJSON *m = msg->child; m; m = m->next) {
        if (n == MAX_MEMBERS) return fail(errstr, size, RUDDER_ERR_TOO_DEEP, "too many top-level members%s", "");
        const char *k = m->string ? m->string : "";
        members[n++] = (rj_member_t){.key = k, .key_len = strlen(k), .kind = kind_of(m), .node = m};
    }
    return build(type, members, n, opts, out, msgid_out, errstr, size);
}

char *rudder_build_message(rudder_call_type_t type, const char *json, size_t len,
                           const char *library_suffix, size_t max_event_bytes,
                           rudder_err_t *err, char *errstr, size_t errstr_size) {
    rbuf_t b = RBUF_INIT;
    message_opts_t o = {max_event_bytes, library_suffix, 0};
    rudder_err_t e = json ? message_build_text(type, json, len, &o, &b, NULL, errstr, errstr_size) : RUDDER_ERR_INVALID_ARG;
    char *text = NULL;
    if (e == RUDDER_OK) {
        rbuf_putc(&b, '}');
        text = rbuf_detach(&b);
        if (!text) e = RUDDER_ERR_NO_MEMORY;
    } else rbuf_free(&b);
    if (err) *err = e;
    return text;
}
