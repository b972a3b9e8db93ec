/* The spool's promise under a real crash: a producer process (this binary run as
 * "produce") tracks events as fast as it can with persistence on (fsync policy batch) and
 * writes each messageId whose call returned success to a file; the test kills it with
 * SIGKILL in the middle of the stream (while the data plane fails some requests, then
 * while requests are in flight), starts it again on the same directory, and checks with
 * the data plane that every one of those events arrived, and nothing else did.
 * RUDDER_CRASH_EVENTS sets how many events a round waits for (default 3000). */
#include "check.h"
#include "dataplane.h"
#include "ruddercore.h"
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WRITE_KEY "wk-crash-secret-5150"

/* ---- the producer (child process) ------------------------------------------------------ */

static int produce(const char *dir, const char *url, const char *ids_path, long count) {
    char json[1024], err[512], id[40];
    snprintf(json, sizeof json,
             "{\"writeKey\":\"%s\",\"dataPlaneUrl\":\"%s\",\"persistence\":\"%s\",\"persistenceFsync\":\"batch\","
             "\"flushAt\":50,\"retryBaseDelay\":10,\"retryMaxDelay\":100,\"requestTimeout\":2000}",
             WRITE_KEY, url, dir);
    rudder_client_t *c = rudder_client_new_json(json, strlen(json), err, sizeof err);
    if (!c) {
        fprintf(stderr, "producer: %s\n", err);
        return 2;
    }
    int fd = open(ids_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    for (long i = 0; i < count; i++) {
        snprintf(json, sizeof json, "{\"anonymousId\":\"a%ld\",\"event\":\"Crash Test\",\"properties\":{\"i\":%ld,\"pid\":%d}}",
                 i % 13, i, (int)getpid());
        rudder_err_t e = rudder_call(c, RUDDER_TRACK, json, strlen(json), err, sizeof err, id, 37);
        if (e == RUDDER_ERR_QUEUE_FULL) { i--; usleep(1000); continue; }
        if (e != RUDDER_OK) { fprintf(stderr, "producer: %s\n", err); return 3; }
        size_t l = strlen(id);
        id[l] = '\n';
        if (write(fd, id, l + 1) != (ssize_t)(l + 1)) return 4; /* one write: a line is whole or absent */
    }
    size_t left = 1;
    rudder_flush(c, 60000, &left);
    rudder_client_destroy(c);
    close(fd);
    return left ? 5 : 0;
}

/* ---- the test ------------------------------------------------------------------------------ */

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f) { return remove(p); }

static pid_t spawn_producer(const char *dir, const char *url, const char *ids, long count) {
    char n[32];
    snprintf(n, sizeof n, "%ld", count);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/proc/self/exe", "test_spool_crash", "produce", dir, url, ids, n, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static long count_lines(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    long n = 0;
    int ch;
    while ((ch = getc(f)) != EOF) n += ch == '\n';
    fclose(f);
    return n;
}

/* Waits until the producer has recorded at least n accepted events (or exited). */
static int wait_accepted(const char *ids, long n, pid_t pid) {
    for (int i = 0; i < 6000; i++) {
        if (count_lines(ids) >= n) return 0;
        if (waitpid(pid, NULL, WNOHANG) == pid) return -1;
        usleep(10000);
    }
    return -1;
}

static void kill_hard(pid_t pid) {
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the producer died of SIGKILL");
}

/* Every id in the file, as one malloc'd block of 37-byte slots. */
static char *read_ids(const char *path, long *n) {
    *n = count_lines(path);
    char *ids = calloc((size_t)*n + 1, 37);
    FILE *f = fopen(path, "r");
    char line[64];
    long i = 0;
    while (f && i < *n && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        snprintf(ids + i++ * 37, 37, "%.36s", line);
    }
    if (f) fclose(f);
    return ids;
}

static int cmp_id(const void *a, const void *b) { return strcmp(a, b); }

static void test_sigkill_mid_stream_loses_no_accepted_event(void) {
    const char *env = getenv("RUDDER_CRASH_EVENTS");
    long per_round = env ? atol(env) : 3000;
    if (per_round < 100) per_round = 100;
    char dir[] = "/tmp/ruddercore-crash-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "temp dir");
    char spool[256], ids[256];
    snprintf(spool, sizeof spool, "%s/spool", dir);
    snprintf(ids, sizeof ids, "%s/accepted.txt", dir);
    dp_t *dp = dp_start((const char *[]){"--write-key", WRITE_KEY, "--quiet", NULL});
    if (!dp) return;

    /* round 1: half the requests fail, so a backlog builds on disk; kill mid-stream */
    dp_control(dp, "{\"status\":503,\"rate\":0.5}");
    pid_t p = spawn_producer(spool, dp_url(dp), ids, 1000000000L);
    CHECK_EQ_INT(wait_accepted(ids, per_round, p), 0);
    CHECK_EQ_INT(dp_wait_stat(dp, "batches", 1, 20000), 0); /* some already went out */
    kill_hard(p);
    long after_first = count_lines(ids);

    /* round 2: slow answers, so the kill lands with a request in flight */
    dp_control(dp, "{\"delayMs\":40}");
    p = spawn_producer(spool, dp_url(dp), ids, 1000000000L);
    CHECK_EQ_INT(wait_accepted(ids, after_first + per_round, p), 0);
    CHECK_EQ_INT(dp_wait_stat(dp, "pending", 1, 20000), 0); /* an answer is being waited for */
    kill_hard(p);

    /* round 3: a healthy data plane; the restarted producer sends what is left and more */
    dp_control(dp, "{}");
    p = spawn_producer(spool, dp_url(dp), ids, 200);
    int status = -1;
    waitpid(p, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the last producer flushed everything (status %d)", status);

    long n;
    char *accepted = read_ids(ids, &n);
    qsort(accepted, (size_t)n, 37, cmp_id);
    long events_before = dp_stat(dp, "events");
    cJSON *evs = dp_get(dp, "/_events"), *e;
    if (cJSON_GetArraySize(evs) != events_before) /* the stand-in's store and counters disagree: say so */
        fprintf(stderr, "  note: /_events has %d events, /_stats counted %ld\n", cJSON_GetArraySize(evs), events_before);
    long arrived = 0, unknown = 0, missing = 0;
    char *seen = calloc((size_t)n + 1, 1);
    char unknown_ids[8][37];
    cJSON_ArrayForEach(e, evs) {
        cJSON *m = cJSON_GetObjectItem(e, "messageId");
        arrived++;
        char key[37] = "";
        if (cJSON_IsString(m)) snprintf(key, sizeof key, "%s", m->valuestring);
        char *hit = bsearch(key, accepted, (size_t)n, 37, cmp_id);
        if (hit) {
            seen[(hit - accepted) / 37] = 1;
            continue;
        }
        int known = 0; /* an unrecorded event may itself arrive twice: count ids, not arrivals */
        for (long k = 0; k < unknown && k < 8; k++) known |= !strcmp(unknown_ids[k], key);
        if (!known && unknown < 8) snprintf(unknown_ids[unknown], 37, "%s", key);
        if (!known) unknown++;
    }
    for (long i = 0; i < n; i++) missing += !seen[i];
    fprintf(stderr, "  accepted %ld, arrived %ld (data plane: events %ld, duplicates %ld), not recorded by the producer %ld\n",
            n, arrived, dp_stat(dp, "events"), dp_stat(dp, "duplicates"), unknown);
    CHECK(n >= 2 * per_round + 200, "the producers accepted %ld events", n);
    CHECK_EQ_INT(missing, 0);
    /* A kill between the spool's append and the producer's write of the id leaves at most one
     * accepted-but-unrecorded event per kill: the one call in progress. */
    CHECK(unknown <= 2, "nothing arrives that was not accepted (%ld unrecorded)", unknown);
    CHECK_EQ_INT(dp_stat(dp, "unique"), n + unknown);
    cJSON_Delete(evs);
    free(seen);
    free(accepted);
    dp_stop(dp);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(int argc, char **argv) {
    if (argc == 6 && !strcmp(argv[1], "produce")) return produce(argv[2], argv[3], argv[4], atol(argv[5]));
    RUN(test_sigkill_mid_stream_loses_no_accepted_event);
    return check_summary();
}
