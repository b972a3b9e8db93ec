/* The durable spool (`persistence`) against the local data plane: delivered events leave
 * the directory, undelivered ones survive a close and a restart and are sent first with
 * their original messageId, one process per directory, dead letters that inspect lists
 * and replay re-sends, size and age bounds, fork, and no write key on disk. */
#include "check.h"
#include "dataplane.h"
#include "ruddercore.h"
#include <dirent.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WRITE_KEY "wk-spool-secret-7781"


typedef struct tally {
    size_t delivered, failed, dropped;
    int leaked_key;
    char log[8192];
} tally_t;

static void on_report(const rudder_report_t *r, void *opaque) {
    tally_t *t = opaque;
    if (strstr(r->message, WRITE_KEY) || (r->events && strstr(r->events, WRITE_KEY))) t->leaked_key = 1;
    if (r->kind == RUDDER_REPORT_DELIVERED) t->delivered += r->count;
    if (r->kind == RUDDER_REPORT_FAILED) t->failed += r->count;
    if (r->kind == RUDDER_REPORT_DROPPED) t->dropped += r->count;
    if (r->kind == RUDDER_REPORT_LOG) {
        size_t l = strlen(t->log);
        snprintf(t->log + l, sizeof t->log - l, "%s\n", r->message);
    }
}

static char *make_dir(void) {
    char *d = strdup("/tmp/ruddercore-spool-test-XXXXXX");
    return mkdtemp(d);
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f) { return remove(p); }
static void remove_dir(char *d) {
    if (d) nftw(d, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(d);
}

static rudder_client_t *spool_client(dp_t *dp, const char *dir, const char *extra, tally_t *t, char *err, size_t errsz) {
    char json[2048];
    snprintf(json, sizeof json,
             "{\"writeKey\":\"%s\",\"dataPlaneUrl\":\"%s\",\"retryBaseDelay\":20,\"retryMaxDelay\":200,"
             "\"logLevel\":\"debug\",\"persistence\":\"%s\"%s%s}",
             WRITE_KEY, dp_url(dp), dir, *extra ? "," : "", extra);
    rudder_conf_t *conf = rudder_conf_new();
    rudder_err_t e = rudder_conf_set_json(conf, json, strlen(json), err, errsz);
    CHECK(e == RUDDER_OK, "settings: %s", err);
    if (t) rudder_conf_set_report_cb(conf, on_report, t);
    rudder_client_t *c = rudder_client_new(conf, err, errsz);
    rudder_conf_destroy(conf);
    return c;
}

/* Tracks n events; ids (n * 37 bytes, may be NULL) receives their messageIds. */
static int track_n(rudder_client_t *c, int n, const char *origin, char *ids) {
    char json[512], err[256], id[37];
    for (int i = 0; i < n; i++) {
        snprintf(json, sizeof json, "{\"userId\":\"u%d\",\"event\":\"Spooled\",\"properties\":{\"i\":%d,\"origin\":\"%s\"}}",
                 i % 5, i, origin);
        rudder_err_t e = rudder_call(c, RUDDER_TRACK, json, strlen(json), err, sizeof err, id, sizeof id);
        if (e != RUDDER_OK) return i;
        if (ids) memcpy(ids + (size_t)i * 37, id, 37);
    }
    return n;
}

static cJSON *inspect(const char *dir) {
    rudder_err_t e;
    char err[512];
    char *text = rudder_spool_inspect(dir, &e, err, sizeof err);
    CHECK(text != NULL, "inspect: %s", err);
    cJSON *v = text ? cJSON_Parse(text) : NULL;
    CHECK(v != NULL, "inspect gives JSON: %s", text ? text : "(null)");
    rudder_free(text);
    return v;
}

static long inspect_num(const char *dir, const char *a, const char *b) {
    cJSON *v = inspect(dir);
    cJSON *x = cJSON_GetObjectItem(cJSON_GetObjectItem(v, a), b);
    long n = cJSON_IsNumber(x) ? (long)x->valuedouble : -1;
    cJSON_Delete(v);
    return n;
}

static size_t count_segments(const char *dir) {
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (!strncmp(de->d_name, "seg-", 4)) n++;
    if (d) closedir(d);
    return n;
}

/* 1 when the text of any file in dir contains needle. */
static int dir_contains(const char *dir, const char *needle) {
    DIR *d = opendir(dir);
    struct dirent *de;
    int found = 0;
    while (d && (de = readdir(d)) && !found) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        char *buf = malloc(1 << 20);
        size_t n;
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            while ((n = fread(buf, 1, (1 << 20) - 1, f)) > 0) {
                buf[n] = '\0';
                if (memmem(buf, n, needle, strlen(needle))) found = 1;
            }
        free(buf);
        fclose(f);
    }
    if (d) closedir(d);
    return found;
}

static int has_id(cJSON *events, const char *id) {
    cJSON *e;
    cJSON_ArrayForEach(e, events) {
        cJSON *m = cJSON_GetObjectItem(e, "messageId");
        if (cJSON_IsString(m) && !strcmp(m->valuestring, id)) return 1;
    }
    return 0;
}

static void test_delivered_events_leave_the_spool(void) {
    dp_t *dp = dp_start(NULL);
    char *dir = make_dir(), err[512];
    tally_t t = {0};
    rudder_client_t *c = spool_client(dp, dir, "\"flushAt\":100,\"persistenceSegmentBytes\":65536", &t, err, sizeof err);
    CHECK(c != NULL, "client: %s", err);
    if (!c) return;
    CHECK_EQ_INT(track_n(c, 3000, "a", NULL), 3000);
    size_t left = 1;
    CHECK_EQ_INT(rudder_flush(c, 30000, &left), RUDDER_OK);
    CHECK_EQ_INT(left, 0);
    CHECK_EQ_INT(dp_stat(dp, "events"), 3000);
    CHECK_EQ_INT(dp_stat(dp, "unique"), 3000);
    CHECK_EQ_INT(t.delivered, 3000);
    CHECK_EQ_INT(inspect_num(dir, "pending", "events"), 0);
    CHECK(count_segments(dir) <= 2, "finished segments are deleted (%zu left)", count_segments(dir));
    rudder_client_destroy(c);
    CHECK(!dir_contains(dir, WRITE_KEY), "the write key is not stored in the spool");
    dp_stop(dp);
    remove_dir(dir);
}

static void test_undelivered_events_survive_a_restart_and_go_first(void) {
    dp_t *dp = dp_start(NULL);
    char *dir = make_dir(), err[512];
    char *ids = malloc(300 * 37);
    tally_t t = {0};
    dp_control(dp, "{\"status\":503}");
    rudder_client_t *c = spool_client(dp, dir, "\"flushAt\":50", &t, err, sizeof err);
    CHECK(c != NULL, "client: %s", err);
    if (!c) return;
    CHECK_EQ_INT(track_n(c, 300, "first-run", ids), 300);
    CHECK_EQ_INT(dp_wait_stat(dp, "status.503", 2, 10000), 0); /* the sender is retrying */
    size_t lost = 99;
    rudder_close(c, 100, &lost);
    CHECK_EQ_INT(lost, 0); /* kept on disk, not lost */
    CHECK_EQ_INT(t.dropped, 0);
    CHECK(strstr(t.log, "kept in the spool") != NULL, "close says where the events are: %s", t.log);
    rudder_client_destroy(c);
    CHECK_EQ_INT(inspect_num(dir, "pending", "events"), 300);
    CHECK_EQ_INT(dp_stat(dp, "events"), 0);

    dp_control(dp, "{}");
    tally_t t2 = {0};
    c = spool_client(dp, dir, "\"flushAt\":50", &t2, err, sizeof err);
    CHECK(c != NULL, "second start: %s", err);
    if (!c) return;
    CHECK_EQ_INT(track_n(c, 20, "second-run", NULL), 20);
    CHECK_EQ_INT(rudder_flush(c, 30000, NULL), RUDDER_OK);
    CHECK_EQ_INT(dp_stat(dp, "events"), 320);
    CHECK_EQ_INT(dp_stat(dp, "unique"), 320);
    cJSON *evs = dp_get(dp, "/_events");
    /* oldest first: the first 300 to arrive are the first run's, in acceptance order */
    int in_order = 1;
    for (int i = 0; i < 300; i++) {
        cJSON *e = cJSON_GetArrayItem(evs, i);
        cJSON *m = cJSON_GetObjectItem(e, "messageId");
        if (!cJSON_IsString(m) || strcmp(m->valuestring, ids + (size_t)i * 37)) in_order = 0;
    }
    CHECK(in_order, "the recovered events arrive first, oldest first, with their original messageIds");
    cJSON *first = cJSON_GetArrayItem(evs, 0);
    CHECK(cJSON_IsString(cJSON_GetObjectItem(first, "originalTimestamp")), "originalTimestamp kept");
    cJSON_Delete(evs);
    CHECK_EQ_INT(inspect_num(dir, "pending", "events"), 0);
    rudder_client_destroy(c);
    free(ids);
    dp_stop(dp);
    remove_dir(dir);
}

static void test_one_process_per_directory(void) {
    dp_t *dp = dp_start(NULL);
    char *dir = make_dir(), err[512];
    rudder_client_t *a = spool_client(dp, dir, "", NULL, err, sizeof err);
    CHECK(a != NULL, "first client: %s", err);
    rudder_client_t *b = spool_client(dp, dir, "", NULL, err, sizeof err);
    CHECK(b == NULL, "a second client on the same directory is refused");
    CHECK(strstr(err, "in use") && strstr(err, dir), "the error says the directory is in use: %s", err);
    cJSON *v = inspect(dir);
    CHECK_EQ_INT((long)cJSON_GetObjectItem(v, "owner")->valuedouble, getpid());
    cJSON_Delete(v);
    rudder_client_destroy(b);
    rudder_client_destroy(a);
    b = spool_client(dp, dir, "", NULL, err, sizeof err);
    CHECK(b != NULL, "the directory is free once the owner is gone: %s", err);
    rudder_client_destroy(b);
    dp_stop(dp);
    remove_dir(dir);
}

static void test_rejected_events_go_to_dead_letters_and_replay_resends_them(void) {
    dp_t *dp = dp_start(NULL);
    char *dir = make_dir(), err[512];
    char *ids = malloc(5 * 37);
    tally_t t = {0};
    rudder_client_t *c = spool_client(dp, dir, "", &t, err, sizeof err);
    if (!c) { CHECK(0, "client: %s", err); return; }
    dp_control(dp, "{\"status\":400,\"count\":1,\"body\":\"bad event\"}");
    CHECK_EQ_INT(track_n(c, 5, "dead", ids), 5);
    CHECK_EQ_INT(rudder_flush(c, 30000, NULL), RUDDER_OK);
    CHECK_EQ_INT(t.failed, 5);
    CHECK_EQ_INT(inspect_num(dir, "deadLetters", "count"), 5);
    cJSON *v = inspect(dir);
    cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(v, "deadLetters"), "events"), 0);
    CHECK_EQ_INT((long)cJSON_GetObjectItem(first, "status")->valuedouble, 400);
    CHECK(strstr(cJSON_GetObjectItem(first, "error")->valuestring, "bad event") != NULL, "the answer is kept");
    CHECK_EQ_STR(cJSON_GetObjectItem(first, "messageId")->valuestring, ids);
    cJSON_Delete(v);

    /* replay needs the directory: refused while the client owns it */
    rudder_conf_t *conf = rudder_conf_new();
    char json[512];
    snprintf(json, sizeof json, "{\"writeKey\":\"%s\",\"dataPlaneUrl\":\"%s\"}", WRITE_KEY, dp_url(dp));
    rudder_conf_set_json(conf, json, strlen(json), err, sizeof err);
    rudder_err_t e;
    char *res = rudder_spool_replay(dir, conf, &e, err, sizeof err);
    CHECK(res == NULL && strstr(err, "in use"), "replay refused while a client owns the directory: %s", err);
    rudder_client_destroy(c);
    CHECK(!dir_contains(dir, WRITE_KEY), "no write key in the spool or the dead-letter file");

    res = rudder_spool_replay(dir, conf, &e, err, sizeof err);
    CHECK(res != NULL && e == RUDDER_OK, "replay: %s", err);
    cJSON *r = cJSON_Parse(res ? res : "{}");
    CHECK_EQ_INT((long)cJSON_GetObjectItem(r, "delivered")->valuedouble, 5);
    cJSON_Delete(r);
    rudder_free(res);
    CHECK_EQ_INT(inspect_num(dir, "deadLetters", "count"), 0);
    cJSON *evs = dp_get(dp, "/_events");
    CHECK_EQ_INT(cJSON_GetArraySize(evs), 5);
    for (int i = 0; i < 5; i++) CHECK(has_id(evs, ids + i * 37), "replayed event %d keeps its messageId", i);
    cJSON_Delete(evs);

    /* a replay the data plane rejects again keeps the dead letters, with the new answer */
    c = spool_client(dp, dir, "", &t, err, sizeof err);
    dp_control(dp, "{\"status\":400,\"count\":1}");
    track_n(c, 2, "dead-again", NULL);
    rudder_flush(c, 30000, NULL);
    rudder_client_destroy(c);
    dp_control(dp, "{\"status\":403}");
    res = rudder_spool_replay(dir, conf, &e, err, sizeof err);
    r = cJSON_Parse(res ? res : "{}");
    CHECK_EQ_INT((long)cJSON_GetObjectItem(r, "failed")->valuedouble, 2);
    cJSON_Delete(r);
    rudder_free(res);
    CHECK_EQ_INT(inspect_num(dir, "deadLetters", "count"), 2);
    dp_control(dp, "{}");
    rudder_conf_destroy(conf);
    free(ids);
    dp_stop(dp);
    remove_dir(dir);
}

static void test_size_bound_rejects_new_events_and_counts_them(void) {
    dp_t *dp = dp_start(NULL);
    char *dir = make_dir(), err[512];
    dp_control(dp, "{\"status\":503}");
    rudder_client_t *c = spool_client(dp, dir, "\"persistenceMaxBytes\":65536", NULL, err, sizeof err);
    if (!c) { CHECK(0, "client: %s", err); return; }
    int accepted = track_n(c, 100000, "full", NULL);
    CHECK(accepted > 100 && accepted < 1000, "the spool holds about 64 KiB of events (%d accepted)", accepted);
    char json[] = "{\"userId\":\"u\",\"event\":\"x\"}";
    rudder_err_t e = rudder_track(c, json, strlen(json), err, sizeof err);
    CHECK_EQ_INT(e, RUDDER_ERR_QUEUE_FULL);
    CHECK(strstr(err, "persistenceMaxBytes") != NULL, "the error names the setting: %s", err);
    char *stats = rudder_stats(c);
    cJSON *s = cJSON_Parse(stats);
    CHECK_EQ_INT((long)cJSON_GetObjectItem(cJSON_GetObjectItem(s, "rejectedByReason"), "queueFull")->valuedouble, 2);
    cJSON_Delete(s);
    rudder_free(stats);
    CHECK(inspect_num(dir, "pending", "bytes") <= 65536, "spool within its bound");
    dp_control(dp, "{}");
    CHECK_EQ_INT(rudder_flush(c, 30000, NULL), RUDDER_OK);
    CHECK_EQ_INT(dp_stat(dp, "unique"), accepted);
    rudder_client_destroy(c);
    dp_stop(dp);
    remove_dir(dir);
}

static void test_old_events_are_evicted_counted_and_reported(void) {
    dp_t *dp = dp_start(NULL);
    char *dir = make_dir(), err[512];
    dp_control(dp, "{\"status\":503}");
    rudder_client_t *c = spool_client(dp, dir, "\"persistenceMaxAge\":1000", NULL, err, sizeof err);
    if (!c) { CHECK(0, "client: %s", err); return; }
    CHECK_EQ_INT(track_n(c, 40, "old", NULL), 40);
    rudder_close(c, 0, NULL);
    rudder_client_destroy(c);
    /* wait until those events are older than persistenceMaxAge (a condition on the clock) */
    struct timespec t0, now;
    clock_gettime(CLOCK_REALTIME, &t0);
    do {
        usleep(20000);
        clock_gettime(CLOCK_REALTIME, &now);
    } while ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 < 1100);
    dp_control(dp, "{}");
    tally_t t = {0};
    c = spool_client(dp, dir, "\"persistenceMaxAge\":1000", &t, err, sizeof err);
    CHECK_EQ_INT(track_n(c, 3, "new", NULL), 3);
    CHECK_EQ_INT(rudder_flush(c, 30000, NULL), RUDDER_OK);
    CHECK_EQ_INT(t.dropped, 40);
    CHECK_EQ_INT(t.delivered, 3);
    CHECK_EQ_INT(dp_stat(dp, "events"), 3);
    char *stats = rudder_stats(c);
    cJSON *s = cJSON_Parse(stats);
    CHECK_EQ_INT((long)cJSON_GetObjectItem(s, "droppedEvents")->valuedouble, 40);
    cJSON_Delete(s);
    rudder_free(stats);
    CHECK(strstr(t.log, "persistenceMaxAge") != NULL, "a log line says why: %s", t.log);
    rudder_client_destroy(c);
    dp_stop(dp);
    remove_dir(dir);
}

/* Sizes of the segment files, as one string, to compare before and after. */
static void segment_sizes(const char *dir, char *out, size_t cap) {
    out[0] = '\0';
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (strncmp(de->d_name, "seg-", 4) && strcmp(de->d_name, "ACK")) continue;
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (stat(path, &st) == 0) {
            size_t l = strlen(out);
            snprintf(out + l, cap - l, "%s=%lld;", de->d_name, (long long)st.st_size);
        }
    }
    if (d) closedir(d);
}

static void test_forked_child_never_writes_the_parent_spool(void) {
#ifdef UNDER_TSAN
    fprintf(stderr, "  skipped: ThreadSanitizer cannot follow a multi-threaded fork\n");
    return;
#endif
    dp_t *dp = dp_start(NULL);
    char *dir = make_dir(), err[512];
    rudder_client_t *c = spool_client(dp, dir, "", NULL, err, sizeof err);
    if (!c) { CHECK(0, "client: %s", err); return; }
    CHECK_EQ_INT(track_n(c, 10, "parent", NULL), 10);
    CHECK_EQ_INT(rudder_flush(c, 30000, NULL), RUDDER_OK);
    char before[2048], after[2048];
    segment_sizes(dir, before, sizeof before);
    pid_t pid = fork();
    if (pid == 0) {
        int tracked = track_n(c, 7, "child", NULL);
        size_t left = 0;
        rudder_err_t e = rudder_flush(c, 30000, &left);
        if (tracked != 7 || e != RUDDER_OK) {
            char *st = rudder_stats(c);
            fprintf(stderr, "  child: tracked %d, flush %s with %zu left; stats %s\n", tracked, rudder_err_name(e), left, st);
            rudder_free(st);
        }
        rudder_client_destroy(c);
        _exit(tracked == 7 && e == RUDDER_OK ? 0 : 1);
    }
    int status = -1;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child delivered its own events (wait status %d)", status);
    segment_sizes(dir, after, sizeof after);
    CHECK_EQ_STR(after, before);
    CHECK_EQ_INT(dp_stat(dp, "events"), 17);
    /* the parent still owns the directory and keeps spooling */
    CHECK_EQ_INT(track_n(c, 5, "parent-after", NULL), 5);
    CHECK_EQ_INT(rudder_flush(c, 30000, NULL), RUDDER_OK);
    CHECK_EQ_INT(dp_stat(dp, "unique"), 22);
    rudder_client_destroy(c);
    dp_stop(dp);
    remove_dir(dir);
}

static void test_a_torn_tail_is_cut_and_the_rest_recovered(void) {
    dp_t *dp = dp_start(NULL);
    char *dir = make_dir(), err[512];
    dp_control(dp, "{\"status\":503}");
    rudder_client_t *c = spool_client(dp, dir, "", NULL, err, sizeof err);
    if (!c) { CHECK(0, "client: %s", err); return; }
    CHECK_EQ_INT(track_n(c, 10, "torn", NULL), 10);
    rudder_close(c, 0, NULL);
    rudder_client_destroy(c);
    /* a crash in the middle of a write leaves half a record at the end of the last segment */
    DIR *d = opendir(dir);
    struct dirent *de;
    char last[4096] = "";
    while ((de = readdir(d)))
        if (!strncmp(de->d_name, "seg-", 4)) {
            char p[4096];
            struct stat st;
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
            if (stat(p, &st) == 0 && st.st_size > 0 && strcmp(p, last) > 0) snprintf(last, sizeof last, "%s", p);
        }
    closedir(d);
    FILE *f = fopen(last, "ab");
    fputs("RS1 0000000-half-a-record", f);
    fclose(f);
    dp_control(dp, "{}");
    c = spool_client(dp, dir, "", NULL, err, sizeof err);
    CHECK(c != NULL, "reopened: %s", err);
    CHECK_EQ_INT(rudder_flush(c, 30000, NULL), RUDDER_OK);
    CHECK_EQ_INT(dp_stat(dp, "unique"), 10);
    rudder_client_destroy(c);
    dp_stop(dp);
    remove_dir(dir);
}

static void test_bad_persistence_settings_are_named(void) {
    rudder_conf_t *conf = rudder_conf_new();
    char err[512];
    CHECK(rudder_conf_set(conf, "persistenceFsync", "sometimes", err, sizeof err) != RUDDER_OK, "bad fsync refused");
    CHECK(strstr(err, "persistenceFsync") != NULL, "error names the setting: %s", err);
    CHECK(rudder_conf_set(conf, "persistence_max_bytes", "10", err, sizeof err) != RUDDER_OK, "tiny bound refused");
    CHECK(strstr(err, "persistenceMaxBytes") != NULL || strstr(err, "persistence_max_bytes") != NULL, "named: %s", err);
    rudder_conf_destroy(conf);
    const char *js = "{\"writeKey\":\"k\",\"dataPlaneUrl\":\"http://127.0.0.1:9\",\"persistence\":\"/proc/no-such/dir\"}";
    rudder_client_t *c = rudder_client_new_json(js, strlen(js), err, sizeof err);
    CHECK(c == NULL && strstr(err, "/proc/no-such/dir"), "an unusable directory is named: %s", err);
    rudder_client_destroy(c);
    rudder_err_t e;
    CHECK(rudder_spool_inspect("/no/such/spool", &e, err, sizeof err) == NULL && e == RUDDER_ERR_INVALID_ARG,
          "inspect of a missing directory: %s", err);
}

int main(void) {
    RUN(test_delivered_events_leave_the_spool);
    RUN(test_undelivered_events_survive_a_restart_and_go_first);
    RUN(test_one_process_per_directory);
    RUN(test_rejected_events_go_to_dead_letters_and_replay_resends_them);
    RUN(test_size_bound_rejects_new_events_and_counts_them);
    RUN(test_old_events_are_evicted_counted_and_reported);
    RUN(test_forked_child_never_writes_the_parent_spool);
    RUN(test_a_torn_tail_is_cut_and_the_rest_recovered);
    RUN(test_bad_persistence_settings_are_named);
    return check_summary();
}
