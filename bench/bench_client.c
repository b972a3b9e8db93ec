/* bench_client — the C client end to end against the local data plane on loopback.
 *
 *   bench_client URL [events] [threads]
 *
 * Prints events/s from the first call until the data plane acknowledged the last event
 * (flush returned), with gzip on, for ~540-byte track events; and the time of one track()
 * call in the caller's thread while the sender is busy (median, p99, max). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ruddercore.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int make_event(char *out, size_t size, long i) {
    return snprintf(out, size,
        "{\"userId\":\"user-%06ld\",\"anonymousId\":\"anon-%06ld\",\"event\":\"Product Viewed\","
        "\"properties\":{\"product_id\":\"sku-%05ld\",\"name\":\"Everyday Ruck Snack\",\"price\":42.5,"
        "\"currency\":\"USD\",\"quantity\":%ld,\"category\":\"Backpacks\",\"brand\":\"Acme\",\"variant\":\"black\","
        "\"position\":3,\"dimensions\":{\"w\":30,\"h\":45},\"tags\":[\"new\",\"sale\",\"outdoor\"]},"
        "\"context\":{\"ip\":\"203.0.113.7\",\"locale\":\"en-US\"}}",
        i % 100000, i % 100000, i % 5000, i % 9 + 1);
}

/* POOL distinct events built before the clock starts and cycled, as the Python, Lua and
 * Node drivers do: the timed loop measures the SDK, not snprintf (the SDK copies what it
 * is given, so reuse is safe). */
#define POOL 1024
static char pool_text[POOL][1024];
static int pool_len[POOL];
static void build_pool(void) {
    for (long i = 0; i < POOL; i++) pool_len[i] = make_event(pool_text[i], sizeof pool_text[i], i);
}

typedef struct { rudder_client_t *c; long n, start; double *lat; long rejected; } worker_t;

static void *work(void *arg) {
    worker_t *w = arg;
    char err[256];
    for (long i = 0; i < w->n; i++) {
        const char *ev = pool_text[(w->start + i) % POOL];
        int len = pool_len[(w->start + i) % POOL];
        double t0 = w->lat ? now_s() : 0;
        rudder_err_t e;
        while ((e = rudder_track(w->c, ev, (size_t)len, err, sizeof err)) == RUDDER_ERR_QUEUE_FULL) {
            w->rejected++; /* producer outran the sender: retry (counted), as a real app would back off */
            struct timespec ts = {0, 20000};
            nanosleep(&ts, NULL);
        }
        if (w->lat) w->lat[i] = now_s() - t0;
        if (e != RUDDER_OK) { fprintf(stderr, "track: %s\n", err); exit(1); }
    }
    return NULL;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: bench_client URL [events] [threads] [flushAt]\n"); return 2; }
    long n = argc > 2 ? atol(argv[2]) : 1000000;
    int threads = argc > 3 ? atoi(argv[3]) : 1;
    const char *flush_at = argc > 4 ? argv[4] : "20";
    char err[512], sample[1024];
    int sample_len = make_event(sample, sizeof sample, 1);
    build_pool();
    char *env = rudder_build_message(RUDDER_TRACK, sample, (size_t)sample_len, "", 0, NULL, err, sizeof err);
    size_t wire_event = strlen(env) + 37; /* + ,"sentAt":"..." */
    rudder_free(env);

    rudder_conf_t *conf = rudder_conf_new();
    rudder_conf_set(conf, "writeKey", "bench-key", err, sizeof err);
    rudder_conf_set(conf, "dataPlaneUrl", argv[1], err, sizeof err);
    rudder_conf_set(conf, "flushAt", flush_at, err, sizeof err);
    rudder_conf_set(conf, "maxInternalQueueSize", "200000", err, sizeof err);
    rudder_client_t *c = rudder_client_new(conf, err, sizeof err);
    rudder_conf_destroy(conf);
    if (!c) { fprintf(stderr, "%s\n", err); return 1; }

    worker_t *w = calloc((size_t)threads, sizeof *w);
    pthread_t *th = calloc((size_t)threads, sizeof *th);
    double *lat = calloc((size_t)(n / threads + 1), sizeof(double));
    double t0 = now_s();
    for (int i = 0; i < threads; i++) {
        w[i] = (worker_t){c, n / threads, (long)i * (n / threads), i == 0 ? lat : NULL, 0};
        pthread_create(&th[i], NULL, work, &w[i]);
    }
    long rejected = 0;
    for (int i = 0; i < threads; i++) { pthread_join(th[i], NULL); rejected += w[i].rejected; }
    double t_calls = now_s() - t0;
    size_t left = 0;
    rudder_err_t e = rudder_flush(c, 120000, &left);
    double t_total = now_s() - t0;
    long sent = (n / threads) * threads;
    char *stats = rudder_stats(c);
    long calls = n / threads;
    qsort(lat, (size_t)calls, sizeof(double), cmp);
    printf("{\"contender\":\"ruddercore C\",\"threads\":%d,\"flushAt\":\"%s\",\"events\":%ld,\"eventBytes\":%zu,"
           "\"seconds\":%.3f,\"eventsPerSec\":%.0f,\"callSeconds\":%.3f,\"queueFullRetries\":%ld,"
           "\"callMedianUs\":%.2f,\"callP99Us\":%.2f,\"callMaxUs\":%.1f,\"flush\":\"%s\",\"stats\":%s}\n",
           threads, flush_at, sent, wire_event, t_total, (double)sent / t_total, t_calls, rejected,
           lat[calls / 2] * 1e6, lat[(size_t)(calls * 0.99)] * 1e6, lat[calls - 1] * 1e6, rudder_err_name(e), stats);
    rudder_free(stats);
    rudder_client_destroy(c);
    free(lat); free(w); free(th);
    return e == RUDDER_OK ? 0 : 1;
}
