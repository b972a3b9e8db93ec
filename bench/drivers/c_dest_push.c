/* c_dest_push — ruddercore's walkerOS destination from C: rudder_dest_push() in a loop,
 * then flush.  The C counterpart of the Python/Lua Destination rows; built by bench/run.py
 * against BUILD/libruddercore.a.
 *
 *   c_dest_push URL EVENTS CONFIG.json [flushAt]
 *
 * Each event is the walkerOS form of bench_client.c's event (1 024 of them, built before
 * the clock starts and cycled).  Prints one JSON line like the other drivers. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ruddercore.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int make_event(char *out, size_t size, long i)
{
    return snprintf(out, size,
        "{\"name\":\"product view\",\"entity\":\"product\",\"action\":\"view\","
        "\"data\":{\"id\":\"sku-%05ld\",\"name\":\"Everyday Ruck Snack\",\"price\":42.5,\"currency\":\"USD\","
        "\"quantity\":%ld,\"category\":\"Backpacks\",\"brand\":\"Acme\",\"variant\":\"black\",\"position\":3,"
        "\"dimensions\":{\"w\":30,\"h\":45},\"tags\":[\"new\",\"sale\",\"outdoor\"]},"
        "\"user\":{\"id\":\"user-%06ld\",\"session\":\"anon-%06ld\"},\"consent\":{\"functional\":true},"
        "\"timestamp\":%ld,\"trigger\":\"load\",\"source\":{\"type\":\"server\",\"schema\":\"4\"}}",
        i % 5000, i % 9 + 1, i % 100000, i % 100000, 1764000000000L + i);
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

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The config file with writeKey, dataPlaneUrl, the queue bound and flushAt put into
 * "settings": {...}. */
static char *load_config(const char *path, const char *url, const char *flush_at)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    char *at = strstr(text, "\"settings\"");
    char *brace = at ? strchr(at, '{') : NULL;
    if (!brace) return NULL;
    size_t cap = n + 1024;
    char *out = malloc(cap);
    int head = (int)(brace + 1 - text);
    snprintf(out, cap, "%.*s\"writeKey\":\"bench-key\",\"dataPlaneUrl\":\"%s\",\"maxInternalQueueSize\":200000%s%s,%s",
             head, text, url, flush_at ? ",\"flushAt\":" : "", flush_at ? flush_at : "", brace + 1);
    return out;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: c_dest_push URL EVENTS CONFIG.json [flushAt]\n");
        return 2;
    }
    long n = atol(argv[2]);
    char err[512];
    build_pool();
    char *config = load_config(argv[3], argv[1], argc > 4 ? argv[4] : NULL);
    if (!config) { fprintf(stderr, "cannot read %s\n", argv[3]); return 1; }
    rudder_dest_t *d = rudder_dest_new(config, strlen(config), NULL, err, sizeof err);
    free(config);
    if (!d) { fprintf(stderr, "rudder_dest_new: %s\n", err); return 1; }
    double *lat = calloc((size_t)n, sizeof *lat);
    long retries = 0;
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        const char *ev = pool_text[i % POOL];
        int len = pool_len[i % POOL];
        double c0 = now_s();
        rudder_err_t e;
        while ((e = rudder_dest_push(d, ev, (size_t)len, err, sizeof err)) == RUDDER_ERR_QUEUE_FULL) {
            retries++;
            struct timespec ts = {0, 20000};
            nanosleep(&ts, NULL);
        }
        lat[i] = now_s() - c0;
        if (e != RUDDER_OK) { fprintf(stderr, "push: %s\n", err); return 1; }
    }
    double t_calls = now_s() - t0;
    size_t left = 0;
    rudder_err_t e = rudder_flush(rudder_dest_client(d), 120000, &left);
    double t_total = now_s() - t0;
    qsort(lat, (size_t)n, sizeof *lat, cmp);
    printf("{\"contender\":\"ruddercore C rudder_dest_push\",\"events\":%ld,\"seconds\":%.4f,\"eventsPerSec\":%.0f,"
           "\"callSeconds\":%.4f,\"callMedianUs\":%.3f,\"callP99Us\":%.3f,\"callMaxUs\":%.1f,\"threads\":1,"
           "\"flushAt\":\"%s\",\"queueFullRetries\":%ld,\"left\":%zu,\"flush\":\"%s\"}\n",
           n, t_total, (double)n / t_total, t_calls, lat[n / 2] * 1e6, lat[(size_t)((double)n * 0.99)] * 1e6,
           lat[n - 1] * 1e6, argc > 4 ? argv[4] : "default", retries, left, rudder_err_name(e));
    rudder_dest_destroy(d);
    free(lat);
    return e == RUDDER_OK ? 0 : 1;
}
