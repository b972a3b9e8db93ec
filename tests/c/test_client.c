/* The client against the local data plane on loopback: delivery exactly once, triggers,
 * byte limits, retries, permanent failures, 413 split, timeouts, flush, close, queue bounds,
 * threads, fork, reports.  Every wait is on a condition. */
#include "check.h"
#include "dataplane.h"
#include "ruddercore.h"
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define WRITE_KEY "wk-secret-4242"

typedef struct tally {
    size_t delivered, failed, dropped, logs, reports;
    int last_status;
    rudder_err_t last_err;
    char last_message[512];
    int leaked_key;
    rudder_client_t *client; /* for the in-callback test */
    rudder_err_t flush_in_callback;
} tally_t;

static void on_report(const rudder_report_t *r, void *opaque) {
    tally_t *t = opaque;
    t->reports++;
    if (strstr(r->message, WRITE_KEY) || (r->events && strstr(r->events, WRITE_KEY))) t->leaked_key = 1;
    switch (r->kind) {
    case RUDDER_REPORT_DELIVERED: t->delivered += r->count; break;
    case RUDDER_REPORT_FAILED: t->failed += r->count; break;
    case RUDDER_REPORT_DROPPED: t->dropped += r->count; break;
    case RUDDER_REPORT_LOG: t->logs++; break;
    }
    if (r->kind != RUDDER_REPORT_LOG) {
        t->last_status = r->http_status;
        t->last_err = r->err;
        snprintf(t->last_message, sizeof t->last_message, "%s", r->message);
    }
    if (t->client && r->kind == RUDDER_REPORT_DELIVERED)
        t->flush_in_callback = rudder_flush(t->client, 1000, NULL);
}

/* A client on dp with extra settings (a JSON object body without braces, may be ""). */
static rudder_client_t *client_for(dp_t *dp, const char *extra, tally_t *t) {
    char json[2048], err[512];
    snprintf(json, sizeof json, "{\"writeKey\":\"%s\",\"dataPlaneUrl\":\"%s\",\"retryBaseDelay\":20,\"logLevel\":\"debug\"%s%s}",
             WRITE_KEY, dp_url(dp), *extra ? "," : "", extra);
    rudder_conf_t *conf = rudder_conf_new();
    rudder_err_t e = rudder_conf_set_json(conf, json, strlen(json), err, sizeof err);
    CHECK(e == RUDDER_OK, "settings: %s", err);
    if (t) rudder_conf_set_report_cb(conf, on_report, t);
    rudder_client_t *c = rudder_client_new(conf, err, sizeof err);
    CHECK(c != NULL, "client: %s", err);
    rudder_conf_destroy(conf);
    return c;
}

static rudder_err_t track_n(rudder_client_t *c, int n, const char *origin) {
    char json[512], err[256];
    for (int i = 0; i < n; i++) {
        snprintf(json, sizeof json,
                 "{\"userId\":\"user-%d\",\"event\":\"Order Completed\",\"properties\":{\"i\":%d,\"origin\":\"%s\","
                 "\"revenue\":42.5,\"currency\":\"USD\",\"items\":[{\"sku\":\"a\"},{\"sku\":\"b\"}]}}",
                 i % 7, i, origin);
        rudder_err_t e = rudder_track(c, json, strlen(json), err, sizeof err);
        if (e != RUDDER_OK) return e;
    }
    return RUDDER_OK;
}

static void test_events_arrive_exactly_once_with_the_envelope(void) {
    dp_t *dp = dp_start((const char *[]){"--write-key", WRITE_KEY, NULL});
    tally_t t = {0};
    rudder_client_t *c = client_for(dp, "\"flushAt\":50", &t);
    CHECK_EQ_INT(track_n(c, 5000, "main"), RUDDER_OK);
    size_t left = 99;
    CHECK_EQ_INT(rudder_flush(c, 30000, &left), RUDDER_OK);
    CHECK_EQ_INT(left, 0);
    CHECK_EQ_INT(dp_stat(dp, "events"), 5000);
    CHECK_EQ_INT(dp_stat(dp, "unique"), 5000);
    CHECK_EQ_INT(dp_stat(dp, "duplicates"), 0);
    CHECK_EQ_INT(t.delivered, 5000);
    CHECK_EQ_INT(dp_stat(dp, "connections"), 1); /* one keep-alive connection */
    cJSON *reqs = dp_get(dp, "/_requests");
    cJSON *r0 = cJSON_GetArrayItem(reqs, 0);
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r0, "contentEncoding")), "gzip");
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r0, "authorization")), "Basic d2stc2VjcmV0LTQyNDI6"); /* base64("wk-secret-4242:") */
    CHECK(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(r0, "userAgent")), "ruddercore/") != NULL, "user agent");
    cJSON_Delete(reqs);
    cJSON *evs = dp_get(dp, "/_events");
    cJSON *e0 = cJSON_GetArrayItem(evs, 0);
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(e0, "type")), "track");
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(e0, "channel")), "server");
    CHECK(cJSON_GetStringValue(cJSON_GetObjectItem(e0, "sentAt")) != NULL, "per-event sentAt");
    CHECK(cJSON_GetStringValue(cJSON_GetObjectItem(e0, "originalTimestamp")) != NULL, "originalTimestamp");
    /* arrival order is acceptance order */
    int in_order = 1, i = 0;
    cJSON *e;
    cJSON_ArrayForEach(e, evs) {
        if ((int)cJSON_GetObjectItem(cJSON_GetObjectItem(e, "properties"), "i")->valuedouble != i++) in_order = 0;
    }
    CHECK(in_order, "events arrive in the order they were accepted");
    cJSON_Delete(evs);
    char *stats = rudder_stats(c);
    CHECK(strstr(stats, "\"sentEvents\":5000") != NULL, "stats: %s", stats);
    CHECK(strstr(stats, WRITE_KEY) == NULL, "no write key in stats");
    rudder_free(stats);
    rudder_client_destroy(c);
    dp_stop(dp);
}

static void test_flush_at_triggers_a_send(void) {
    dp_t *dp = dp_start(NULL);
    rudder_client_t *c = client_for(dp, "\"flushAt\":10,\"flushInterval\":3600000", NULL);
    track_n(c, 9, "x");
    CHECK(dp_wait_stat(dp, "events", 1, 300) != 0, "9 events below flushAt are not sent yet");
    track_n(c, 1, "x");
    CHECK(dp_wait_stat(dp, "events", 10, 10000) == 0, "the 10th event triggers the send");
    rudder_client_destroy(c);
    dp_stop(dp);
}

static void test_flush_interval_bounds_the_wait(void) {
    dp_t *dp = dp_start(NULL);
    rudder_client_t *c = client_for(dp, "\"flushAt\":1000,\"flushInterval\":100", NULL);
    track_n(c, 3, "x");
    CHECK(dp_wait_stat(dp, "events", 3, 10000) == 0, "3 events sent by the interval alone");
    rudder_client_destroy(c);
    dp_stop(dp);
}

static void test_batches_are_cut_at_max_queue_size(void) {
    dp_t *dp = dp_start(NULL);
    rudder_client_t *c = client_for(dp, "\"flushAt\":1000,\"flushInterval\":3600000,\"maxQueueSize\":3000,\"maxEventBytes\":2900", NULL);
    track_n(c, 200, "cut");
    CHECK_EQ_INT(rudder_flush(c, 30000, NULL), RUDDER_OK);
    CHECK_EQ_INT(dp_stat(dp, "events"), 200);
    cJSON *reqs = dp_get(dp, "/_requests"), *r;
    int over = 0, n = 0;
    cJSON_ArrayForEach(r, reqs) {
        n++;
        if (cJSON_GetObjectItem(r, "bytesRaw")->valuedouble > 3000) over++;
    }
    CHECK(n > 10, "many small requests (%d)", n);
    CHECK_EQ_INT(over, 0);
    cJSON_Delete(reqs);
    rudder_client_destroy(c);
    dp_stop(dp);
}

static void retry_then_deliver(int status, const char *extra_fault) {
    dp_t *dp = dp_start(NULL);
    tally_t t = {0};
    rudder_client_t *c = client_for(dp, "\"flushAt\":100", &t);
    char fault[128];
    if (status) snprintf(fault, sizeof fault, "{\"status\":%d,\"count\":2%s}", status, extra_fault);
    else snprintf(fault, sizeof fault, "{\"count\":2%s}", extra_fault);
    CHECK_EQ_INT(dp_control(dp, fault), 0);
    track_n(c, 5, "retry");
    CHECK_EQ_INT(rudder_flush(c, 30000, NULL), RUDDER_OK);
    CHECK_EQ_INT(dp_stat(dp, "requests"), 3);
    CHECK_EQ_INT(dp_stat(dp, "events"), 5);
    CHECK_EQ_INT(dp_stat(dp, "unique"), 5); /* the same messageIds on every attempt */
    CHECK_EQ_INT(t.delivered, 5);
    CHECK_EQ_INT(t.failed, 0);
    /* sentAt is rewritten at every attempt */
    cJSON *reqs = dp_get(dp, "/_requests");
    const char *s0 = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(reqs, 0), "batchSentAt"));
    const char *s2 = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(reqs, 2), "batchSentAt"));
    CHECK(s0 && s2 && strcmp(s0, s2) < 0, "sentAt advances across attempts (%s, %s)", s0 ? s0 : "-", s2 ? s2 : "-");
    cJSON_Delete(reqs);
    char *stats = rudder_stats(c);
    CHECK(strstr(stats, "\"retries\":2") != NULL, "stats count retries: %s", stats);
    rudder_free(stats);
    rudder_client_destroy(c);
    dp_stop(dp);
}

static void test_retries_500_then_delivers(void) { retry_then_deliver(500, ""); }
static void test_retries_503_then_delivers(void) { retry_then_deliver(503, ""); }
static void test_retries_429_with_retry_after(void) { retry_then_deliver(429, ",\"retryAfter\":\"1\""); }
static void test_retries_dropped_connections(void) { retry_then_deliver(0, ",\"drop\":true"); }

static void test_400_is_permanent_and_reported(void) {
    dp_t *dp = dp_start(NULL);
    tally_t t = {0};
    rudder_client_t *c = client_for(dp, "", &t);
    dp_control(dp, "{\"status\":400,\"count\":1}");
    track_n(c, 3, "bad");
    CHECK_EQ_INT(rudder_flush(c, 30000, NULL), RUDDER_OK);
    CHECK_EQ_INT(dp_stat(dp, "requests"), 1);
    CHECK_EQ_INT(t.failed, 3);
    CHECK_EQ_INT(t.last_status, 400);
    CHECK_EQ_INT(t.last_err, RUDDER_ERR_HTTP);
    CHECK(strstr(t.last_message, "HTTP 400") != NULL, "reason names the status: %s", t.last_message);
    rudder_client_destroy(c);
    dp_stop(dp);
}

static void test_401_wrong_key_is_permanent_and_key_never_printed(void) {
    dp_t *dp = dp_start((const char *[]){"--write-key", "the-right-key", NULL});
    tally_t t = {0};
    rudder_client_t *c = client_for(dp, "", &t);
    track_n(c, 2, "auth");
    CHECK_EQ_INT(rudder_flush(c, 30000, NULL), RUDDER_OK);
    CHECK_EQ_INT(dp_stat(dp, "requests"), 1);
    CHECK_EQ_INT(t.failed, 2);
    CHECK_EQ_INT(t.last_status, 401);
    CHECK(!t.leaked_key, "the write key appears in no report or log line");
    char *stats = rudder_stats(c);
    CHECK(strstr(stats, WRITE_KEY) == NULL, "no write key in stats: %s", stats);
    rudder_free(stats);
    rudder_client_destroy(c);
    dp_stop(dp);
}

static void test_413_splits_the_batch(void) {
    dp_t *dp = dp_start(NULL);
    tally_t t = {0};
    rudder_client_t *c = client_for(dp, "\"flushAt\":40,\"flushInterval\":3600000", &t);
    dp_control(dp, "{\"maxEvents\":7}");
    track_n(c, 40, "split");
    CHECK_EQ_INT(rudder_flush(c, 30000, NULL), RUDDER_OK);
    CHECK_EQ_INT(dp_stat(dp, "events"), 40);
    CHECK_EQ_INT(dp_stat(dp, "duplicates"), 0);
    CHECK_EQ_INT(t.delivered, 40);
    char *stats = rudder_stats(c);
    CHECK(strstr(stats, "\"splitBatches\":0") == NULL, "splits counted: %s", stats);
    rudder_free(stats);
    rudder_client_destroy(c);
    dp_stop(dp);
}

static void test_request_timeout_is_retried(void) {
    dp_t *dp = dp_start(NULL);
    tally_t t = {0};
    rudder_client_t *c = client_for(dp, "\"requestTimeout\":300", &t);
    dp_control(dp, "{\"delayMs\":3000,\"count\":1}");
    track_n(c, 4, "slow");
    CHECK_EQ_INT(rudder_flush(c, 30000, NULL), RUDDER_OK);
    CHECK_EQ_INT(t.delivered, 4);
    CHECK(dp_stat(dp, "events") >= 4, "delivered after the timeout");
    rudder_client_destroy(c);
    dp_stop(dp);
}

static void test_flush_timeout_returns_while_the_sink_hangs(void) {
    dp_t *dp = dp_start(NULL);
    rudder_client_t *c = client_for(dp, "\"requestTimeout\":60000", NULL);
    dp_control(dp, "{\"delayMs\":20000}");
    track_n(c, 5, "hang");
    size_t left = 0;
    CHECK_EQ_INT(rudder_flush(c, 200, &left), RUDDER_ERR_TIMEOUT);
    CHECK_EQ_INT(left, 5);
    CHECK_EQ_INT(rudder_queue_length(c), 5);
    dp_control(dp, "{}");
    size_t lost = 0;
    CHECK_EQ_INT(rudder_close(c, 200, &lost), RUDDER_ERR_TIMEOUT);
    CHECK_EQ_INT(lost, 5);
    rudder_client_destroy(c);
    dp_stop(dp);
}

static void test_close_delivers_pending_then_is_idempotent(void) {
    dp_t *dp = dp_start(NULL);
    tally_t t = {0};
    rudder_client_t *c = client_for(dp, "\"flushAt\":20000,\"flushInterval\":3600000", &t);
    track_n(c, 350, "close");
    size_t lost = 99;
    CHECK_EQ_INT(rudder_close(c, 10000, &lost), RUDDER_OK);
    CHECK_EQ_INT(lost, 0);
    CHECK_EQ_INT(dp_stat(dp, "events"), 350);
    CHECK_EQ_INT(rudder_close(c, 10000, &lost), RUDDER_OK);
    char err[128];
    CHECK_EQ_INT(rudder_track(c, "{\"userId\":\"u\",\"event\":\"E\"}", 26, err, sizeof err), RUDDER_ERR_CLOSED);
    rudder_client_destroy(c);
    dp_stop(dp);
}

static void test_close_with_dead_data_plane_reports_the_loss(void) {
    dp_t *dp = dp_start(NULL);
    tally_t t = {0};
    rudder_client_t *c = client_for(dp, "\"retryCount\":100", &t);
    dp_control(dp, "{\"status\":503}");
    track_n(c, 30, "dead");
    size_t lost = 0;
    CHECK_EQ_INT(rudder_close(c, 300, &lost), RUDDER_ERR_TIMEOUT);
    CHECK_EQ_INT(lost, 30);
    CHECK_EQ_INT(t.dropped, 30);
    CHECK_EQ_INT(t.delivered, 0);
    CHECK(!t.leaked_key, "no write key in reports");
    rudder_client_destroy(c);
    dp_stop(dp);
}

static void test_queue_full_rejects_without_blocking(void) {
    dp_t *dp = dp_start(NULL);
    rudder_client_t *c = client_for(dp, "\"flushAt\":20000,\"flushInterval\":3600000,\"maxInternalQueueSize\":100", NULL);
    CHECK_EQ_INT(track_n(c, 100, "full"), RUDDER_OK);
    char err[256];
    rudder_err_t e = rudder_track(c, "{\"userId\":\"u\",\"event\":\"E\"}", 26, err, sizeof err);
    CHECK_EQ_INT(e, RUDDER_ERR_QUEUE_FULL);
    CHECK(strstr(err, "maxInternalQueueSize") != NULL, "error names the limit: %s", err);
    char *stats = rudder_stats(c);
    CHECK(strstr(stats, "\"queueFull\":1") != NULL, "counted: %s", stats);
    rudder_free(stats);
    CHECK_EQ_INT(rudder_flush(c, 30000, NULL), RUDDER_OK);
    CHECK_EQ_INT(dp_stat(dp, "events"), 100); /* the earlier events are unaffected */
    rudder_client_destroy(c);
    dp_stop(dp);
}

static void test_queue_byte_bound(void) {
    dp_t *dp = dp_start(NULL);
    rudder_client_t *c = client_for(dp, "\"flushAt\":20000,\"flushInterval\":3600000,\"maxInternalQueueBytes\":65536", NULL);
    char json[512], err[256];
    int accepted = 0;
    rudder_err_t e = RUDDER_OK;
    for (int i = 0; i < 1000 && e == RUDDER_OK; i++) {
        snprintf(json, sizeof json, "{\"userId\":\"u\",\"event\":\"E\",\"properties\":{\"pad\":\"%0300d\"}}", i);
        e = rudder_track(c, json, strlen(json), err, sizeof err);
        if (e == RUDDER_OK) accepted++;
    }
    CHECK_EQ_INT(e, RUDDER_ERR_QUEUE_FULL);
    CHECK(strstr(err, "maxInternalQueueBytes") != NULL, "error names the byte bound: %s", err);
    CHECK(accepted > 50 && accepted < 200, "about 64 KiB of events accepted (%d)", accepted);
    CHECK_EQ_INT(rudder_flush(c, 30000, NULL), RUDDER_OK);
    CHECK_EQ_INT(dp_stat(dp, "events"), accepted);
    rudder_client_destroy(c);
    dp_stop(dp);
}

typedef struct levels { size_t debug, info, warn, error; } levels_t;
static void on_level(const rudder_report_t *r, void *opaque) {
    levels_t *l = opaque;
    if (r->kind != RUDDER_REPORT_LOG) return;
    if (r->level >= RUDDER_LOG_ERROR) l->error++;
    else if (r->level >= RUDDER_LOG_WARN) l->warn++;
    else if (r->level >= RUDDER_LOG_INFO) l->info++;
    else l->debug++;
}

static void run_with_level(const char *level, levels_t *l) {
    dp_t *dp = dp_start(NULL);
    char json[512], err[256];
    snprintf(json, sizeof json, "{\"writeKey\":\"%s\",\"dataPlaneUrl\":\"%s\",\"retryBaseDelay\":5,\"retryCount\":1,\"logLevel\":\"%s\"}",
             WRITE_KEY, dp_url(dp), level);
    rudder_conf_t *conf = rudder_conf_new();
    rudder_conf_set_json(conf, json, strlen(json), err, sizeof err);
    rudder_conf_set_report_cb(conf, on_level, l);
    rudder_client_t *c = rudder_client_new(conf, err, sizeof err);
    rudder_conf_destroy(conf);
    dp_control(dp, "{\"status\":503}"); /* a retry (warn) then a failure (error) */
    track_n(c, 2, "log");
    rudder_flush(c, 30000, NULL);
    rudder_client_destroy(c);
    dp_stop(dp);
}

static void test_log_level_is_honoured(void) {
    levels_t all = {0}, errors_only = {0}, off = {0};
    run_with_level("debug", &all);
    run_with_level("error", &errors_only);
    run_with_level("off", &off);
    CHECK(all.warn >= 1 && all.error >= 1, "debug level reports the retry warning and the failure");
    CHECK(errors_only.warn == 0 && errors_only.error >= 1, "error level drops warnings (warn=%zu)", errors_only.warn);
    CHECK(off.warn + off.error + off.info + off.debug == 0, "off reports no log lines");
}

typedef struct producer { rudder_client_t *c; int n; rudder_err_t rc; } producer_t;
static void *produce(void *arg) {
    producer_t *p = arg;
    p->rc = track_n(p->c, p->n, "thread");
    return NULL;
}

static void test_eight_producer_threads(void) {
    dp_t *dp = dp_start(NULL);
    rudder_client_t *c = client_for(dp, "\"flushAt\":100,\"maxInternalQueueSize\":100000", NULL);
    pthread_t th[8];
    producer_t p[8];
    for (int i = 0; i < 8; i++) { p[i] = (producer_t){c, 5000, RUDDER_OK}; pthread_create(&th[i], NULL, produce, &p[i]); }
    for (int i = 0; i < 8; i++) { pthread_join(th[i], NULL); CHECK_EQ_INT(p[i].rc, RUDDER_OK); }
    CHECK_EQ_INT(rudder_flush(c, 60000, NULL), RUDDER_OK);
    CHECK_EQ_INT(dp_stat(dp, "unique"), 40000);
    CHECK_EQ_INT(dp_stat(dp, "duplicates"), 0);
    rudder_client_destroy(c);
    dp_stop(dp);
}


static void test_fork_child_sends_only_its_own_events(void) {
#ifdef UNDER_TSAN
    /* ThreadSanitizer cannot follow a fork of a multi-threaded process whose child starts
     * threads ("dup thread with used id"); the plain, ASan and valgrind runs cover fork. */
    fprintf(stderr, "  not run under ThreadSanitizer: it cannot follow a multi-threaded fork\n");
    return;
#endif
    dp_t *dp = dp_start(NULL);
    rudder_client_t *c = client_for(dp, "\"flushAt\":20000,\"flushInterval\":3600000", NULL);
    track_n(c, 100, "parent");
    pid_t pid = fork();
    if (pid == 0) {
        int ok = track_n(c, 50, "child") == RUDDER_OK && rudder_flush(c, 20000, NULL) == RUDDER_OK;
        rudder_client_destroy(c);
        _exit(ok ? 0 : 1);
    }
    int status = -1;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child flushed its events without hanging");
    /* the parent sends what it queued right after the fork, without a flush and long before
     * flushAt/flushInterval (a uWSGI master never runs exit handlers); the child never does */
    CHECK_EQ_INT(dp_wait_stat(dp, "events", 150, 20000), 0);
    CHECK_EQ_INT(rudder_flush(c, 20000, NULL), RUDDER_OK);
    CHECK_EQ_INT(dp_stat(dp, "events"), 150);
    CHECK_EQ_INT(dp_stat(dp, "unique"), 150);
    cJSON *evs = dp_get(dp, "/_events"), *e;
    int child = 0, parent = 0;
    cJSON_ArrayForEach(e, evs) {
        const char *o = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(e, "properties"), "origin"));
        if (o && !strcmp(o, "child")) child++;
        if (o && !strcmp(o, "parent")) parent++;
    }
    CHECK_EQ_INT(child, 50);
    CHECK_EQ_INT(parent, 100);
    cJSON_Delete(evs);
    rudder_client_destroy(c);
    dp_stop(dp);
}

static void test_disabled_client_is_a_no_op(void) {
    dp_t *dp = dp_start(NULL);
    rudder_client_t *c = client_for(dp, "\"enable\":false", NULL);
    CHECK_EQ_INT(track_n(c, 10, "off"), RUDDER_OK);
    CHECK_EQ_INT(rudder_flush(c, 1000, NULL), RUDDER_OK);
    CHECK_EQ_INT(dp_stat(dp, "requests"), 0);
    rudder_client_destroy(c);
    dp_stop(dp);
}

static void test_flush_inside_a_callback_is_refused(void) {
    dp_t *dp = dp_start(NULL);
    tally_t t = {0};
    rudder_client_t *c = client_for(dp, "", &t);
    t.client = c;
    track_n(c, 1, "cb");
    CHECK_EQ_INT(rudder_flush(c, 10000, NULL), RUDDER_OK);
    CHECK_EQ_INT(t.flush_in_callback, RUDDER_ERR_IN_CALLBACK);
    t.client = NULL;
    rudder_client_destroy(c);
    dp_stop(dp);
}

static void test_outage_then_recovery(void) {
    dp_t *dp = dp_start(NULL);
    tally_t t = {0};
    rudder_client_t *c = client_for(dp, "\"retryCount\":50,\"retryMaxDelay\":200,\"flushAt\":1", &t);
    dp_stop_keep_port(dp);
    track_n(c, 20, "outage");
    /* wait until the client has really failed at least once against the dead port */
    for (int i = 0; i < 1000; i++) {
        char *s = rudder_stats(c);
        int retried = strstr(s, "\"retries\":0,") == NULL;
        rudder_free(s);
        if (retried) break;
        usleep(5000);
    }
    CHECK_EQ_INT(dp_restart(dp), 0);
    CHECK_EQ_INT(rudder_flush(c, 30000, NULL), RUDDER_OK);
    CHECK_EQ_INT(dp_stat(dp, "unique"), 20);
    CHECK_EQ_INT(t.delivered, 20);
    rudder_client_destroy(c);
    dp_stop(dp);
}

/* Requests with their event counts, in arrival order, into counts (returns how many). */
static int request_event_counts(dp_t *dp, long *counts, int max) {
    cJSON *reqs = dp_get(dp, "/_requests");
    int n = 0;
    cJSON *r;
    cJSON_ArrayForEach(r, reqs) {
        if (n < max) counts[n] = (long)cJSON_GetObjectItem(r, "events")->valuedouble;
        n++;
    }
    cJSON_Delete(reqs);
    return n;
}

static void test_batch_linger_lets_a_batch_fill(void) {
    dp_t *dp = dp_start(NULL);
    rudder_client_t *c = client_for(dp, "\"flushAt\":1,\"flushInterval\":3600000,\"batchLinger\":6000", NULL);
    track_n(c, 1, "first");
    CHECK(dp_wait_stat(dp, "events", 1, 10000) == 0, "the first event goes at once");
    for (int i = 0; i < 20; i++) { /* a trickle: each would be its own request without the linger */
        track_n(c, 1, "then");
        usleep(2000);
    }
    CHECK(dp_wait_stat(dp, "events", 21, 20000) == 0, "the next events follow after the linger");
    long counts[8];
    int n = request_event_counts(dp, counts, 8);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_INT(counts[0], 1);
    CHECK_EQ_INT(counts[1], 20); /* one request, not twenty */
    rudder_client_destroy(c);
    dp_stop(dp);
}

/* With a minute-long linger and the given settings: one event is sent, then a trickle of n
 * fills the queue past what `extra` allows to wait; the data plane must see the trickle's
 * first send without the minute passing, and flush must deliver every accepted event. */
static void check_goes_before_the_linger(const char *extra, int n, const char *what) {
    dp_t *dp = dp_start(NULL);
    char settings[256];
    snprintf(settings, sizeof settings, "\"flushAt\":1,\"flushInterval\":3600000,\"batchLinger\":60000,%s", extra);
    rudder_client_t *c = client_for(dp, settings, NULL);
    track_n(c, 1, "first");
    CHECK(dp_wait_stat(dp, "events", 1, 10000) == 0, "the first event goes at once");
    int accepted = 0;
    for (int i = 0; i < n; i++) { /* a trickle: the sender is lingering by the time it fills */
        if (track_n(c, 1, "trickle") == RUDDER_OK) accepted++;
        usleep(1000);
    }
    CHECK(dp_wait_stat(dp, "events", 2, 20000) == 0, "%s goes without waiting the minute", what);
    size_t left = 99;
    CHECK_EQ_INT(rudder_flush(c, 20000, &left), RUDDER_OK); /* the rest: flush does not wait either */
    CHECK_EQ_INT(left, 0);
    CHECK_EQ_INT(dp_stat(dp, "events"), 1 + accepted);
    rudder_client_destroy(c);
    dp_stop(dp);
}

static void test_flush_and_full_batches_do_not_linger(void) {
    check_goes_before_the_linger("\"maxQueueSize\":3000,\"maxEventBytes\":2900", 40, "a full batch");
}

static void test_a_half_full_queue_does_not_linger(void) {
    check_goes_before_the_linger("\"maxInternalQueueSize\":20", 15, "a half-full queue");
}

int main(void) {
    RUN(test_events_arrive_exactly_once_with_the_envelope);
    RUN(test_flush_at_triggers_a_send);
    RUN(test_flush_interval_bounds_the_wait);
    RUN(test_batch_linger_lets_a_batch_fill);
    RUN(test_flush_and_full_batches_do_not_linger);
    RUN(test_a_half_full_queue_does_not_linger);
    RUN(test_batches_are_cut_at_max_queue_size);
    RUN(test_retries_500_then_delivers);
    RUN(test_retries_503_then_delivers);
    RUN(test_retries_429_with_retry_after);
    RUN(test_retries_dropped_connections);
    RUN(test_400_is_permanent_and_reported);
    RUN(test_401_wrong_key_is_permanent_and_key_never_printed);
    RUN(test_413_splits_the_batch);
    RUN(test_request_timeout_is_retried);
    RUN(test_flush_timeout_returns_while_the_sink_hangs);
    RUN(test_close_delivers_pending_then_is_idempotent);
    RUN(test_close_with_dead_data_plane_reports_the_loss);
    RUN(test_queue_full_rejects_without_blocking);
    RUN(test_queue_byte_bound);
    RUN(test_log_level_is_honoured);
    RUN(test_eight_producer_threads);
    RUN(test_fork_child_sends_only_its_own_events);
    RUN(test_disabled_client_is_a_no_op);
    RUN(test_flush_inside_a_callback_is_refused);
    RUN(test_outage_then_recovery);
    return check_summary();
}
