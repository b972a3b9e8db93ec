/* The Redis persistence queue (core/src/persistence/redisq*.c) against a real redis-server and the
 * local data plane, both started and stopped here: options, the stored format, the flow
 * end to end, retries then the failed list and its re-queue, crash recovery (kill -9 mid-
 * send) in single- and multi-processor mode, several processes sharing one queue, Redis
 * down then back, no write key anywhere in Redis, delivered batches deleted. */
#include "check.h"
#include "ruddercore.h"
#include "persistence/persistence.h"

#ifndef RUDDERCORE_HAVE_HIREDIS
/* Built without hiredis: asking for the backend must say so clearly. */
static void test_without_hiredis_the_backend_names_the_missing_package(void) {
    redisq_opts_t o;
    redisq_opts_default(&o);
    char err[300];
    CHECK(redisq_open(&o, err, sizeof err) == NULL, "no queue without hiredis");
    CHECK(strstr(err, "libhiredis-dev") != NULL, "error names the package: %s", err);
}
int main(void) {
    RUN(test_without_hiredis_the_backend_names_the_missing_package);
    return check_summary();
}
#else

#include "base/base.h"
#include "dataplane.h"
#include "test_redis_server.h"
#include <pthread.h>
#include <stdatomic.h>

#define WRITE_KEY "wk-redis-secret-7731"

static redis_server_t rs;

/* ---- helpers ---------------------------------------------------------------------------- */

/* A batch of n real envelopes (as the client queues them), properties.i = first..first+n-1. */
static qevent_t *make_batch(int first, int n, const char *origin) {
    qevent_t *head = NULL, *tail = NULL;
    for (int i = first; i < first + n; i++) {
        char json[300], err[200];
        snprintf(json, sizeof json, "{\"userId\":\"u%d\",\"event\":\"Order Completed\",\"properties\":{\"i\":%d,\"origin\":\"%s\"}}",
                 i % 5, i, origin);
        rudder_err_t e;
        char *text = rudder_build_message(RUDDER_TRACK, json, strlen(json), NULL, 32768, &e, err, sizeof err);
        if (!text) {
            fprintf(stderr, "build_message: %s\n", err);
            abort();
        }
        cJSON *m = cJSON_Parse(text);
        size_t len = strlen(text) - 1; /* queued texts lack the closing brace */
        qevent_t *ev = qevent_new(text, len, cJSON_GetObjectItem(m, "messageId")->valuestring);
        cJSON_Delete(m);
        rudder_free(text);
        if (tail) tail->next = ev;
        else head = ev;
        tail = ev;
    }
    return head;
}

static void push_batches(redisq_t *q, int batches, int per_batch, int first, const char *origin) {
    for (int b = 0; b < batches; b++) {
        qevent_t *l = make_batch(first + b * per_batch, per_batch, origin);
        char err[300];
        int rc = redisq_push(q, l, err, sizeof err);
        CHECK(rc == 0, "push: %s", err);
        qevent_free_list(l);
    }
}

static void opts_for(redisq_opts_t *o, const char *queue, int multi) {
    redisq_opts_default(o);
    o->port = rs.port;
    snprintf(o->queue_name, sizeof o->queue_name, "%s", queue);
    o->multi_processor = multi;
}

static rudder_conf_t *conf_for(dp_t *dp) {
    char json[600], err[300];
    snprintf(json, sizeof json,
             "{\"writeKey\":\"%s\",\"dataPlaneUrl\":\"%s\",\"retryBaseDelay\":10,\"retryMaxDelay\":100,"
             "\"requestTimeout\":20000}",
             WRITE_KEY, dp_url(dp));
    rudder_conf_t *conf = rudder_conf_new();
    if (rudder_conf_set_json(conf, json, strlen(json), err, sizeof err) != RUDDER_OK) fprintf(stderr, "conf: %s\n", err);
    return conf;
}

typedef struct tally {
    pthread_mutex_t mu;
    size_t delivered, failed, batches_failed;
    int last_status;
    char last_why[800];
} tally_t;

static void on_outcome(void *opaque, rudder_report_kind_t kind, rudder_err_t err, int status, const qevent_t *list,
                       size_t n, const char *why) {
    tally_t *t = opaque;
    pthread_mutex_lock(&t->mu);
    if (kind == RUDDER_REPORT_DELIVERED) t->delivered += n;
    else {
        t->failed += n;
        t->batches_failed++;
    }
    t->last_status = status;
    snprintf(t->last_why, sizeof t->last_why, "%s", why);
    pthread_mutex_unlock(&t->mu);
}

static size_t tally_get(tally_t *t, size_t *field) {
    pthread_mutex_lock(&t->mu);
    size_t v = *field;
    pthread_mutex_unlock(&t->mu);
    return v;
}

/* Waits until *field >= want (a condition, not a guess). */
static int wait_tally(tally_t *t, size_t *field, size_t want, int timeout_ms) {
    int64_t until = clock_mono_ms() + timeout_ms;
    while (tally_get(t, field) < want) {
        if (clock_mono_ms() > until) return -1;
        rs_sleep_ms(5);
    }
    return 0;
}

static redisq_proc_t *start_proc(redisq_t *q, rudder_conf_t *conf, tally_t *t) {
    redisq_proc_hooks_t h = {.outcome = on_outcome, .opaque = t};
    char err[300];
    redisq_proc_t *p = redisq_proc_start(q, conf, &h, err, sizeof err);
    CHECK(p != NULL, "processor: %s", err);
    return p;
}

/* Every key and every value under the queue's prefix: the write key must be in none. */
static int redis_mentions(redisContext *c, const char *needle, size_t *nkeys) {
    redisReply *keys = redisCommand(c, "KEYS *");
    int found = 0;
    *nkeys = keys ? keys->elements : 0;
    for (size_t i = 0; keys && i < keys->elements; i++) {
        const char *k = keys->element[i]->str;
        if (strstr(k, needle)) found = 1;
        redisReply *t = redisCommand(c, "TYPE %s", k);
        const char *type = t ? t->str : "";
        redisReply *v = NULL;
        if (!strcmp(type, "string")) v = redisCommand(c, "GET %s", k);
        else if (!strcmp(type, "list")) v = redisCommand(c, "LRANGE %s 0 -1", k);
        else if (!strcmp(type, "hash")) v = redisCommand(c, "HGETALL %s", k);
        else if (!strcmp(type, "set")) v = redisCommand(c, "SMEMBERS %s", k);
        if (v && v->type == REDIS_REPLY_STRING && memmem(v->str, v->len, needle, strlen(needle))) found = 1;
        for (size_t j = 0; v && v->type == REDIS_REPLY_ARRAY && j < v->elements; j++)
            if (v->element[j]->str && strstr(v->element[j]->str, needle)) found = 1;
        if (v) freeReplyObject(v);
        if (t) freeReplyObject(t);
    }
    if (keys) freeReplyObject(keys);
    return found;
}

static long long count_keys(redisContext *c, const char *pattern) {
    redisReply *r = redisCommand(c, "KEYS %s", pattern);
    long long n = r && r->type == REDIS_REPLY_ARRAY ? (long long)r->elements : -1;
    if (r) freeReplyObject(r);
    return n;
}

static void flushall(void) {
    redisContext *c = rs_connect(&rs);
    redisReply *r = c ? redisCommand(c, "FLUSHALL") : NULL;
    if (r) freeReplyObject(r);
    if (c) redisFree(c);
}

/* The i property of each event the data plane received, in arrival order. */
static int received_order(dp_t *dp, int *out, int cap) {
    cJSON *evs = dp_get(dp, "/_events");
    int n = 0;
    cJSON *e;
    cJSON_ArrayForEach(e, evs) {
        if (n < cap) out[n] = (int)cJSON_GetObjectItem(cJSON_GetObjectItem(e, "properties"), "i")->valuedouble;
        n++;
    }
    cJSON_Delete(evs);
    return n;
}

/* ---- options and format ---------------------------------------------------------------- */

static void test_options_take_the_node_sdk_names_and_a_url(void) {
    redisq_opts_t o;
    char err[300];
    const char *node = "{\"type\":\"redis\",\"queueName\":\"orders\",\"prefix\":\"shop\",\"isMultiProcessor\":true,"
                       "\"redisOpts\":{\"host\":\"10.0.0.5\",\"port\":6380,\"db\":2,\"password\":\"pw\"},"
                       "\"jobOpts\":{\"maxAttempts\":4}}";
    CHECK_EQ_INT(redisq_opts_from_json(node, strlen(node), &o, err, sizeof err), RUDDER_OK);
    CHECK_EQ_STR(o.host, "10.0.0.5");
    CHECK_EQ_INT(o.port, 6380);
    CHECK_EQ_INT(o.db, 2);
    CHECK_EQ_STR(o.password, "pw");
    CHECK_EQ_STR(o.queue_name, "orders");
    CHECK_EQ_STR(o.prefix, "{shop}"); /* braces added: one cluster slot */
    CHECK_EQ_INT(o.multi_processor, 1);
    CHECK_EQ_INT(o.max_attempts, 4);

    const char *flat = "{\"type\":\"redis\",\"url\":\"redis://:s3cret@cache.local:7000/3\",\"maxAttempts\":2}";
    CHECK_EQ_INT(redisq_opts_from_json(flat, strlen(flat), &o, err, sizeof err), RUDDER_OK);
    CHECK_EQ_STR(o.host, "cache.local");
    CHECK_EQ_INT(o.port, 7000);
    CHECK_EQ_INT(o.db, 3);
    CHECK_EQ_STR(o.password, "s3cret");
    CHECK_EQ_STR(o.queue_name, "rudderEventsQueue"); /* the Node SDK's defaults */
    CHECK_EQ_STR(o.prefix, "{rudder}");
    CHECK_EQ_INT(o.multi_processor, 0);

    const char *snake = "{\"type\":\"redis\",\"queue_name\":\"py\",\"is_multi_processor\":true,\"job_opts\":{\"max_attempts\":5}}";
    CHECK_EQ_INT(redisq_opts_from_json(snake, strlen(snake), &o, err, sizeof err), RUDDER_OK);
    CHECK_EQ_STR(o.queue_name, "py");
    CHECK_EQ_INT(o.multi_processor, 1);
    CHECK_EQ_INT(o.max_attempts, 5);

    CHECK_EQ_INT(redisq_opts_from_json("{\"type\":\"redis\"}", 16, &o, err, sizeof err), RUDDER_OK);
    CHECK_EQ_INT(o.max_attempts, 10);
    CHECK_EQ_INT(o.port, 6379);

    const char *bad_port = "{\"type\":\"redis\",\"redisOpts\":{\"port\":70000,\"password\":\"hidden-pw\"}}";
    CHECK_EQ_INT(redisq_opts_from_json(bad_port, strlen(bad_port), &o, err, sizeof err), RUDDER_ERR_CONFIG);
    CHECK(strstr(err, "persistence.redisOpts.port") != NULL, "error names the path: %s", err);
    const char *unknown = "{\"type\":\"redis\",\"queuename\":\"x\"}";
    CHECK_EQ_INT(redisq_opts_from_json(unknown, strlen(unknown), &o, err, sizeof err), RUDDER_ERR_CONFIG);
    CHECK(strstr(err, "persistence.queuename: unknown option") != NULL, "unknown option named: %s", err);
    CHECK_EQ_INT(redisq_opts_from_url("redis://h:0", &o, err, sizeof err), RUDDER_ERR_CONFIG);
    CHECK(strstr(err, "port") != NULL, "%s", err);
    const char *as_text = "\"{\\\"type\\\":\\\"redis\\\",\\\"port\\\":7001}\""; /* the object as a JSON string */
    CHECK_EQ_INT(redisq_opts_from_json(as_text, strlen(as_text), &o, err, sizeof err), RUDDER_OK);
    CHECK_EQ_INT(o.port, 7001);
    CHECK_EQ_INT(redisq_selected("redis://localhost"), 1);
    CHECK_EQ_INT(redisq_selected("{\"type\":\"redis\"}"), 1);
    CHECK_EQ_INT(redisq_selected("/var/spool/rudder"), 0);
}

static void test_a_stored_batch_round_trips_and_damage_is_refused(void) {
    qevent_t *l = make_batch(0, 3, "codec");
    rbuf_t b = RBUF_INIT;
    redisq_encode(&b, l);
    size_t n = 0;
    qevent_t *back = redisq_decode(b.data, b.len, &n);
    CHECK_EQ_INT(n, 3);
    const qevent_t *x = l, *y = back;
    for (; x && y; x = x->next, y = y->next) {
        CHECK_EQ_STR(x->msgid, y->msgid);
        CHECK(x->len == y->len && !memcmp(x->text, y->text, x->len), "text survives");
    }
    CHECK(!strstr(b.data, WRITE_KEY), "no write key in a stored batch");
    for (size_t cut = 0; cut < b.len; cut += 7) {
        size_t m = 99;
        qevent_t *d = redisq_decode(b.data, cut, &m);
        CHECK(d == NULL && m == 0, "a batch cut at %zu is refused", cut);
        qevent_free_list(d);
    }
    qevent_free_list(back);
    qevent_free_list(l);
    rbuf_free(&b);
    /* a caller's messageId with a space, a newline and '%' comes back as it went in */
    const char *odd_ids[] = {"a b", "line\nbreak", "100%", "%41 %", "012345678901234567890123456789 2345"};
    qevent_t *h = NULL;
    for (int i = 4; i >= 0; i--) {
        qevent_t *e = qevent_new("{\"x\":1", 6, odd_ids[i]);
        e->next = h;
        h = e;
    }
    rbuf_t ob = RBUF_INIT;
    redisq_encode(&ob, h);
    size_t on = 0;
    qevent_t *oback = redisq_decode(ob.data, ob.len, &on);
    CHECK_EQ_INT(on, 5);
    int i = 0;
    for (const qevent_t *e = oback; e; e = e->next, i++) CHECK_EQ_STR(e->msgid, odd_ids[i]);
    qevent_free_list(oback);
    qevent_free_list(h);
    rbuf_free(&ob);
}

/* ---- the flow ---------------------------------------------------------------------------- */

static void test_batches_flow_through_redis_to_the_data_plane_and_are_deleted(void) {
    flushall();
    dp_t *dp = dp_start((const char *[]){"--write-key", WRITE_KEY, NULL});
    rudder_conf_t *conf = conf_for(dp);
    redisq_opts_t o;
    opts_for(&o, "flow", 0);
    char err[300];
    redisq_t *q = redisq_open(&o, err, sizeof err);
    CHECK(q != NULL, "open: %s", err);
    if (!q) return;
    push_batches(q, 40, 50, 0, "flow");
    tally_t t = {.mu = PTHREAD_MUTEX_INITIALIZER};
    redisq_proc_t *p = start_proc(q, conf, &t);
    CHECK_EQ_INT(wait_tally(&t, &t.delivered, 2000, 30000), 0);
    CHECK_EQ_INT(dp_stat(dp, "events"), 2000);
    CHECK_EQ_INT(dp_stat(dp, "unique"), 2000);
    int order[2000];
    CHECK_EQ_INT(received_order(dp, order, 2000), 2000);
    int in_order = 1;
    for (int i = 0; i < 2000; i++) if (order[i] != i) in_order = 0;
    CHECK(in_order, "one processor delivers in the order batches were queued");
    cJSON *evs = dp_get(dp, "/_events");
    cJSON *e0 = cJSON_GetArrayItem(evs, 0);
    CHECK(cJSON_GetStringValue(cJSON_GetObjectItem(e0, "sentAt")) != NULL, "sentAt set at send time");
    CHECK(cJSON_GetStringValue(cJSON_GetObjectItem(e0, "originalTimestamp")) != NULL, "originalTimestamp kept");
    cJSON_Delete(evs);
    redisq_proc_stop(p, INT64_MAX);

    redisContext *c = rs_connect(&rs);
    CHECK_EQ_INT(count_keys(c, "{rudder}:flow:b:*"), 0); /* delivered batches deleted */
    CHECK_EQ_INT(rs_int(c, "LLEN %s", "{rudder}:flow:wait"), 0);
    CHECK_EQ_INT(rs_int(c, "HLEN %s", "{rudder}:flow:attempts"), 0);
    redisFree(c);
    redisq_close(q);
    rudder_conf_destroy(conf);
    dp_stop(dp);
}

static void test_the_write_key_is_in_no_redis_key_or_value(void) {
    flushall();
    dp_t *dp = dp_start((const char *[]){"--write-key", WRITE_KEY, NULL});
    dp_control(dp, "{\"status\":400}"); /* keep some batches in the failed list too */
    rudder_conf_t *conf = conf_for(dp);
    redisq_opts_t o;
    opts_for(&o, "secret", 0);
    char err[300];
    redisq_t *q = redisq_open(&o, err, sizeof err);
    CHECK(q != NULL, "open: %s", err);
    if (!q) return;
    push_batches(q, 3, 10, 0, "secret");
    tally_t t = {.mu = PTHREAD_MUTEX_INITIALIZER};
    redisq_proc_t *p = start_proc(q, conf, &t);
    CHECK_EQ_INT(wait_tally(&t, &t.failed, 10, 10000), 0);
    redisq_proc_stop(p, INT64_MAX);
    push_batches(q, 2, 10, 100, "secret"); /* and some waiting */
    redisContext *c = rs_connect(&rs);
    size_t nkeys = 0;
    CHECK(!redis_mentions(c, WRITE_KEY, &nkeys), "the write key is stored nowhere in Redis");
    CHECK(nkeys >= 4, "there was something to look at (%zu keys)", nkeys);
    /* every key hashes to one cluster slot: it starts with the braced prefix */
    redisReply *keys = redisCommand(c, "KEYS *");
    for (size_t i = 0; keys && i < keys->elements; i++)
        CHECK(!strncmp(keys->element[i]->str, "{rudder}:secret:", 16), "key %s under the prefix", keys->element[i]->str);
    if (keys) freeReplyObject(keys);
    redisFree(c);
    redisq_close(q);
    rudder_conf_destroy(conf);
    dp_stop(dp);
}

static void test_transient_failures_retry_then_the_failed_list_then_requeue(void) {
    flushall();
    dp_t *dp = dp_start((const char *[]){"--write-key", WRITE_KEY, NULL});
    dp_control(dp, "{\"status\":503}");
    rudder_conf_t *conf = conf_for(dp);
    redisq_opts_t o;
    opts_for(&o, "retry", 0);
    o.max_attempts = 3;
    char err[300];
    redisq_t *q = redisq_open(&o, err, sizeof err);
    CHECK(q != NULL, "open: %s", err);
    if (!q) return;
    push_batches(q, 1, 5, 0, "retry");
    tally_t t = {.mu = PTHREAD_MUTEX_INITIALIZER};
    redisq_proc_t *p = start_proc(q, conf, &t);
    CHECK_EQ_INT(wait_tally(&t, &t.failed, 5, 20000), 0);
    CHECK_EQ_INT(dp_stat(dp, "status.503"), 3); /* maxAttempts tries, then the failed list */
    CHECK(strstr(t.last_why, "gave up after 3 tries") != NULL, "why: %s", t.last_why);
    redisq_proc_stop(p, INT64_MAX);

    rudder_err_t e;
    char *failed = redisq_list_failed(&o, &e, err, sizeof err);
    CHECK(failed != NULL, "list failed: %s", err);
    cJSON *arr = cJSON_Parse(failed ? failed : "");
    CHECK_EQ_INT(cJSON_GetArraySize(arr), 1);
    cJSON *f0 = cJSON_GetArrayItem(arr, 0);
    CHECK_EQ_INT(cJSON_GetObjectItem(f0, "events")->valueint, 5);
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(f0, "messageIds")), 5);
    cJSON *fi = cJSON_GetObjectItem(f0, "failure");
    CHECK_EQ_INT(cJSON_GetObjectItem(fi, "status")->valueint, 503);
    CHECK_EQ_INT(cJSON_GetObjectItem(fi, "attempts")->valueint, 3);
    cJSON_Delete(arr);
    free(failed);

    /* the operator lists and re-queues with the command-line tool; the data plane is healthy
     * again; they are delivered */
    char settings[] = "/tmp/rudder-redis-settings-XXXXXX";
    int fd = mkstemp(settings);
    FILE *sf = fdopen(fd, "w");
    fprintf(sf, "{\"settings\":{\"writeKey\":\"%s\",\"persistence\":{\"type\":\"redis\",\"port\":%d,\"queueName\":\"retry\"}}}",
            WRITE_KEY, rs.port);
    fclose(sf);
    char cmd[600], out[4096] = "";
    snprintf(cmd, sizeof cmd, "%s/tools/cli/ruddercore persistence list-failed --config %s", RUDDER_BINARY_DIR, settings);
    FILE *pf = popen(cmd, "r");
    size_t got = pf ? fread(out, 1, sizeof out - 1, pf) : 0;
    out[got] = '\0';
    CHECK(pf && pclose(pf) == 0, "list-failed exits 0: %s", out);
    cJSON *listed = cJSON_Parse(out);
    CHECK_EQ_INT(cJSON_GetArraySize(listed), 1);
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetArrayItem(listed, 0), "messageIds")), 5);
    CHECK(!strstr(out, WRITE_KEY), "no write key in the listing");
    cJSON_Delete(listed);
    dp_control(dp, "{}");
    snprintf(cmd, sizeof cmd, "%s/tools/cli/ruddercore persistence requeue --config %s", RUDDER_BINARY_DIR, settings);
    pf = popen(cmd, "r");
    got = pf ? fread(out, 1, sizeof out - 1, pf) : 0;
    out[got] = '\0';
    CHECK(pf && pclose(pf) == 0, "requeue exits 0: %s", out);
    CHECK(strstr(out, "{\"requeued\":1}") != NULL, "requeue says how many: %s", out);
    unlink(settings);
    CHECK_EQ_INT(redisq_requeue_failed(&o, err, sizeof err), 0); /* nothing left to re-queue */
    p = start_proc(q, conf, &t);
    CHECK_EQ_INT(wait_tally(&t, &t.delivered, 5, 20000), 0);
    CHECK_EQ_INT(dp_stat(dp, "unique"), 5);
    redisq_proc_stop(p, INT64_MAX);
    redisContext *c = rs_connect(&rs);
    CHECK_EQ_INT(rs_int(c, "LLEN %s", "{rudder}:retry:failed"), 0);
    CHECK_EQ_INT(count_keys(c, "{rudder}:retry:b:*"), 0);
    redisFree(c);
    redisq_close(q);
    rudder_conf_destroy(conf);
    dp_stop(dp);
}

static void test_a_permanent_rejection_goes_to_the_failed_list_at_once(void) {
    flushall();
    dp_t *dp = dp_start((const char *[]){"--write-key", WRITE_KEY, NULL});
    dp_control(dp, "{\"status\":400,\"count\":1}");
    rudder_conf_t *conf = conf_for(dp);
    redisq_opts_t o;
    opts_for(&o, "perm", 0);
    char err[300];
    redisq_t *q = redisq_open(&o, err, sizeof err);
    if (!q) { CHECK(0, "open: %s", err); return; }
    push_batches(q, 2, 4, 0, "perm");
    tally_t t = {.mu = PTHREAD_MUTEX_INITIALIZER};
    redisq_proc_t *p = start_proc(q, conf, &t);
    CHECK_EQ_INT(wait_tally(&t, &t.delivered, 4, 10000), 0);
    CHECK_EQ_INT(tally_get(&t, &t.failed), 4);
    CHECK_EQ_INT(dp_stat(dp, "requests"), 2); /* no retry of a 400 */
    redisq_proc_stop(p, INT64_MAX);
    redisContext *c = rs_connect(&rs);
    CHECK_EQ_INT(rs_int(c, "LLEN %s", "{rudder}:perm:failed"), 1);
    redisFree(c);
    redisq_close(q);
    rudder_conf_destroy(conf);
    dp_stop(dp);
}

/* ---- crash recovery ------------------------------------------------------------------------ */

/* Waits until some processor of queue has a batch active (it is sending). */
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

/* A child process that queues `batches` batches then processes until killed. */
static pid_t spawn_producer(const char *queue, int multi, int64_t ttl_ms, dp_t *dp, int batches, int first) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
    redisq_opts_t o;
    opts_for(&o, queue, multi);
    if (ttl_ms) o.heartbeat_ttl_ms = ttl_ms;
    char err[300];
    redisq_t *q = redisq_open(&o, err, sizeof err);
    if (!q) _exit(3);
    push_batches(q, batches, 10, first, queue);
    rudder_conf_t *conf = conf_for(dp);
    tally_t t = {.mu = PTHREAD_MUTEX_INITIALIZER};
    redisq_proc_hooks_t h = {.outcome = on_outcome, .opaque = &t};
    redisq_proc_t *p = redisq_proc_start(q, conf, &h, err, sizeof err);
    if (!p) _exit(4);
    for (;;) pause();
}

static void test_kill_9_mid_send_then_restart_delivers_all_in_order(void) {
    flushall();
    dp_t *dp = dp_start((const char *[]){"--write-key", WRITE_KEY, NULL});
    dp_control(dp, "{\"delayMs\":1500,\"count\":1}"); /* the first request hangs */
    pid_t child = spawn_producer("crash", 0, 0, dp, 5, 0);
    redisContext *c = rs_connect(&rs);
    CHECK_EQ_INT(wait_active(c, "{rudder}:crash:active:*", 10000), 0);
    kill(child, SIGKILL); /* dies with batch 0 in flight */
    waitpid(child, NULL, 0);
    CHECK_EQ_INT(rs_int(c, "LLEN %s", "{rudder}:crash:wait"), 4);

    /* the next start picks the in-flight batch up first */
    rudder_conf_t *conf = conf_for(dp);
    redisq_opts_t o;
    opts_for(&o, "crash", 0);
    char err[300];
    redisq_t *q = redisq_open(&o, err, sizeof err);
    if (!q) { CHECK(0, "open: %s", err); return; }
    CHECK_EQ_INT(redisq_recovered(q), 1);
    tally_t t = {.mu = PTHREAD_MUTEX_INITIALIZER};
    redisq_proc_t *p = start_proc(q, conf, &t);
    CHECK_EQ_INT(wait_tally(&t, &t.delivered, 50, 20000), 0);
    CHECK_EQ_INT(dp_wait_stat(dp, "unique", 50, 10000), 0);
    /* order: the first time each event arrives is acceptance order (the hung request may
     * also have been counted: at least once, same messageId) */
    int order[200], seen[50] = {0}, next = 0, in_order = 1;
    int n = received_order(dp, order, 200);
    for (int i = 0; i < n && i < 200; i++) {
        int v = order[i];
        if (v < 0 || v >= 50 || seen[v]) continue;
        seen[v] = 1;
        if (v != next++) in_order = 0;
    }
    CHECK(in_order, "single processor: recovered batch first, order kept");
    CHECK_EQ_INT(dp_stat(dp, "unique"), 50);
    redisq_proc_stop(p, INT64_MAX);
    CHECK_EQ_INT(count_keys(c, "{rudder}:crash:b:*"), 0);
    CHECK_EQ_INT(count_keys(c, "{rudder}:crash:active:*"), 0);
    redisFree(c);
    redisq_close(q);
    rudder_conf_destroy(conf);
    dp_stop(dp);
}

static void test_multi_processor_reclaims_a_dead_processors_batch_behind_newer_ones(void) {
    flushall();
    dp_t *dp = dp_start((const char *[]){"--write-key", WRITE_KEY, NULL});
    dp_control(dp, "{\"delayMs\":1500,\"count\":1}");
    pid_t child = spawn_producer("mcrash", 1, 1000, dp, 1, 0);
    redisContext *c = rs_connect(&rs);
    CHECK_EQ_INT(wait_active(c, "{rudder}:mcrash:active:*", 10000), 0);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);

    /* a processor that was already running sees the heartbeat expire and takes it over */
    rudder_conf_t *conf = conf_for(dp);
    redisq_opts_t o;
    opts_for(&o, "mcrash", 1);
    o.heartbeat_ttl_ms = 1000;
    char err[300];
    redisq_t *q = redisq_open(&o, err, sizeof err);
    if (!q) { CHECK(0, "open: %s", err); return; }
    CHECK_EQ_INT(redisq_recovered(q), 0); /* its heartbeat is still alive */
    push_batches(q, 1, 10, 10, "mcrash");
    tally_t t = {.mu = PTHREAD_MUTEX_INITIALIZER};
    redisq_proc_t *p = start_proc(q, conf, &t);
    CHECK_EQ_INT(wait_tally(&t, &t.delivered, 20, 20000), 0);
    CHECK_EQ_INT(dp_wait_stat(dp, "unique", 20, 10000), 0);
    CHECK_EQ_INT(dp_stat(dp, "unique"), 20);
    redisq_proc_stop(p, INT64_MAX);
    CHECK_EQ_INT(count_keys(c, "{rudder}:mcrash:b:*"), 0);
    CHECK_EQ_INT(count_keys(c, "{rudder}:mcrash:active:*"), 0);
    redisFree(c);
    redisq_close(q);
    rudder_conf_destroy(conf);
    dp_stop(dp);
}

/* ---- several processes --------------------------------------------------------------------- */

static void test_several_processes_share_one_queue_each_event_once(void) {
    flushall();
    dp_t *dp = dp_start((const char *[]){"--write-key", WRITE_KEY, NULL});
    enum { PROCS = 3, BATCHES = 60 };
    pid_t kids[PROCS];
    for (int i = 0; i < PROCS; i++) kids[i] = spawn_producer("shared", 1, 0, dp, BATCHES, i * BATCHES * 10);
    int total = PROCS * BATCHES * 10;
    CHECK_EQ_INT(dp_wait_stat(dp, "events", total, 60000), 0);
    redisContext *c = rs_connect(&rs);
    /* wait until every batch is acknowledged (deleted) */
    int64_t until = clock_mono_ms() + 20000;
    while (count_keys(c, "{rudder}:shared:b:*") > 0 && clock_mono_ms() < until) rs_sleep_ms(10);
    CHECK_EQ_INT(count_keys(c, "{rudder}:shared:b:*"), 0);
    CHECK_EQ_INT(dp_stat(dp, "events"), total);
    CHECK_EQ_INT(dp_stat(dp, "unique"), total);
    CHECK_EQ_INT(dp_stat(dp, "duplicates"), 0);
    for (int i = 0; i < PROCS; i++) {
        kill(kids[i], SIGKILL);
        waitpid(kids[i], NULL, 0);
    }
    redisFree(c);
    dp_stop(dp);
}

/* ---- Redis down then back --------------------------------------------------------------------- */

static void test_redis_down_then_back(void) {
    flushall();
    dp_t *dp = dp_start((const char *[]){"--write-key", WRITE_KEY, NULL});
    rudder_conf_t *conf = conf_for(dp);
    redisq_opts_t o;
    opts_for(&o, "outage", 0);
    o.connect_timeout_ms = 500;
    char err[300];
    redisq_t *q = redisq_open(&o, err, sizeof err);
    if (!q) { CHECK(0, "open: %s", err); return; }
    tally_t t = {.mu = PTHREAD_MUTEX_INITIALIZER};
    redisq_proc_t *p = start_proc(q, conf, &t);
    push_batches(q, 2, 10, 0, "outage");
    CHECK_EQ_INT(wait_tally(&t, &t.delivered, 20, 10000), 0);

    rs_stop(&rs);
    qevent_t *l = make_batch(20, 10, "outage");
    CHECK(redisq_push(q, l, err, sizeof err) != 0, "a push fails while Redis is down");
    CHECK(strstr(err, "Redis") != NULL, "the error says why: %s", err);
    redisq_t *q2 = redisq_open(&o, err, sizeof err);
    CHECK(q2 == NULL && strstr(err, "cannot connect to Redis at 127.0.0.1:") != NULL, "open says why: %s", err);

    CHECK_EQ_INT(rs_start(&rs), 0); /* same port; the data was not saved, but the queue goes on */
    int pushed = -1;
    int64_t until = clock_mono_ms() + 10000;
    while ((pushed = redisq_push(q, l, err, sizeof err)) != 0 && clock_mono_ms() < until) rs_sleep_ms(20);
    CHECK_EQ_INT(pushed, 0);
    CHECK_EQ_INT(wait_tally(&t, &t.delivered, 30, 20000), 0); /* the processor reconnected */
    qevent_free_list(l);
    redisq_proc_stop(p, INT64_MAX);
    redisq_close(q);
    rudder_conf_destroy(conf);
    dp_stop(dp);
}

static void test_wrong_password_is_a_clear_error_without_the_password(void) {
    redisq_opts_t o;
    opts_for(&o, "auth", 0);
    snprintf(o.password, sizeof o.password, "pw-not-to-print");
    char err[300];
    redisq_t *q = redisq_open(&o, err, sizeof err);
    CHECK(q == NULL, "AUTH against a server without a password is refused");
    CHECK(strstr(err, "refused the password") != NULL, "%s", err);
    CHECK(strstr(err, "pw-not-to-print") == NULL, "the password is not echoed: %s", err);
    redisq_close(q);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    RUN(test_options_take_the_node_sdk_names_and_a_url);
    RUN(test_a_stored_batch_round_trips_and_damage_is_refused);
    if (rs_start(&rs) != 0) {
        fprintf(stderr, "FAIL: could not start redis-server (CI installs it: scripts/install-deps.sh)\n");
        return 1;
    }
    RUN(test_batches_flow_through_redis_to_the_data_plane_and_are_deleted);
    RUN(test_the_write_key_is_in_no_redis_key_or_value);
    RUN(test_transient_failures_retry_then_the_failed_list_then_requeue);
    RUN(test_a_permanent_rejection_goes_to_the_failed_list_at_once);
    RUN(test_kill_9_mid_send_then_restart_delivers_all_in_order);
    RUN(test_multi_processor_reclaims_a_dead_processors_batch_behind_newer_ones);
    RUN(test_several_processes_share_one_queue_each_event_once);
    RUN(test_redis_down_then_back);
    RUN(test_wrong_password_is_a_clear_error_without_the_password);
    rs_destroy(&rs);
    return check_summary();
}
#endif
