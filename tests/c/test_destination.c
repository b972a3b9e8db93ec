/* test_destination.c — the walkerOS destination in its default mode: per-identity
 * identify/group dedup on a server with interleaved users, the divergences from walkerOS
 * (messageId, integrations, calls the data plane would reject), consent holding, bad
 * input, and real delivery to the local data plane. */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "dataplane.h"
#include "destination/destination.h"
#include "json/json.h"

static const char *SETTINGS_BASE =
    "\"writeKey\":\"wk\",\"dataPlaneUrl\":\"http://127.0.0.1:9\",\"logLevel\":\"error\",\"enable\":false";

static rudder_dest_t *make_dest(const char *extra_settings, const char *rest) {
    char cfg[4096];
    snprintf(cfg, sizeof cfg, "{\"settings\":{%s%s%s}%s%s}", SETTINGS_BASE, extra_settings ? "," : "",
             extra_settings ? extra_settings : "", rest ? "," : "", rest ? rest : "");
    char err[256];
    rudder_dest_t *d = rudder_dest_new(cfg, strlen(cfg), NULL, err, sizeof err);
    CHECK(d != NULL, "destination created: %s", err);
    return d;
}

/* An event for user/session/email with the given name. */
static char *event(const char *name, const char *uid, const char *sid, const char *extra) {
    char *buf = malloc(1024);
    snprintf(buf, 1024,
             "{\"name\":\"%s\",\"id\":\"ev-%s-%s\",\"timestamp\":1700000000000,"
             "\"user\":{%s%s%s\"session\":\"%s\",\"email\":\"%s@example.com\"},"
             "\"globals\":{\"company\":\"acme\",\"plan\":\"pro\"}%s%s}",
             name, uid ? uid : "anon", sid, uid ? "\"id\":\"" : "", uid ? uid : "", uid ? "\"," : "", sid,
             uid ? uid : sid, extra ? "," : "", extra ? extra : "");
    return buf;
}

/* Maps one event; returns the calls array (caller deletes) and the error. */
static cJSON *map(rudder_dest_t *d, const char *ev, rudder_err_t *err, char *errstr, size_t n) {
    rudder_err_t e;
    char local[256];
    char *out = rudder_dest_map(d, ev, strlen(ev), &e, errstr ? errstr : local, errstr ? n : sizeof local);
    if (err) *err = e;
    cJSON *arr = out ? cJSON_Parse(out) : NULL;
    rudder_free(out);
    return arr;
}

static int count_calls(const cJSON *calls, const char *method) {
    int n = 0;
    for (const cJSON *c = calls ? calls->child : NULL; c; c = c->next)
        if (!strcmp(cJSON_GetStringValue(c->child), method)) n++;
    return n;
}

static const cJSON *call_params(const cJSON *calls, const char *method) {
    for (const cJSON *c = calls ? calls->child : NULL; c; c = c->next)
        if (!strcmp(cJSON_GetStringValue(c->child), method)) return c->child->next;
    return NULL;
}

/* Maps an event and counts one method. */
static int calls_of(rudder_dest_t *d, const char *ev_text, const char *method) {
    cJSON *calls = map(d, ev_text, NULL, NULL, 0);
    int n = count_calls(calls, method);
    cJSON_Delete(calls);
    return n;
}

static const char *IDENTIFY_GROUP =
    "\"identify\":{\"map\":{\"traits\":{\"map\":{\"email\":\"user.email\"}}}},"
    "\"group\":{\"map\":{\"groupId\":\"globals.company\",\"traits\":{\"map\":{\"plan\":\"globals.plan\"}}}}";

static void test_interleaved_users_identify_once_each(void) {
    rudder_dest_t *d = make_dest(IDENTIFY_GROUP, NULL);
    const char *users[] = {"alice", "bob", "alice", "carol", "bob", "alice"};
    int identifies = 0;
    for (size_t i = 0; i < sizeof users / sizeof *users; i++) {
        char *ev = event("page view", users[i], "s", NULL);
        identifies += calls_of(d, ev, "identify");
        free(ev);
    }
    CHECK_EQ_INT(identifies, 3); /* walkerOS's single slot would send 6 */
    /* a changed trait re-identifies that user only */
    char *ev = event("page view", "alice", "s", NULL);
    char *changed = strdup(ev);
    char *at = strstr(changed, "alice@");
    memcpy(at, "ALICE@", 6);
    CHECK_EQ_INT(calls_of(d, changed, "identify"), 1);
    CHECK_EQ_INT(calls_of(d, changed, "identify"), 0);
    free(ev);
    free(changed);
    char *stats = rudder_dest_stats(d);
    CHECK(strstr(stats, "\"identifyDeduped\":") != NULL, "stats: %s", stats);
    rudder_free(stats);
    rudder_dest_destroy(d);
}

static void test_shared_group_reaches_every_member(void) {
    rudder_dest_t *d = make_dest(IDENTIFY_GROUP, NULL);
    const char *users[] = {"alice", "bob", "alice", "bob"};
    int groups = 0;
    for (size_t i = 0; i < 4; i++) {
        char *ev = event("page view", users[i], "s", NULL);
        cJSON *calls = map(d, ev, NULL, NULL, 0);
        int g = count_calls(calls, "group");
        if (i < 2) {
            const cJSON *p = call_params(calls, "group");
            CHECK(p && !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(p, "userId")), users[i]),
                  "group call %zu is for %s", i, users[i]);
        }
        groups += g;
        cJSON_Delete(calls);
        free(ev);
    }
    CHECK_EQ_INT(groups, 2); /* walkerOS sends 1: the second member never gets a group call */
    rudder_dest_destroy(d);
}

static void test_lru_capacity_forgets_oldest(void) {
    rudder_dest_t *d = make_dest("\"identityCacheSize\":2,\"identify\":{\"map\":{\"traits\":{\"map\":{\"email\":\"user.email\"}}}}", NULL);
    const char *users[] = {"a", "b", "c", "a"};
    int identifies = 0;
    for (size_t i = 0; i < 4; i++) {
        char *ev = event("page view", users[i], "s", NULL);
        identifies += calls_of(d, ev, "identify");
        free(ev);
    }
    CHECK_EQ_INT(identifies, 4); /* "a" was evicted by "c" and is identified again */
    rudder_dest_destroy(d);
}

static void test_trait_order_does_not_refire(void) {
    rudder_dest_t *d = make_dest("\"identify\":{\"map\":{\"traits\":\"data.traits\"}}", NULL);
    char *e1 = event("user update", "u1", "s", "\"data\":{\"traits\":{\"plan\":\"pro\",\"seats\":3}}");
    char *e2 = event("user update", "u1", "s", "\"data\":{\"traits\":{\"seats\":3,\"plan\":\"pro\"}}");
    CHECK_EQ_INT(calls_of(d, e1, "identify"), 1);
    CHECK_EQ_INT(calls_of(d, e2, "identify"), 0);
    free(e1);
    free(e2);
    rudder_dest_destroy(d);
}

static void test_message_id_and_integrations(void) {
    rudder_dest_t *d = make_dest("\"integrations\":{\"All\":false,\"Mixpanel\":true}",
                                 "\"mapping\":{\"page\":{\"view\":{\"settings\":{\"page\":true}}}}");
    char *ev = event("page view", "u1", "s1", NULL);
    cJSON *calls = map(d, ev, NULL, NULL, 0);
    CHECK_EQ_INT(cJSON_GetArraySize(calls), 2);
    const cJSON *track = call_params(calls, "track"), *page = call_params(calls, "page");
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(track, "messageId")), "ev-u1-s1-track");
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(page, "messageId")), "ev-u1-s1-page");
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(track, "integrations"), "All")),
          "integrations forwarded on track");
    CHECK(cJSON_GetObjectItem(page, "integrations") != NULL, "integrations forwarded on page");
    cJSON_Delete(calls);
    free(ev);
    rudder_dest_destroy(d);
}

static void test_rejectable_calls_are_counted_errors(void) {
    rudder_dest_t *d = make_dest(NULL,
        "\"mapping\":{\"identity\":{\"merge\":{\"settings\":{\"alias\":{\"map\":{\"previousId\":\"data.anon\"}}}}},"
        "\"product\":{\"view\":{\"name\":\"\",\"settings\":{\"page\":true}}}}");
    char err[256];
    rudder_err_t e;
    char *anon = event("identity merge", NULL, "s1", "\"data\":{\"anon\":\"old-1\"}");
    cJSON *calls = map(d, anon, &e, err, sizeof err);
    CHECK_EQ_INT(e, RUDDER_ERR_MISSING_USER_ID);
    CHECK(strstr(err, "alias") != NULL, "error says alias: %s", err);
    CHECK_EQ_INT(count_calls(calls, "alias"), 0);
    CHECK_EQ_INT(count_calls(calls, "track"), 1); /* the rest of the push goes on */
    cJSON_Delete(calls);
    free(anon);
    char *empty = event("product view", "u1", "s1", NULL);
    calls = map(d, empty, &e, err, sizeof err);
    CHECK_EQ_INT(e, RUDDER_ERR_MISSING_EVENT);
    CHECK_EQ_INT(count_calls(calls, "page"), 1);
    CHECK_EQ_INT(count_calls(calls, "track"), 0);
    cJSON_Delete(calls);
    free(empty);
    char *stats = rudder_dest_stats(d);
    CHECK(strstr(stats, "\"callErrors\":2") != NULL, "two counted errors: %s", stats);
    rudder_free(stats);
    rudder_dest_destroy(d);
}

static void test_skip_means_silent(void) {
    rudder_dest_t *d = make_dest(NULL, "\"mapping\":{\"user\":{\"login\":{\"skip\":true}}}");
    char *ev = event("user login", "u1", "s1", NULL);
    CHECK_EQ_INT(calls_of(d, ev, "track"), 0);
    free(ev);
    rudder_dest_destroy(d);
}

static void test_no_identity_is_a_counted_warning(void) {
    rudder_dest_t *d = make_dest("\"anonymousId\":\"user.device\"", NULL);
    char *ev = event("page view", NULL, "s1", NULL);
    rudder_err_t e;
    char err[256];
    cJSON *calls = map(d, ev, &e, err, sizeof err);
    CHECK_EQ_INT(e, RUDDER_ERR_NO_IDENTITY);
    CHECK_EQ_INT(cJSON_GetArraySize(calls), 0);
    cJSON_Delete(calls);
    free(ev);
    char *stats = rudder_dest_stats(d);
    CHECK(strstr(stats, "\"noIdentity\":1") != NULL, "counted: %s", stats);
    rudder_free(stats);
    rudder_dest_destroy(d);
}

static void test_consent_holds_then_releases(void) {
    rudder_dest_t *d = make_dest(NULL, "\"consent\":{\"marketing\":true}");
    char *ev = event("product view", "u1", "s1", "\"consent\":{\"functional\":true}");
    CHECK_EQ_INT(calls_of(d, ev, "track"), 0);
    dest_calls_t calls = {0};
    char err[256];
    cJSON *grant = cJSON_Parse("{\"marketing\":true}");
    pthread_mutex_lock(&d->lock);
    CHECK_EQ_INT(dest_run_command(d, "consent", grant, &calls, err, sizeof err), RUDDER_OK);
    pthread_mutex_unlock(&d->lock);
    CHECK_EQ_INT(calls.n, 1);
    CHECK(calls.n == 1 && calls.v[0].type == RUDDER_TRACK, "the held event is sent after consent");
    dest_calls_free(&calls);
    cJSON_Delete(grant);
    CHECK_EQ_INT(calls_of(d, ev, "track"), 1); /* now granted by the collector */
    free(ev);
    CHECK_EQ_INT(rudder_dest_command(d, "walker nonsense", "{}", 2, err, sizeof err), RUDDER_ERR_INVALID_ARG);
    rudder_dest_destroy(d);
}

static void test_bad_input_names_the_problem(void) {
    rudder_dest_t *d = make_dest(NULL, NULL);
    char err[256];
    struct { const char *text; rudder_err_t code; const char *needle; } cases[] = {
        {"[1,2]", RUDDER_ERR_EVENT, "event: expected a JSON object"},
        {"{\"name\":\"pageview\"}", RUDDER_ERR_EVENT, "event.name"},
        {"{\"name\":7}", RUDDER_ERR_EVENT, "event.name"},
        {"{\"name\":\"a b\",\"data\":{\"x\":\"\xff\"}}", RUDDER_ERR_INVALID_UTF8, "event"},
        {"{\"name\":", RUDDER_ERR_INVALID_JSON, "event"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        rudder_err_t e = rudder_dest_push(d, cases[i].text, strlen(cases[i].text), err, sizeof err);
        CHECK(e == cases[i].code, "case %zu: got %s (%s)", i, rudder_err_name(e), err);
        CHECK(strstr(err, cases[i].needle) != NULL, "case %zu: message '%s' mentions '%s'", i, err, cases[i].needle);
    }
    /* nesting past the limit */
    char deep[512] = "{\"name\":\"a b\",\"data\":";
    for (int i = 0; i < 40; i++) strcat(deep, "[");
    for (int i = 0; i < 40; i++) strcat(deep, "]");
    strcat(deep, "}");
    CHECK_EQ_INT(rudder_dest_push(d, deep, strlen(deep), err, sizeof err), RUDDER_ERR_TOO_DEEP);
    /* a huge event */
    size_t big = DEST_MAX_EVENT_BYTES + 100;
    char *huge = malloc(big + 64);
    strcpy(huge, "{\"name\":\"a b\",\"data\":{\"s\":\"");
    size_t n = strlen(huge);
    memset(huge + n, 'x', big);
    strcpy(huge + n + big, "\"}}");
    CHECK_EQ_INT(rudder_dest_push(d, huge, strlen(huge), err, sizeof err), RUDDER_ERR_TOO_LARGE);
    free(huge);
    /* push_many: one bad line does not stop the others */
    const char *many = "{\"name\":\"page view\",\"user\":{\"id\":\"u\"}}\nnot json\n\n{\"name\":\"x\"}\n"
                       "{\"name\":\"page view\",\"user\":{\"id\":\"u\"}}\n";
    char *res = rudder_dest_push_many(d, many, strlen(many));
    cJSON *arr = cJSON_Parse(res);
    CHECK_EQ_INT(cJSON_GetArraySize(arr), 4);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "ok")), "line 1 ok: %s", res);
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 1), "ok")), "line 2 fails: %s", res);
    CHECK(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 2), "error")), "line 4") != NULL,
          "errors carry the line: %s", res);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 3), "ok")), "line 5 ok: %s", res);
    cJSON_Delete(arr);
    rudder_free(res);
    res = rudder_dest_push_many(d, "[{\"name\":\"page view\",\"user\":{\"id\":\"u\"}}, 5]", 43);
    arr = cJSON_Parse(res);
    CHECK_EQ_INT(cJSON_GetArraySize(arr), 2);
    CHECK(strstr(res, "[1] event: expected a JSON object") != NULL, "array index named: %s", res);
    cJSON_Delete(arr);
    rudder_free(res);
    rudder_dest_destroy(d);
}

static void test_bad_config_is_rejected(void) {
    char err[256];
    const char *cfg1 = "{\"settings\":{\"writeKey\":\"wk\",\"dataPlaneUrl\":\"http://127.0.0.1:9\"},"
                       "\"mapping\":{\"product\":{\"view\":{\"data\":{\"fn\":\"$code:(v)=>v\"}}}}}";
    CHECK(rudder_dest_new(cfg1, strlen(cfg1), NULL, err, sizeof err) == NULL, "unknown fn rejected");
    CHECK(strstr(err, "mapping.product.view.data.fn") != NULL, "path in: %s", err);
    const char *cfg2 = "{\"settings\":{\"writeKey\":\"wk\",\"dataPlaneUrl\":\"http://127.0.0.1:9\",\"identify\":{\"map\":[]}}}";
    CHECK(rudder_dest_new(cfg2, strlen(cfg2), NULL, err, sizeof err) == NULL, "bad identify rejected");
    CHECK(strstr(err, "settings.identify.map") != NULL, "path in: %s", err);
    const char *cfg3 = "[1]";
    CHECK(rudder_dest_new(cfg3, strlen(cfg3), NULL, err, sizeof err) == NULL, "non-object config rejected");
    const char *cfg4 = "{\"settings\":{\"writeKey\":\"wk\",\"dataPlaneUrl\":\"http://127.0.0.1:9\"},\"include\":\"data\"}";
    CHECK(rudder_dest_new(cfg4, strlen(cfg4), NULL, err, sizeof err) == NULL, "include must be a list");
    CHECK(strstr(err, "include") != NULL, "message: %s", err);
}

static char *upper(const char *value, const char *context, void *opaque, int *failed) {
    (*(int *)opaque)++;
    char *out = strdup(value ? value : "null");
    for (char *p = out; *p; p++)
        if (*p >= 'a' && *p <= 'z') *p -= 32;
    return out;
}

static void test_registered_fn_via_base_conf(void) {
    int called = 0;
    rudder_conf_t *base = rudder_conf_new();
    rudder_conf_set_fn(base, "upper", upper, &called);
    const char *cfg = "{\"settings\":{\"writeKey\":\"wk\",\"dataPlaneUrl\":\"http://127.0.0.1:9\"},"
                      "\"mapping\":{\"page\":{\"view\":{\"data\":{\"map\":{\"t\":{\"key\":\"data.title\"},"
                      "\"u\":[{\"fn\":\"$fn:upper\",\"key\":\"\"},\"data.title\"]}}}}}}";
    char err[256];
    rudder_dest_t *d = rudder_dest_new(cfg, strlen(cfg), base, err, sizeof err);
    rudder_conf_destroy(base);
    CHECK(d != NULL, "created: %s", err);
    const char *ev = "{\"name\":\"page view\",\"data\":{\"title\":\"hi\"},\"user\":{\"id\":\"u\"}}";
    cJSON *calls = map(d, ev, NULL, NULL, 0);
    const cJSON *props = cJSON_GetObjectItem(call_params(calls, "track"), "properties");
    CHECK(called == 1, "callback called once, got %d", called);
    CHECK(cJSON_GetObjectItem(props, "u") != NULL, "fn result used");
    cJSON_Delete(calls);
    rudder_dest_destroy(d);
}

/* Every public call is thread-safe: threads pushing interleaved users share the dedup state. */
typedef struct worker { rudder_dest_t *d; int id; int identifies; int tracks; } worker_t;

static void *push_worker(void *arg) {
    worker_t *w = arg;
    for (int i = 0; i < 500; i++) {
        char uid[32];
        snprintf(uid, sizeof uid, "user-%d", (i + w->id) % 50); /* 50 users shared by all threads */
        char *ev = event("page view", uid, "s", NULL);
        cJSON *calls = map(w->d, ev, NULL, NULL, 0);
        w->identifies += count_calls(calls, "identify");
        w->tracks += count_calls(calls, "track");
        cJSON_Delete(calls);
        free(ev);
    }
    return NULL;
}

static void test_threads_share_dedup_state(void) {
    rudder_dest_t *d = make_dest(IDENTIFY_GROUP, NULL);
    pthread_t th[4];
    worker_t w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker_t){d, i * 7, 0, 0};
        pthread_create(&th[i], NULL, push_worker, &w[i]);
    }
    int identifies = 0, tracks = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        identifies += w[i].identifies;
        tracks += w[i].tracks;
    }
    CHECK_EQ_INT(tracks, 2000);
    CHECK_EQ_INT(identifies, 50); /* each user identified exactly once */
    rudder_dest_destroy(d);
}

static void test_push_reaches_the_data_plane(void) {
    dp_t *dp = dp_start(NULL);
    CHECK(dp != NULL, "data plane started");
    if (!dp) return;
    char extra[512];
    snprintf(extra, sizeof extra, "\"writeKey\":\"wk\",\"dataPlaneUrl\":\"%s\",\"flushAt\":1,%s", dp_url(dp), IDENTIFY_GROUP);
    char cfg[2048];
    snprintf(cfg, sizeof cfg, "{\"settings\":{%s},\"mapping\":{\"product\":{\"view\":{\"name\":\"Product Viewed\","
                              "\"data\":{\"map\":{\"id\":\"data.id\"}}}}}}", extra);
    char err[256];
    rudder_dest_t *d = rudder_dest_new(cfg, strlen(cfg), NULL, err, sizeof err);
    CHECK(d != NULL, "created: %s", err);
    if (!d) { dp_stop(dp); return; }
    char *ev = event("product view", "u1", "s1", "\"data\":{\"id\":\"p1\"}");
    CHECK_EQ_INT(rudder_dest_push(d, ev, strlen(ev), err, sizeof err), RUDDER_OK);
    free(ev);
    size_t left = 99;
    CHECK_EQ_INT(rudder_flush(rudder_dest_client(d), 10000, &left), RUDDER_OK);
    CHECK_EQ_INT(left, 0);
    CHECK(dp_wait_stat(dp, "events", 3, 10000) == 0, "identify, group and track arrived");
    cJSON *events = dp_get(dp, "/_events");
    char *text = events ? rj_print(events) : NULL;
    CHECK(text && strstr(text, "\"messageId\":\"ev-u1-s1-track\""), "derived messageId delivered: %.300s", text ? text : "");
    CHECK(text && strstr(text, "\"event\":\"Product Viewed\""), "track delivered");
    CHECK(text && strstr(text, "\"timestamp\":\"2023-11-14T22:13:20.000Z\""), "ISO timestamp from event.timestamp");
    free(text);
    cJSON_Delete(events);
    rudder_dest_destroy(d);
    dp_stop(dp);
}

int main(void) {
    RUN(test_interleaved_users_identify_once_each);
    RUN(test_shared_group_reaches_every_member);
    RUN(test_lru_capacity_forgets_oldest);
    RUN(test_trait_order_does_not_refire);
    RUN(test_message_id_and_integrations);
    RUN(test_rejectable_calls_are_counted_errors);
    RUN(test_skip_means_silent);
    RUN(test_no_identity_is_a_counted_warning);
    RUN(test_consent_holds_then_releases);
    RUN(test_bad_input_names_the_problem);
    RUN(test_bad_config_is_rejected);
    RUN(test_registered_fn_via_base_conf);
    RUN(test_threads_share_dedup_state);
    RUN(test_push_reaches_the_data_plane);
    return check_summary();
}
