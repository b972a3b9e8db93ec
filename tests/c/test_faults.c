/* The fault suite: the client against a local data plane that fails the way real ones do
 * — a random share of 500/503/429, answers slower than the request timeout, dropped
 * connections, the data plane down for a while and back, the data plane restarted in the
 * middle of a stream.  For each: every accepted event is delivered, a duplicate only ever
 * repeats an accepted messageId (and the data plane counts it), and nothing arrives that
 * was not accepted.  The data plane records every accepted event to a file, so what
 * arrived before a restart is still seen.  Memory mode and persistence mode both run.
 * RUDDER_FAULT_EVENTS sets events per producer thread (default 3000; `make soak` runs
 * 500,000, i.e. 1,000,000 events per fault).  Each scenario prints what it accepted,
 * what arrived, what was lost and duplicated, and the process's RSS. */
#include "check.h"
#include "dataplane.h"
#include "ruddercore.h"
#include <ftw.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define WRITE_KEY "wk-fault-secret-3131"
#define THREADS 2

static long events_per_thread(void) {
    const char *e = getenv("RUDDER_FAULT_EVENTS");
    long n = e ? atol(e) : 3000;
    return n < 50 ? 50 : n;
}

/* How long a flush may wait for everything to arrive: 2 minutes at make test's size (a stuck
 * delivery fails as "left N" well inside ctest's timeout), 30 minutes for a soak. */
static int flush_timeout_ms(void) {
    return events_per_thread() > 3000 ? 1800000 : 120000;
}

/* ---- accepted ids, shared by producer threads ------------------------------------------- */

typedef struct idlist {
    pthread_mutex_t mu;
    char *ids; /* 37-byte slots */
    size_t n, cap;
    long rejected; /* calls that returned an error (not accepted, so never "lost") */
} idlist_t;

static void ids_add(idlist_t *l, const char *id) {
    pthread_mutex_lock(&l->mu);
    if (l->n == l->cap) l->ids = realloc(l->ids, (l->cap = l->cap ? l->cap * 2 : 4096) * 37);
    snprintf(l->ids + l->n++ * 37, 37, "%s", id);
    pthread_mutex_unlock(&l->mu);
}

static int cmp_id(const void *a, const void *b) { return strcmp(a, b); }

typedef struct producer {
    rudder_client_t *c;
    idlist_t *accepted;
    long from, count;
    long rejected;
} producer_t;

static void *produce(void *arg) {
    producer_t *p = arg;
    char json[512], err[256], id[37];
    for (long i = p->from; i < p->from + p->count; i++) {
        snprintf(json, sizeof json,
                 "{\"userId\":\"u%ld\",\"event\":\"Fault Test\",\"properties\":{\"i\":%ld,\"sku\":\"abc-%ld\"}}", i % 11, i, i);
        rudder_err_t e = rudder_call(p->c, RUDDER_TRACK, json, strlen(json), err, sizeof err, id, sizeof id);
        if (e == RUDDER_OK) ids_add(p->accepted, id);
        else {
            p->rejected++;
            pthread_mutex_lock(&p->accepted->mu);
            p->accepted->rejected++;
            pthread_mutex_unlock(&p->accepted->mu);
        }
    }
    return NULL;
}

/* Runs THREADS producers for `each` events each, starting at index `from`. */
static long produce_all(rudder_client_t *c, idlist_t *acc, long from, long each) {
    pthread_t th[THREADS];
    producer_t p[THREADS];
    for (int i = 0; i < THREADS; i++) {
        p[i] = (producer_t){c, acc, from + i * each, each, 0};
        pthread_create(&th[i], NULL, produce, &p[i]);
    }
    long rejected = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        rejected += p[i].rejected;
    }
    return rejected;
}

/* ---- one scenario ------------------------------------------------------------------------ */

typedef struct scenario {
    dp_t *dp;
    rudder_client_t *c;
    idlist_t acc;
    char dir[64];        /* temp dir: the record file and the spool */
    char record[128];
} scenario_t;

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f) { return remove(p); }

/* batch_bytes (maxQueueSize) sets how many requests the events make: small batches give
 * a random fault many chances to hit even when the sizes are reduced. */
static void start(scenario_t *s, int spool, long batch_bytes, const char *extra) {
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->acc.mu, NULL);
    snprintf(s->dir, sizeof s->dir, "/tmp/ruddercore-faults-XXXXXX");
    CHECK(mkdtemp(s->dir) != NULL, "temp dir");
    snprintf(s->record, sizeof s->record, "%s/arrived.ndjson", s->dir);
    /* --no-store: the record file is what finish() reads; a soak's million events stay out of memory */
    s->dp = dp_start((const char *[]){"--write-key", WRITE_KEY, "--record", s->record, "--no-store", "--quiet", NULL});
    char json[2048], err[512], sp[160] = "";
    if (spool) snprintf(sp, sizeof sp, ",\"persistence\":\"%s/spool\"", s->dir);
    snprintf(json, sizeof json,
             "{\"writeKey\":\"%s\",\"dataPlaneUrl\":\"%s\",\"flushAt\":100,\"retryCount\":100,\"retryBaseDelay\":10,"
             "\"retryMaxDelay\":200,\"logLevel\":\"off\",\"maxInternalQueueSize\":100000000,\"maxInternalQueueBytes\":4294967296,\"maxQueueSize\":%ld,\"maxEventBytes\":1024%s%s%s}",
             WRITE_KEY, dp_url(s->dp), batch_bytes, sp, *extra ? "," : "", extra);
    s->c = rudder_client_new_json(json, strlen(json), err, sizeof err);
    CHECK(s->c != NULL, "client: %s", err);
}

/* This process's resident memory now and at its peak (VmRSS, VmHWM), in KiB. */
static void proc_memory_kb(long *rss, long *hwm) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f)) {
        sscanf(line, "VmRSS: %ld", rss);
        sscanf(line, "VmHWM: %ld", hwm);
    }
    if (f) fclose(f);
}

/* Waits until the data plane has no delayed answer outstanding (those still count). */
static void wait_no_pending(dp_t *dp) {
    for (int i = 0; i < 2000 && dp_stat(dp, "pending") > 0; i++) usleep(10000);
}

/* Flushes, then checks delivery against the record file: all accepted arrived, every
 * arrival was accepted, duplicates counted. */
static void finish(scenario_t *s, const char *name) {
    size_t left = 1;
    CHECK_EQ_INT(rudder_flush(s->c, flush_timeout_ms(), &left), RUDDER_OK); /* returns as soon as all is sent */
    CHECK_EQ_INT(left, 0);
    wait_no_pending(s->dp);
    char *stats = rudder_stats(s->c);
    cJSON *st = cJSON_Parse(stats);
    long failed = (long)cJSON_GetObjectItem(st, "failedEvents")->valuedouble;
    long dropped = (long)cJSON_GetObjectItem(st, "droppedEvents")->valuedouble;
    long retries = (long)cJSON_GetObjectItem(st, "retries")->valuedouble;
    CHECK_EQ_INT(failed, 0);
    CHECK_EQ_INT(dropped, 0);
    CHECK(strstr(stats, WRITE_KEY) == NULL, "no write key in stats");
    cJSON_Delete(st);
    rudder_free(stats);

    qsort(s->acc.ids, s->acc.n, 37, cmp_id);
    char *seen = calloc(s->acc.n + 1, 1);
    FILE *f = fopen(s->record, "r");
    long arrived = 0, unknown = 0, missing = 0;
    char *line = NULL;
    size_t cap = 0;
    while (f && getline(&line, &cap, f) > 0) {
        cJSON *ev = cJSON_Parse(line);
        cJSON *m = cJSON_GetObjectItem(ev, "messageId");
        char key[37] = "";
        if (cJSON_IsString(m)) snprintf(key, sizeof key, "%s", m->valuestring);
        char *hit = bsearch(key, s->acc.ids, s->acc.n, 37, cmp_id);
        if (hit) seen[(hit - s->acc.ids) / 37] = 1;
        else unknown++;
        arrived++;
        cJSON_Delete(ev);
    }
    free(line);
    if (f) fclose(f);
    for (size_t i = 0; i < s->acc.n; i++) missing += !seen[i];
    long rss_kb = 0, hwm_kb = 0;
    proc_memory_kb(&rss_kb, &hwm_kb);
    fprintf(stderr, "  %s: accepted %zu, rejected %ld, arrived %ld, lost %ld, duplicates %ld, retries %ld, rss %ld MiB (peak %ld MiB)\n",
            name, s->acc.n, s->acc.rejected, arrived, missing, arrived - (long)s->acc.n + missing, retries, rss_kb / 1024,
            hwm_kb / 1024);
    CHECK(s->acc.n > 0, "events were accepted");
    CHECK_EQ_INT(missing, 0);
    CHECK_EQ_INT(unknown, 0);
    free(seen);
    rudder_client_destroy(s->c);
    dp_stop(s->dp);
    nftw(s->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(s->acc.ids);
}

/* The current data plane process's duplicate count is consistent with what it stored. */
static void check_dp_counts(dp_t *dp) {
    long events = dp_stat(dp, "events"), unique = dp_stat(dp, "unique"), dups = dp_stat(dp, "duplicates");
    CHECK_EQ_INT(unique + dups, events);
}

static void random_errors(int spool) {
    scenario_t s;
    start(&s, spool, 2048, "");
    long n = events_per_thread();
    /* each share is delivered through while its fault is in force */
    dp_control(s.dp, "{\"status\":500,\"rate\":0.3}");
    produce_all(s.c, &s.acc, 0, n / 3);
    rudder_flush(s.c, flush_timeout_ms(), NULL);
    dp_control(s.dp, "{\"status\":503,\"rate\":0.3}");
    produce_all(s.c, &s.acc, n, n / 3);
    rudder_flush(s.c, flush_timeout_ms(), NULL);
    dp_control(s.dp, "{\"status\":429,\"rate\":0.3,\"retryAfter\":\"0\"}");
    produce_all(s.c, &s.acc, 2 * n, n / 3);
    rudder_flush(s.c, flush_timeout_ms(), NULL);
    CHECK(dp_stat(s.dp, "status.429") > 0 && dp_stat(s.dp, "status.500") > 0 && dp_stat(s.dp, "status.503") > 0,
          "every kind of error was seen (500: %ld, 503: %ld, 429: %ld)", dp_stat(s.dp, "status.500"),
          dp_stat(s.dp, "status.503"), dp_stat(s.dp, "status.429"));
    check_dp_counts(s.dp);
    CHECK_EQ_INT(dp_stat(s.dp, "duplicates"), 0); /* a refused request stores nothing */
    dp_control(s.dp, "{}");
    finish(&s, spool ? "random 500/503/429 (spool)" : "random 500/503/429");
}

static void slow_answers(int spool) {
    scenario_t s;
    start(&s, spool, 8192, "\"requestTimeout\":300");
    long n = events_per_thread();
    /* each late answer costs a request timeout: their number is capped (10 by default, 200 in a soak) */
    long late = n / 300 < 10 ? 10 : n / 300 > 200 ? 200 : n / 300;
    char fault[96];
    snprintf(fault, sizeof fault, "{\"delayMs\":700,\"rate\":0.5,\"count\":%ld}", late);
    dp_control(s.dp, fault);
    produce_all(s.c, &s.acc, 0, n);
    rudder_flush(s.c, flush_timeout_ms(), NULL);
    wait_no_pending(s.dp);
    /* a late answer was still accepted by the data plane: the retry is a duplicate with the same id */
    CHECK(dp_stat(s.dp, "duplicates") > 0, "timed-out requests were re-sent (duplicates %ld)", dp_stat(s.dp, "duplicates"));
    check_dp_counts(s.dp);
    dp_control(s.dp, "{}");
    finish(&s, spool ? "answers slower than the timeout (spool)" : "answers slower than the timeout");
}

static void dropped_connections(int spool) {
    scenario_t s;
    start(&s, spool, 8192, "");
    dp_control(s.dp, "{\"drop\":true,\"rate\":0.3}");
    produce_all(s.c, &s.acc, 0, events_per_thread());
    rudder_flush(s.c, flush_timeout_ms(), NULL);
    CHECK(dp_stat(s.dp, "dropped") > 0, "connections were dropped");
    check_dp_counts(s.dp);
    dp_control(s.dp, "{}");
    finish(&s, spool ? "dropped connections (spool)" : "dropped connections");
}

static long client_stat(rudder_client_t *c, const char *key) {
    char *stats = rudder_stats(c);
    cJSON *st = cJSON_Parse(stats);
    cJSON *v = cJSON_GetObjectItem(st, key);
    long n = cJSON_IsNumber(v) ? (long)v->valuedouble : -1;
    cJSON_Delete(st);
    rudder_free(stats);
    return n;
}

static void down_and_back(int spool) {
    scenario_t s;
    start(&s, spool, 8192, "\"connectTimeout\":200");
    long n = events_per_thread();
    produce_all(s.c, &s.acc, 0, n / 3);
    CHECK_EQ_INT(dp_stop_keep_port(s.dp), 0);
    long retries = client_stat(s.c, "retries");
    produce_all(s.c, &s.acc, n, n / 3);
    /* wait until the client has noticed the outage and is retrying */
    for (int i = 0; i < 3000 && client_stat(s.c, "retries") < retries + 3; i++) usleep(10000);
    CHECK(client_stat(s.c, "retries") >= retries + 3, "the client retried while the data plane was down");
    CHECK(rudder_queue_length(s.c) > 0, "events wait while the data plane is down");
    CHECK_EQ_INT(dp_restart(s.dp), 0);
    produce_all(s.c, &s.acc, 2 * n, n / 3);
    finish(&s, spool ? "down for a while and back (spool)" : "down for a while and back");
}

static void restarted_mid_stream(int spool) {
    scenario_t s;
    start(&s, spool, 8192, "\"connectTimeout\":200");
    long n = events_per_thread();
    pthread_t th[THREADS];
    producer_t p[THREADS];
    for (int i = 0; i < THREADS; i++) {
        p[i] = (producer_t){s.c, &s.acc, i * n, n, 0};
        pthread_create(&th[i], NULL, produce, &p[i]);
    }
    CHECK_EQ_INT(dp_wait_stat(s.dp, "events", 200, 30000), 0); /* mid-stream */
    CHECK_EQ_INT(dp_stop_keep_port(s.dp), 0);
    CHECK_EQ_INT(dp_restart(s.dp), 0);
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ_INT(p[i].rejected, 0);
    }
    finish(&s, spool ? "restarted mid-stream (spool)" : "restarted mid-stream");
}

static void test_random_5xx_and_429(void) { random_errors(0); }
static void test_answers_slower_than_the_timeout(void) { slow_answers(0); }
static void test_dropped_connections(void) { dropped_connections(0); }
static void test_data_plane_down_for_a_while_and_back(void) { down_and_back(0); }
static void test_data_plane_restarted_mid_stream(void) { restarted_mid_stream(0); }
static void test_random_5xx_and_429_with_spool(void) { random_errors(1); }
static void test_answers_slower_than_the_timeout_with_spool(void) { slow_answers(1); }
static void test_dropped_connections_with_spool(void) { dropped_connections(1); }
static void test_data_plane_down_for_a_while_and_back_with_spool(void) { down_and_back(1); }
static void test_data_plane_restarted_mid_stream_with_spool(void) { restarted_mid_stream(1); }

/* RUDDER_FAULT_MODE=memory or spool runs one half (the soak runs both halves at once). */
int main(void) {
    const char *mode = getenv("RUDDER_FAULT_MODE");
    if (!mode || strcmp(mode, "spool")) {
        RUN(test_random_5xx_and_429);
        RUN(test_answers_slower_than_the_timeout);
        RUN(test_dropped_connections);
        RUN(test_data_plane_down_for_a_while_and_back);
        RUN(test_data_plane_restarted_mid_stream);
    }
    if (!mode || strcmp(mode, "memory")) {
        RUN(test_random_5xx_and_429_with_spool);
        RUN(test_answers_slower_than_the_timeout_with_spool);
        RUN(test_dropped_connections_with_spool);
        RUN(test_data_plane_down_for_a_while_and_back_with_spool);
        RUN(test_data_plane_restarted_mid_stream_with_spool);
    }
    return check_summary();
}
