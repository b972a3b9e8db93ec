/* A dead data plane under load: producers keep calling while nothing can be delivered.
 * Resident memory stays within a bound derived from the queue limits (not from time),
 * stays flat once the queue is full, and the calls beyond the limits are rejected and
 * counted.  With persistence on, events go to disk up to persistenceMaxBytes while memory
 * stays flat.  RSS is meaningless under AddressSanitizer (quarantine), so this test only
 * reports there. RUDDER_MEMORY_EVENTS sets events per producer (default 150000). */
#include "check.h"
#include "dataplane.h"
#include "ruddercore.h"
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>


#define THREADS 2
#define QUEUE_EVENTS 20000
#define QUEUE_BYTES (8L << 20)
#define MIB (1L << 20)

static long rss_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) kib = atol(line + 6);
    if (f) fclose(f);
    return kib;
}

typedef struct shared {
    rudder_client_t *c;
    long each;
    atomic_long rejected, accepted, max_rss_kib, rss_when_full_kib;
} shared_t;

static void on_report(const rudder_report_t *r, void *opaque) { (void)r; (void)opaque; }

static void *produce(void *arg) {
    shared_t *s = arg;
    char json[512], err[256];
    for (long i = 0; i < s->each; i++) {
        snprintf(json, sizeof json,
                 "{\"userId\":\"u%ld\",\"event\":\"Memory Test\",\"properties\":{\"i\":%ld,\"pad\":\"%0200d\"}}", i % 17, i, 7);
        rudder_err_t e = rudder_track(s->c, json, strlen(json), err, sizeof err);
        if (e == RUDDER_OK) atomic_fetch_add(&s->accepted, 1);
        else if (atomic_fetch_add(&s->rejected, 1) == 0) atomic_store(&s->rss_when_full_kib, rss_kib());
        if (i % 500 == 0) {
            rudder_poll(s->c, 0); /* a normal host serves its reports */
            long r = rss_kib();
            long m = atomic_load(&s->max_rss_kib);
            while (r > m && !atomic_compare_exchange_weak(&s->max_rss_kib, &m, r)) {}
        }
    }
    return NULL;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f) { return remove(p); }

static void run(int spool) {
    const char *env = getenv("RUDDER_MEMORY_EVENTS");
    long each = env ? atol(env) : 150000;
    dp_t *dp = dp_start(NULL);
    char url[64];
    snprintf(url, sizeof url, "%s", dp_url(dp));
    CHECK_EQ_INT(dp_stop_keep_port(dp), 0); /* nothing listens: connection refused */
    char dir[] = "/tmp/ruddercore-memory-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "temp dir");
    char json[1024], err[512], sp[160] = "";
    /* a quarter of what the producers will offer, so the bound is reached whatever the size */
    long spool_max = each * THREADS * 512 / 4;
    if (spool_max < MIB) spool_max = MIB;
    if (spool) snprintf(sp, sizeof sp, ",\"persistence\":\"%s/spool\",\"persistenceMaxBytes\":%ld", dir, spool_max);
    snprintf(json, sizeof json,
             "{\"writeKey\":\"k\",\"dataPlaneUrl\":\"%s\",\"retryCount\":100,\"retryBaseDelay\":10,\"retryMaxDelay\":500,"
             "\"connectTimeout\":200,\"logLevel\":\"off\",\"maxInternalQueueSize\":%d,\"maxInternalQueueBytes\":%ld%s}",
             url, QUEUE_EVENTS, QUEUE_BYTES, sp);
    rudder_conf_t *conf = rudder_conf_new();
    CHECK_EQ_INT(rudder_conf_set_json(conf, json, strlen(json), err, sizeof err), RUDDER_OK);
    rudder_conf_set_report_cb(conf, on_report, NULL);
    shared_t s = {0};
    s.c = rudder_client_new(conf, err, sizeof err);
    rudder_conf_destroy(conf);
    CHECK(s.c != NULL, "client: %s", err);
    if (!s.c) return;
    s.each = each;
    long base = rss_kib();
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, produce, &s);
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    long peak = atomic_load(&s.max_rss_kib), full = atomic_load(&s.rss_when_full_kib);
    long rejected = atomic_load(&s.rejected), accepted = atomic_load(&s.accepted);
    /* the bound: the queue's bytes, a generous per-event overhead, batch buffers, allocator slack */
    long bound_kib = base + (spool ? 0 : (QUEUE_BYTES + QUEUE_EVENTS * 256L) / 1024) + 24 * MIB / 1024;
    fprintf(stderr, "  %s: accepted %ld, rejected %ld; RSS start %ld KiB, when full %ld KiB, peak %ld KiB, bound %ld KiB\n",
            spool ? "spool" : "memory", accepted, rejected, base, full, peak, bound_kib);
    CHECK(rejected > 0, "calls beyond the limits were rejected");
    char *stats = rudder_stats(s.c);
    cJSON *st = cJSON_Parse(stats);
    long counted = (long)cJSON_GetObjectItem(cJSON_GetObjectItem(st, "rejectedByReason"), "queueFull")->valuedouble;
    CHECK_EQ_INT(counted, rejected);
    cJSON_Delete(st);
    rudder_free(stats);
#ifdef UNDER_SANITIZER
    fprintf(stderr, "  (RSS bounds not checked under a sanitizer)\n");
#else
    CHECK(peak <= bound_kib, "resident memory stays within the queue's bound (%ld > %ld KiB)", peak, bound_kib);
    CHECK(peak - full <= 8 * MIB / 1024, "memory is flat once the limit is reached (+%ld KiB)", peak - full);
#endif
    if (!spool) CHECK(accepted <= QUEUE_EVENTS + 1000, "the queue limit held (%ld accepted)", accepted);
    rudder_close(s.c, 0, NULL);
    rudder_client_destroy(s.c);
    if (spool) {
        char spool_dir[128];
        snprintf(spool_dir, sizeof spool_dir, "%s/spool", dir);
        rudder_err_t e;
        char *text = rudder_spool_inspect(spool_dir, &e, err, sizeof err);
        cJSON *v = cJSON_Parse(text ? text : "{}");
        long bytes = (long)cJSON_GetObjectItem(cJSON_GetObjectItem(v, "pending"), "bytes")->valuedouble;
        CHECK(bytes <= spool_max && bytes > spool_max - 4096,
              "with persistence, events went to disk up to persistenceMaxBytes (%ld of %ld bytes)", bytes, spool_max);
        cJSON_Delete(v);
        rudder_free(text);
    }
    dp_stop(dp);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_dead_data_plane_memory_stays_flat(void) { run(0); }
static void test_dead_data_plane_with_spool_memory_stays_flat(void) { run(1); }

int main(void) {
    RUN(test_dead_data_plane_memory_stays_flat);
    RUN(test_dead_data_plane_with_spool_memory_stays_flat);
    return check_summary();
}
