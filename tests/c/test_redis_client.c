/* The client with `persistence` in Redis, through the public API, against a real
 * redis-server and the local data plane (both started and stopped here): the flow end to
 * end, the failed list, kill -9 of a producer mid-send then a restart, several processes
 * sharing one queue, Redis down then back (bounded memory, counted rejections), the write
 * key absent from Redis, delivered batches deleted. */
#include "check.h"
#include "ruddercore.h"

#ifndef RUDDERCORE_HAVE_HIREDIS
static void test_without_hiredis_asking_for_redis_is_a_config_error(void) {
    char err[400];
    const char *s = "{\"writeKey\":\"k\",\"dataPlaneUrl\":\"http://127.0.0.1:9\",\"persistence\":\"redis://127.0.0.1:6379\"}";
    rudder_client_t *c = rudder_client_new_json(s, strlen(s), err, sizeof err);
    CHECK(c == NULL, "no client");
    CHECK(strstr(err, "libhiredis-dev") != NULL, "names the package: %s", err);
}
int main(void) {
    RUN(test_without_hiredis_asking_for_redis_is_a_config_error);
    return check_summary();
}
#else
#include "base/base.h"
#include "dataplane.h"
#include "test_redis_server.h"
#include <cjson/cJSON.h>
#include <pthread.h>

#define WRITE_KEY "wk-redis-client-5150"

static redis_server_t rs;

typedef struct tally {
    size_t delivered, failed, dropped;
    int leaked_key;
} tally_t;

static void on_report(const rudder_report_t *r, void *opaque) {
    tally_t *t = opaque;
    if (strstr(r->message, WRITE_KEY) || (r->events && strstr(r->events, WRITE_KEY))) t->leaked_key = 1;
    if (r->kind == RUDDER_REPORT_DELIVERED) t->delivered += r->count;
    else if (r->kind == RUDDER_REPORT_FAILED) t->failed += r->count;
    else if (r->kind == RUDDER_REPORT_DROPPED) t->dropped += r->count;
}

/* A client on dp with Redis persistence (queue name, extra persistence options and extra
 * settings are JSON member lists without braces, may be ""). */
static rudder_client_t *client_on(int port, dp_t *dp, const char *queue, const char *popts, const char *extra, tally_t *t) {
    char json[2048], pers[600], err[512];
    snprintf(pers, sizeof pers, "{\"type\":\"redis\",\"port\":%d,\"queueName\":\"%s\"%s%s}", port, queue,
             *popts ? "," : "", popts);
    snprintf(json, sizeof json,
             "{\"writeKey\":\"%s\",\"dataPlaneUrl\":\"%s\",\"retryBaseDelay\":10,\"retryMaxDelay\":100%s%s}",
             WRITE_KEY, dp_url(dp), *extra ? "," : "", extra);
    rudder_conf_t *conf = rudder_conf_new();
    rudder_err_t e = rudder_conf_set_json(conf, json, strlen(json), err, sizeof err);
    CHECK(e == RUDDER_OK, "settings: %s", err);
    e = rudder_conf_set(conf, "persistence", pers, err, sizeof err);
    CHECK(e == RUDDER_OK, "persistence: %s", err);
    if (t) rudder_conf_set_report_cb(conf, on_report, t);
    rudder_client_t *c = rudder_client_new(conf, err, sizeof err);
    CHECK(c != NULL, "client: %s", err);
    rudder_conf_destroy(conf);
    return c;
}

static rudder_client_t *client_for(dp_t *dp, const char *queue, const char *popts, const char *extra, tally_t *t) {
    return client_on(rs.port, dp, queue, popts, extra, t);
}

static int track_n(rudder_client_t *c, int first, int n, size_t *rejected) {
    char json[300], err[256];
    int ok = 0;
    for (int i = first; i < first + n; i++) {
        snprintf(json, sizeof json, "{\"userId\":\"u%d\",\"event\":\"Order Completed\",\"properties\":{\"i\":%d}}", i % 7, i);
        rudder_err_t e = rudder_track(c, json, strlen(json), err, sizeof err);
        if (e == RUDDER_OK) ok++;
        else if (rejected && e == RUDDER_ERR_QUEUE_FULL) (*rejected)++;
    }
    return ok;
}

static void flushall(void) {
    redisContext *c = rs_connect(&rs);
    redisReply *r = c ? redisCommand(c, "FLUSHALL") : NULL;
    if (r) freeReplyObject(r);
    if (c) redisFree(c);
}

static long long count_keys(redisContext *c, const char *pattern) {
    redisReply *r = redisCommand(c, "KEYS %s", pattern);
    long long n = r && r->type == REDIS_REPLY_ARRAY ? (long long)r->elements : -1;
    if (r) freeReplyObject(r);
    return n;
}

/* Polls the client's reports until *field >= want. */
static int poll_until(rudder_client_t *c, size_t *field, size_t want, int timeout_ms) {
    int64_t until = clock_mono_ms() + timeout_ms;
    while (*field < want && clock_mono_ms() < until) rudder_poll(c, 20);
    return *field >= want ? 0 : -1;
}

static int redis_mentions(redisContext *c, const char *needle) {
    redisReply *keys = redisCommand(c, "KEYS *");
    int found = 0;
    for (size_t i = 0; keys && i < keys->elements; i++) {
        const char *k = keys->element[i]->str;
        if (strstr(k, needle)) found = 1;
        redisReply *v = redisCommand(c, "DUMP %s", k); /* any type, raw bytes */
        if (v && v->type == REDIS_REPLY_STRING && memmem(v->str, v->len, needle, strlen(needle))) found = 1;
        if (v) freeReplyObject(v);
    }
    if (keys) freeReplyObject(keys);
    return found;
}

static void test_calls_flow_through_redis_to_the_data_plane(void) {
    flushall();
    dp_t *dp = dp_start((const char *[]){"--write-key", WRITE_KEY, NULL});
    tally_t t = {0};
    rudder_client_t *c = client_for(dp, "flow", "", "\"flushAt\":50", &t);
    if (!c) return;
    CHECK_EQ_INT(track_n(c, 0, 3000, NULL), 3000);
    size_t left = 99;
    CHECK_EQ_INT(rudder_flush(c, 20000, &left), RUDDER_OK); /* everything is in Redis */
    CHECK_EQ_INT(left, 0);
    CHECK_EQ_INT(poll_until(c, &t.delivered, 3000, 20000), 0);
    CHECK_EQ_INT(dp_stat(dp, "events"), 3000);
    CHECK_EQ_INT(dp_stat(dp, "unique"), 3000);
    redisContext *r = rs_connect(&rs);
    CHECK_EQ_INT(count_keys(r, "{rudder}:flow:b:*"), 0); /* delivered batches deleted */
    CHECK(!redis_mentions(r, WRITE_KEY), "the write key is nowhere in Redis");
    CHECK(!t.leaked_key, "no write key in reports");
    char *stats = rudder_stats(c);
    CHECK(strstr(stats, "\"sentEvents\":3000") != NULL, "stats: %s", stats);
    rudder_free(stats);
    redisFree(r);
    rudder_client_destroy(c);
    dp_stop(dp);
}

static void test_retries_then_the_failed_list(void) {
    flushall();
    dp_t *dp = dp_start((const char *[]){"--write-key", WRITE_KEY, NULL});
    dp_control(dp, "{\"status\":503}");
    tally_t t = {0};
    rudder_client_t *c = client_for(dp, "failing", "\"maxAttempts\":3", "", &t);
    if (!c) return;
    CHECK_EQ_INT(track_n(c, 0, 10, NULL), 10);
    rudder_flush(c, 10000, NULL);
    CHECK_EQ_INT(poll_until(c, &t.failed, 10, 20000), 0);
    CHECK_EQ_INT(dp_stat(dp, "status.503"), 3);
    redisContext *r = rs_connect(&rs);
    CHECK_EQ_INT(rs_int(r, "LLEN %s", "{rudder}:failing:failed"), 1);
    CHECK(!redis_mentions(r, WRITE_KEY), "the write key is nowhere in Redis");
    redisFree(r);
    rudder_client_destroy(c);
    dp_stop(dp);
}

/* A process with its own client: queues n calls, flushes them into Redis, writes a byte to
 * flushed_fd (if >= 0), then keeps its processor running until killed. */
static pid_t spawn_client(dp_t *dp, const char *queue, const char *popts, int first, int n, int flushed_fd) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    rudder_client_t *c = client_for(dp, queue, popts, "\"flushAt\":10,\"maxQueueSize\":4096,\"maxEventBytes\":2048", NULL); /* many small batches */
    if (!c) _exit(3);
    track_n(c, first, n, NULL);
    if (rudder_flush(c, 20000, NULL) != RUDDER_OK) _exit(4);
    if (flushed_fd >= 0 && write(flushed_fd, "f", 1) != 1) _exit(5);
    for (;;) pause();
}

static int wait_active(redisContext *c, const char *pattern, int timeout_ms) {
    int64_t until = clock_mono_ms() + timeout_ms;
    while (clock_mono_ms() < until) {
        redisReply *keys = redisCommand(c, "KEYS %s", pattern);
        int n = 0;
        for (size_t i = 0; keys && i < keys->elements; i++) n += rs_int(c, "LLEN %s", keys->element[i]->str) > 0;
        if (keys) freeReplyObject(keys);
        if (n) return 0;
        rs_sleep_ms(5);
    }
    return -1;
}

static void test_kill_9_a_producer_mid_send_then_restart(void) {
    flushall();
    dp_t *dp = dp_start((const char *[]){"--write-key", WRITE_KEY, NULL});
    dp_control(dp, "{\"delayMs\":4000,\"count\":1}"); /* the first request hangs */
    int fds[2];
    CHECK_EQ_INT(pipe(fds), 0);
    pid_t child = spawn_client(dp, "crash", "", 0, 100, fds[1]);
    char byte;
    CHECK(read(fds[0], &byte, 1) == 1, "the producer flushed everything into Redis");
    close(fds[0]);
    close(fds[1]);
    redisContext *r = rs_connect(&rs);
    CHECK_EQ_INT(wait_active(r, "{rudder}:crash:active:*", 10000), 0);
    CHECK(rs_int(r, "LLEN %s", "{rudder}:crash:wait") >= 1, "batches wait behind the one in flight");
    kill(child, SIGKILL); /* dies mid-send */
    waitpid(child, NULL, 0);

    tally_t t = {0};
    rudder_client_t *c = client_for(dp, "crash", "", "", &t);
    if (!c) return;
    CHECK_EQ_INT(poll_until(c, &t.delivered, 100, 20000), 0);
    CHECK_EQ_INT(dp_wait_stat(dp, "unique", 100, 10000), 0);
    cJSON *evs = dp_get(dp, "/_events");
    int seen[100] = {0}, next = 0, in_order = 1;
    cJSON *e;
    cJSON_ArrayForEach(e, evs) {
        int v = (int)cJSON_GetObjectItem(cJSON_GetObjectItem(e, "properties"), "i")->valuedouble;
        if (v < 0 || v >= 100 || seen[v]) continue;
        seen[v] = 1;
        if (v != next++) in_order = 0;
    }
    cJSON_Delete(evs);
    CHECK(in_order, "the batch in flight at the crash comes first; order kept");
    CHECK_EQ_INT(count_keys(r, "{rudder}:crash:b:*"), 0);
    redisFree(r);
    rudder_client_destroy(c);
    dp_stop(dp);
}

static void test_several_processes_share_a_queue_each_event_once(void) {
    flushall();
    dp_t *dp = dp_start((const char *[]){"--write-key", WRITE_KEY, NULL});
    enum { PROCS = 3, EACH = 500 };
    pid_t kids[PROCS];
    for (int i = 0; i < PROCS; i++) kids[i] = spawn_client(dp, "shared", "\"isMultiProcessor\":true", i * EACH, EACH, -1);
    CHECK_EQ_INT(dp_wait_stat(dp, "events", PROCS * EACH, 60000), 0);
    redisContext *r = rs_connect(&rs);
    int64_t until = clock_mono_ms() + 20000;
    while (count_keys(r, "{rudder}:shared:b:*") > 0 && clock_mono_ms() < until) rs_sleep_ms(10);
    CHECK_EQ_INT(count_keys(r, "{rudder}:shared:b:*"), 0);
    CHECK_EQ_INT(dp_stat(dp, "unique"), PROCS * EACH);
    CHECK_EQ_INT(dp_stat(dp, "duplicates"), 0);
    for (int i = 0; i < PROCS; i++) {
        kill(kids[i], SIGKILL);
        waitpid(kids[i], NULL, 0);
    }
    redisFree(r);
    dp_stop(dp);
}

static void test_redis_down_then_back_bounded_memory_counted_rejections(void) {
    flushall();
    dp_t *dp = dp_start((const char *[]){"--write-key", WRITE_KEY, NULL});
    tally_t t = {0};
    rudder_client_t *c = client_for(dp, "outage", "", "\"flushAt\":10,\"maxInternalQueueSize\":200", &t);
    if (!c) return;
    rs_stop(&rs);
    size_t rejected = 0;
    int accepted = track_n(c, 0, 1000, &rejected);
    CHECK(accepted < 1000 && accepted >= 200, "memory holds about maxInternalQueueSize (%d accepted)", accepted);
    CHECK_EQ_INT(rejected, 1000 - accepted);
    char *stats = rudder_stats(c);
    char want[64];
    snprintf(want, sizeof want, "\"queueFull\":%zu", rejected);
    CHECK(strstr(stats, want) != NULL, "rejections counted: %s", stats);
    rudder_free(stats);
    CHECK_EQ_INT(rs_start(&rs), 0);
    size_t left = 99;
    CHECK_EQ_INT(rudder_flush(c, 30000, &left), RUDDER_OK);
    CHECK_EQ_INT(poll_until(c, &t.delivered, (size_t)accepted, 30000), 0);
    CHECK_EQ_INT(dp_stat(dp, "unique"), accepted);
    rudder_client_destroy(c);
    dp_stop(dp);
}

static void test_redis_restarted_mid_stream_with_appendonly_loses_nothing(void) {
    redis_server_t aof = {.appendonly = 1};
    if (rs_start(&aof) != 0) { CHECK(0, "could not start redis-server with appendonly"); return; }
    dp_t *dp = dp_start((const char *[]){"--write-key", WRITE_KEY, NULL});
    dp_control(dp, "{\"delayMs\":2000,\"count\":1}"); /* the first send hangs: batches pile up in Redis */
    tally_t t = {0};
    rudder_client_t *c = client_on(aof.port, dp, "restart", "", "\"flushAt\":10", &t);
    if (!c) { rs_destroy(&aof); return; }
    CHECK_EQ_INT(track_n(c, 0, 500, NULL), 500);
    CHECK_EQ_INT(rudder_flush(c, 20000, NULL), RUDDER_OK); /* all 500 are in Redis */
    rs_stop(&aof);                                          /* Redis restarts mid-stream */
    CHECK_EQ_INT(track_n(c, 500, 500, NULL), 500);          /* accepted meanwhile, held in memory */
    CHECK_EQ_INT(rs_start(&aof), 0);                        /* same port and data directory */
    CHECK_EQ_INT(rudder_flush(c, 30000, NULL), RUDDER_OK);
    CHECK_EQ_INT(poll_until(c, &t.delivered, 1000, 60000), 0);
    CHECK_EQ_INT(dp_wait_stat(dp, "unique", 1000, 20000), 0);
    CHECK_EQ_INT(dp_stat(dp, "unique"), 1000);             /* every accepted event, none lost */
    CHECK_EQ_INT(t.failed + t.dropped, 0);
    rudder_client_destroy(c);
    dp_stop(dp);
    rs_destroy(&aof);
}


static void test_a_forked_child_uses_its_own_connection_and_processor(void) {
#ifdef UNDER_SANITIZER
    /* ThreadSanitizer cannot follow a fork of a multi-threaded process whose child starts
     * threads.  AddressSanitizer's allocator (GCC 12's) is not fork-safe: the parent's
     * Redis processor allocates every 500 ms at least, and a fork meanwhile left the
     * child's allocator locked for good (3 hangs in 12 runs).  glibc's malloc is fork-safe:
     * the plain run covers this test. */
    fprintf(stderr, "  not run under a sanitizer: it cannot follow this multi-threaded fork\n");
    return;
#endif
    flushall();
    dp_t *dp = dp_start((const char *[]){"--write-key", WRITE_KEY, NULL});
    tally_t t = {0};
    rudder_client_t *c = client_for(dp, "fork", "\"isMultiProcessor\":true", "", &t);
    if (!c) return;
    CHECK_EQ_INT(track_n(c, 0, 20, NULL), 20);
    pid_t pid = fork();
    if (pid == 0) {
        int ok = track_n(c, 100, 30, NULL) == 30 && rudder_flush(c, 10000, NULL) == RUDDER_OK;
        rudder_client_destroy(c);
        _exit(ok ? 0 : 1);
    }
    int status = -1;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child queued and flushed into Redis");
    CHECK_EQ_INT(rudder_flush(c, 10000, NULL), RUDDER_OK);
    CHECK_EQ_INT(dp_wait_stat(dp, "unique", 50, 20000), 0); /* the child's 30 and the parent's 20 */
    CHECK_EQ_INT(dp_stat(dp, "duplicates"), 0);
    rudder_client_destroy(c);
    dp_stop(dp);
}

static void test_unreachable_redis_at_start_is_an_error_to_retry(void) {
    char json[600], err[400];
    snprintf(json, sizeof json,
             "{\"writeKey\":\"%s\",\"dataPlaneUrl\":\"http://127.0.0.1:9\",\"persistence\":\"redis://:hidden-pw@127.0.0.1:1\"}",
             WRITE_KEY);
    rudder_client_t *c = rudder_client_new_json(json, strlen(json), err, sizeof err);
    CHECK(c == NULL, "no client without Redis");
    CHECK(strstr(err, "cannot connect to Redis at 127.0.0.1:1") != NULL, "%s", err);
    CHECK(!strstr(err, "hidden-pw") && !strstr(err, WRITE_KEY), "no secrets in: %s", err);
    rudder_client_destroy(c);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    if (rs_start(&rs) != 0) {
        fprintf(stderr, "FAIL: could not start redis-server (CI installs it: scripts/install-deps.sh)\n");
        return 1;
    }
    RUN(test_calls_flow_through_redis_to_the_data_plane);
    RUN(test_retries_then_the_failed_list);
    RUN(test_kill_9_a_producer_mid_send_then_restart);
    RUN(test_several_processes_share_a_queue_each_event_once);
    RUN(test_redis_down_then_back_bounded_memory_counted_rejections);
    RUN(test_redis_restarted_mid_stream_with_appendonly_loses_nothing);
    RUN(test_a_forked_child_uses_its_own_connection_and_processor);
    RUN(test_unreachable_redis_at_start_is_an_error_to_retry);
    rs_destroy(&rs);
    return check_summary();
}
#endif
