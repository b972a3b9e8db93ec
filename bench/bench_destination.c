/* bench_destination — walkerOS events through the C destination.
 *
 *   bench_destination [events] [URL]
 *
 * The rule renames "product view" to "Product Viewed" and maps eight data fields; identity
 * comes from user.id/user.session, and a destination-level identify whose traits never
 * change, so every event after the first is a dedup hit.  Two figures:
 *   offline: push() with the network off — mapping, identity, dedup, the envelope and the
 *            queue all run, nothing is sent (the sender is never triggered);
 *   online:  push() to the local data plane at URL, until it acknowledged every event. */
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

static const char *MAPPING =
    "\"mapping\":{\"product\":{\"view\":{\"name\":\"Product Viewed\",\"data\":{\"map\":{"
    "\"product_id\":\"data.id\",\"name\":\"data.name\",\"color\":\"data.color\",\"size\":\"data.size\","
    "\"price\":\"data.price\",\"currency\":{\"value\":\"EUR\"},\"page_group\":\"globals.pagegroup\","
    "\"trigger\":\"trigger\"}}}}}";

static int make_event(char *out, size_t size, long i) {
    return snprintf(out, size,
        "{\"name\":\"product view\",\"data\":{\"id\":\"sku-%05ld\",\"name\":\"Everyday Ruck Snack\",\"color\":\"black\","
        "\"size\":\"l\",\"price\":420},\"context\":{\"shopping\":[\"detail\",0]},\"globals\":{\"pagegroup\":\"shop\"},"
        "\"user\":{\"id\":\"user-%ld\",\"session\":\"s-%ld\",\"email\":\"a@example.com\"},\"nested\":[],"
        "\"consent\":{\"functional\":true},\"id\":\"%016lx\",\"trigger\":\"load\",\"entity\":\"product\","
        "\"action\":\"view\",\"timestamp\":1732320817000,\"timing\":3.14,"
        "\"source\":{\"type\":\"server\",\"id\":\"https://shop.example.com\",\"previous_id\":\"\"}}",
        i % 5000, i % 1, i % 1, (unsigned long)i + 1);
}

/* POOL distinct events built before the clock starts and cycled, as the Python, Lua and
 * Node drivers do: the timed loop measures the SDK, not snprintf (the SDK copies what it
 * is given, so reuse is safe). */
#define POOL 1024
static char pool_text[POOL][1024];
static int pool_len[POOL];
static int pool_id_at[POOL]; /* where each event's own id sits (not data.id) */
static void build_pool(void) {
    for (long i = 0; i < POOL; i++) {
        pool_len[i] = make_event(pool_text[i], sizeof pool_text[i], i);
        pool_id_at[i] = (int)(strstr(pool_text[i], "},\"id\":\"") + 8 - pool_text[i]);
    }
}

/* Writes i + 1 as the 16 hex digit id of pool event i % POOL, in place. */
static void set_event_id(long i) {
    static const char HEX[] = "0123456789abcdef";
    char *at = pool_text[i % POOL] + pool_id_at[i % POOL];
    unsigned long v = (unsigned long)i + 1;
    for (int k = 15; k >= 0; k--, v >>= 4) at[k] = HEX[v & 15];
}

static rudder_dest_t *make_dest(const char *url, long n, int offline) {
    char cfg[2048], err[512];
    snprintf(cfg, sizeof cfg,
             "{\"settings\":{\"writeKey\":\"bench-key\",\"dataPlaneUrl\":\"%s\",\"logLevel\":\"%s\",\"flushAt\":%s,\"flushInterval\":%s,"
             "\"maxInternalQueueSize\":%ld,\"maxInternalQueueBytes\":%ld,"
             "\"identify\":{\"map\":{\"traits\":{\"map\":{\"email\":\"user.email\"}}}}},%s}",
             url, offline ? "off" : "info", offline ? "20000" : "20", offline ? "86400000" : "10000", n * 2 + 100, (n + 100) * 2048, MAPPING);
    rudder_dest_t *d = rudder_dest_new(cfg, strlen(cfg), NULL, err, sizeof err);
    if (!d) fprintf(stderr, "destination: %s\n", err);
    return d;
}

static double run(rudder_dest_t *d, long n, int flush) {
    char err[512];
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        char *ev = pool_text[i % POOL];
        int len = pool_len[i % POOL];
        set_event_id(i); /* ids stay unique: replays would be deduplicated downstream */
        rudder_err_t e;
        while ((e = rudder_dest_push(d, ev, (size_t)len, err, sizeof err)) == RUDDER_ERR_QUEUE_FULL) {
            struct timespec ts = {0, 20000};
            nanosleep(&ts, NULL);
        }
        if (e != RUDDER_OK) { fprintf(stderr, "push: %s\n", err); exit(1); }
    }
    if (flush && rudder_flush(rudder_dest_client(d), 120000, NULL) != RUDDER_OK) { fprintf(stderr, "flush timed out\n"); exit(1); }
    return now_s() - t0;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 300000;
    const char *url = argc > 2 ? argv[2] : NULL;
    build_pool();
    /* offline: the sender is never triggered (flushAt/flushInterval out of reach) */
    rudder_dest_t *d = make_dest("http://127.0.0.1:9", n, 1);
    if (!d) return 1;
    double t = run(d, n, 0);
    char *stats = rudder_dest_stats(d);
    printf("{\"contender\":\"ruddercore C destination (network off)\",\"events\":%ld,\"seconds\":%.3f,\"eventsPerSec\":%.0f,\"stats\":%s}\n",
           n, t, (double)n / t, stats);
    rudder_free(stats);
    /* don't try to deliver to the unused port at close */
    size_t lost;
    rudder_close(rudder_dest_client(d), 0, &lost);
    rudder_dest_destroy(d);
    if (url) {
        d = make_dest(url, n, 0);
        if (!d) return 1;
        t = run(d, n, 1);
        stats = rudder_dest_stats(d);
        printf("{\"contender\":\"ruddercore C destination (to the data plane)\",\"events\":%ld,\"seconds\":%.3f,\"eventsPerSec\":%.0f,\"stats\":%s}\n",
               n, t, (double)n / t, stats);
        rudder_free(stats);
        rudder_dest_destroy(d);
    }
    return 0;
}
