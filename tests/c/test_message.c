/* The envelope (spec §3.5) and call-time validation, one distinct error per failure. */
#include "check.h"
#include "base/base.h"
#include "json/json.h"
#include "client/message.h"
#include <stdlib.h>
#include <time.h>

static cJSON *build(rudder_call_type_t t, const char *json, rudder_err_t *err, char *msg, size_t size) {
    char *text = rudder_build_message(t, json, strlen(json), "", 32768, err, msg, size);
    if (!text) return NULL;
    rudder_err_t e;
    cJSON *v = rj_parse(text, strlen(text), 0, &e, NULL, 0);
    free(text);
    return v;
}

static const char *str(const cJSON *o, const char *path) {
    const cJSON *v = o;
    char key[64];
    while (*path && v) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        memcpy(key, path, n);
        key[n] = '\0';
        v = cJSON_GetObjectItemCaseSensitive(v, key);
        path += n + (dot ? 1 : 0);
    }
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int is_uuid_v4(const char *s) {
    if (!s || strlen(s) != 36) return 0;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) { if (s[i] != '-') return 0; }
        else if (!strchr("0123456789abcdef", s[i])) return 0;
    }
    return s[14] == '4' && strchr("89ab", s[19]);
}

static int is_iso_ms_z(const char *s) {
    return s && strlen(s) == 24 && s[4] == '-' && s[10] == 'T' && s[19] == '.' && s[23] == 'Z';
}

static void test_track_envelope(void) {
    rudder_err_t e;
    char msg[256];
    cJSON *m = build(RUDDER_TRACK,
                     "{\"userId\":\"user-123\",\"event\":\"Order Completed\",\"properties\":{\"revenue\":42.5},"
                     "\"context\":{\"ip\":\"203.0.113.7\",\"library\":{\"name\":\"evil\"}},\"integrations\":{\"All\":true}}",
                     &e, msg, sizeof msg);
    CHECK(m != NULL, "built: %s", msg);
    if (!m) return;
    CHECK_EQ_STR(str(m, "type"), "track");
    CHECK_EQ_STR(str(m, "channel"), "server");
    CHECK_EQ_STR(str(m, "event"), "Order Completed");
    CHECK_EQ_STR(str(m, "context.ip"), "203.0.113.7");
    CHECK_EQ_STR(str(m, "context.library.name"), "ruddercore");
    CHECK_EQ_STR(str(m, "context.library.version"), RUDDER_VERSION);
    CHECK(is_uuid_v4(str(m, "messageId")), "messageId is a UUID v4: %s", str(m, "messageId"));
    CHECK(is_iso_ms_z(str(m, "originalTimestamp")), "originalTimestamp %s", str(m, "originalTimestamp"));
    CHECK(!cJSON_HasObjectItem(m, "anonymousId"), "no anonymousId invented");
    CHECK(!cJSON_HasObjectItem(m, "timestamp"), "no timestamp unless given");
    CHECK(!cJSON_HasObjectItem(m, "sentAt"), "sentAt is added at send time");
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "integrations"), "All")), "integrations kept");
    cJSON_Delete(m);
}

static void test_caller_ids_and_times_are_kept(void) {
    rudder_err_t e;
    char msg[256];
    cJSON *m = build(RUDDER_TRACK,
                     "{\"userId\":42,\"anonymousId\":\"\",\"event\":\"E\",\"messageId\":\"m-1\",\"timestamp\":\"2026-01-02T03:04:05.678Z\","
                     "\"originalTimestamp\":\"2026-01-02T03:04:05.000Z\",\"integrations\":null}",
                     &e, msg, sizeof msg);
    CHECK(m != NULL, "built: %s", msg);
    if (!m) return;
    CHECK_EQ_STR(str(m, "userId"), "42");
    CHECK(!cJSON_HasObjectItem(m, "anonymousId"), "empty anonymousId counts as absent");
    CHECK_EQ_STR(str(m, "messageId"), "m-1");
    CHECK_EQ_STR(str(m, "timestamp"), "2026-01-02T03:04:05.678Z");
    CHECK_EQ_STR(str(m, "originalTimestamp"), "2026-01-02T03:04:05.000Z");
    CHECK(!cJSON_HasObjectItem(m, "integrations"), "integrations:null is never sent");
    cJSON_Delete(m);
}

static void test_identify_copies_traits_to_context(void) {
    rudder_err_t e;
    char msg[256];
    cJSON *m = build(RUDDER_IDENTIFY, "{\"userId\":\"u\",\"traits\":{\"plan\":\"pro\"}}", &e, msg, sizeof msg);
    CHECK(m != NULL, "built: %s", msg);
    if (!m) return;
    CHECK_EQ_STR(str(m, "traits.plan"), "pro");
    CHECK_EQ_STR(str(m, "context.traits.plan"), "pro");
    cJSON_Delete(m);
}

static void test_each_call_type(void) {
    rudder_err_t e;
    char msg[256];
    cJSON *m = build(RUDDER_GROUP, "{\"userId\":\"u\",\"groupId\":\"org-42\",\"traits\":{\"n\":1}}", &e, msg, sizeof msg);
    CHECK(m && !strcmp(str(m, "type"), "group") && !strcmp(str(m, "groupId"), "org-42"), "group: %s", msg);
    cJSON_Delete(m);
    m = build(RUDDER_PAGE, "{\"anonymousId\":\"a\",\"name\":\"Pricing\",\"category\":\"Docs\",\"properties\":{\"url\":\"x\"}}", &e, msg, sizeof msg);
    CHECK(m && !strcmp(str(m, "name"), "Pricing") && !strcmp(str(m, "category"), "Docs") && str(m, "properties.url"), "page: %s", msg);
    cJSON_Delete(m);
    m = build(RUDDER_SCREEN, "{\"userId\":\"u\",\"name\":\"Home\"}", &e, msg, sizeof msg);
    CHECK(m && !strcmp(str(m, "type"), "screen"), "screen: %s", msg);
    cJSON_Delete(m);
    m = build(RUDDER_ALIAS, "{\"userId\":\"u\",\"previousId\":\"anon-9\"}", &e, msg, sizeof msg);
    CHECK(m && !strcmp(str(m, "previousId"), "anon-9") && !strcmp(str(m, "userId"), "u"), "alias: %s", msg);
    cJSON_Delete(m);
}

static void expect(rudder_call_type_t t, const char *json, rudder_err_t want, const char *word) {
    rudder_err_t e = RUDDER_OK;
    char msg[256] = "";
    cJSON *m = build(t, json, &e, msg, sizeof msg);
    CHECK(m == NULL, "%s should fail", json);
    CHECK(e == want, "%s: got %s, want %s (%s)", json, rudder_err_name(e), rudder_err_name(want), msg);
    CHECK(strstr(msg, word) != NULL, "message for %s names '%s': %s", json, word, msg);
    cJSON_Delete(m);
}

static void test_validation_errors_are_distinct_and_named(void) {
    expect(RUDDER_TRACK, "{\"event\":\"E\"}", RUDDER_ERR_MISSING_IDENTITY, "anonymousId");
    expect(RUDDER_TRACK, "{\"userId\":\"u\",\"event\":\"\"}", RUDDER_ERR_MISSING_EVENT, "event");
    expect(RUDDER_TRACK, "{\"userId\":\"u\"}", RUDDER_ERR_MISSING_EVENT, "event");
    expect(RUDDER_GROUP, "{\"userId\":\"u\"}", RUDDER_ERR_MISSING_GROUP_ID, "groupId");
    expect(RUDDER_ALIAS, "{\"previousId\":\"p\"}", RUDDER_ERR_MISSING_USER_ID, "userId");
    expect(RUDDER_ALIAS, "{\"userId\":\"u\"}", RUDDER_ERR_MISSING_PREVIOUS_ID, "previousId");
    expect(RUDDER_TRACK, "{\"userId\":\"u\",\"event\":\"E\",\"properties\":[1]}", RUDDER_ERR_FIELD_NOT_OBJECT, "properties");
    expect(RUDDER_IDENTIFY, "{\"userId\":\"u\",\"traits\":\"x\"}", RUDDER_ERR_FIELD_NOT_OBJECT, "traits");
    expect(RUDDER_TRACK, "{\"userId\":\"u\",\"event\":\"E\",\"context\":1}", RUDDER_ERR_FIELD_NOT_OBJECT, "context");
    expect(RUDDER_TRACK, "{\"userId\":\"u\",\"event\":\"E\",\"integrations\":true}", RUDDER_ERR_FIELD_NOT_OBJECT, "integrations");
    expect(RUDDER_TRACK, "{\"userId\":{},\"event\":\"E\"}", RUDDER_ERR_FIELD_TYPE, "userId");
    expect(RUDDER_TRACK, "[1]", RUDDER_ERR_NOT_OBJECT, "object");
    expect(RUDDER_TRACK, "{\"userId\":\"u\",", RUDDER_ERR_INVALID_JSON, "byte");
    expect(RUDDER_TRACK, "{\"userId\":\"\xe2\x28\xa1\"}", RUDDER_ERR_INVALID_UTF8, "UTF-8");
}

static void test_size_limit_counts_the_envelope(void) {
    size_t n = 40000;
    char *big = malloc(n + 100);
    strcpy(big, "{\"userId\":\"u\",\"event\":\"E\",\"properties\":{\"s\":\"");
    size_t l = strlen(big);
    memset(big + l, 'x', n);
    strcpy(big + l + n, "\"}}");
    expect(RUDDER_TRACK, big, RUDDER_ERR_TOO_LARGE, "maxEventBytes");
    free(big);
}

static void test_message_ids_are_unique(void) {
    char seen[200][37];
    for (int i = 0; i < 200; i++) {
        rudder_err_t e;
        char msg[128];
        cJSON *m = build(RUDDER_TRACK, "{\"userId\":\"u\",\"event\":\"E\"}", &e, msg, sizeof msg);
        snprintf(seen[i], 37, "%s", m ? str(m, "messageId") : "");
        cJSON_Delete(m);
        for (int j = 0; j < i; j++) CHECK(strcmp(seen[i], seen[j]) != 0, "duplicate id %s", seen[i]);
    }
}

/* clock_iso does its own calendar arithmetic (and keeps recent seconds' text); gmtime_r is
 * the reference. */
static void test_timestamps_match_gmtime(void) {
    const int64_t fixed[] = {0, -1, 999, 1000, -86400000, 951782400000 /* 2000-02-29 */, 4107542400000 /* 2100-03-01 */,
                             -2203891200000 /* 1900-02-28 */, 1732320817123, 253402300799999 /* 9999-12-31 */};
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 26000; i++) {
        int64_t ms;
        if (i < (int)(sizeof fixed / sizeof *fixed)) ms = fixed[i];
        else if (i >= 20000) /* a few seconds in turn, so the per-thread cache of the last two
                                seconds hits, misses and is overwritten */
            ms = 1732320817000 + (i % (2 + i / 2000 % 3)) * 1000 + (int64_t)(i * 7 % 1000) - (i % 5 == 0 ? 1732320817000 * 2 : 0);
        else {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            ms = (int64_t)(x % 253402300800000ULL) - (i % 3 == 0 ? 62135596800000LL / 2 : 0);
        }
        char got[RUDDER_ISO_LEN + 1], want[64];
        clock_iso(ms, got);
        int64_t secs = ms / 1000;
        int milli = (int)(ms % 1000);
        if (milli < 0) { milli += 1000; secs -= 1; }
        time_t t = (time_t)secs;
        struct tm tm;
        gmtime_r(&t, &tm);
        snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec, milli);
        if (strcmp(got, want) != 0) {
            CHECK_EQ_STR(got, want);
            break;
        }
    }
}

/* A call built from a tree (the destination's way) is the same envelope as the call built
 * from its text (the client's way). */
static void test_tree_and_text_envelopes_agree(void) {
    const struct { rudder_call_type_t type; const char *json; } cases[] = {
        {RUDDER_TRACK, "{\"userId\":\"u\",\"event\":\"E\",\"properties\":{\"a\":1.50,\"b\":[\"x\",null],\"q\\\"k\":\"\\u00e9\\n\"},\"timestamp\":1732320817000}"},
        {RUDDER_IDENTIFY, "{\"anonymousId\":7,\"traits\":{\"email\":\"a@b\"},\"context\":{\"ip\":\"1.2.3.4\",\"library\":{\"name\":\"x\"},\"traits\":{\"old\":1}}}"},
        {RUDDER_GROUP, "{\"userId\":\"u\",\"groupId\":\"g\",\"traits\":{},\"messageId\":\"abc-track\",\"extra\":{\"k\":true},\"ke\\ty\":1}"},
        {RUDDER_PAGE, "{\"userId\":\"u\",\"name\":\"Home\",\"category\":\"c\",\"properties\":{\"path\":\"/\"},\"timestamp\":\"2024-01-02T03:04:05.678Z\"}"},
        {RUDDER_ALIAS, "{\"userId\":\"u\",\"previousId\":\"p\",\"integrations\":{\"All\":false},\"originalTimestamp\":\"2020-01-01T00:00:00.000Z\"}"},
        {RUDDER_TRACK, "{\"userId\":\"\",\"event\":\"E\"}"},
        {RUDDER_TRACK, "{\"userId\":\"u\",\"event\":\"E\",\"messageId\":\"a\\\"b\\u0041-track\"}"},
        {RUDDER_TRACK, "{\"userId\":\"u\",\"event\":\"E\",\"properties\":[1]}"},
    };
    message_opts_t o = {32768, "test", 1700000000000LL};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        rbuf_t a = RBUF_INIT, b = RBUF_INIT;
        char ea[200] = "", eb[200] = "", ida[37] = "", idb[37] = "";
        rudder_err_t e1 = message_build_text(cases[i].type, cases[i].json, strlen(cases[i].json), &o, &a, ida, ea, sizeof ea);
        cJSON *tree = rj_parse(cases[i].json, strlen(cases[i].json), 0, NULL, NULL, 0);
        rudder_err_t e2 = message_build_tree(cases[i].type, tree, &o, &b, idb, eb, sizeof eb);
        CHECK_EQ_INT(e2, e1);
        CHECK_EQ_STR(eb, ea);
        if (e1 == RUDDER_OK && e2 == RUDDER_OK) {
            /* the same JSON (text keeps the caller's escapes, a tree prints its own), apart
             * from generated messageIds */
            rbuf_putc(&a, '}');
            rbuf_putc(&b, '}');
            cJSON *ja = rj_parse(a.data, a.len, 0, NULL, NULL, 0), *jb = rj_parse(b.data, b.len, 0, NULL, NULL, 0);
            if (!strstr(cases[i].json, "messageId")) {
                cJSON_DeleteItemFromObjectCaseSensitive(ja, "messageId");
                cJSON_DeleteItemFromObjectCaseSensitive(jb, "messageId");
            } else {
                CHECK_EQ_STR(idb, ida);
            }
            char *pa = rj_print(ja), *pb = rj_print(jb);
            CHECK(pa && pb && strcmp(pa, pb) == 0, "case %zu:\n text %s\n tree %s", i, pa, pb);
            free(pa);
            free(pb);
            rj_delete(ja);
            rj_delete(jb);
        }
        rj_delete(tree);
        rbuf_free(&a);
        rbuf_free(&b);
    }
}

int main(void) {
    RUN(test_track_envelope);
    RUN(test_caller_ids_and_times_are_kept);
    RUN(test_identify_copies_traits_to_context);
    RUN(test_each_call_type);
    RUN(test_validation_errors_are_distinct_and_named);
    RUN(test_size_limit_counts_the_envelope);
    RUN(test_message_ids_are_unique);
    RUN(test_timestamps_match_gmtime);
    RUN(test_tree_and_text_envelopes_agree);
    return check_summary();
}
