/* `spool inspect DIR` and `spool replay DIR --config FILE` as an operator runs them
 * (ruddercore-spool and `ruddercore spool`): the command's code is compiled in here, run
 * with real argv, its stdout captured, against a spool a client left behind. */
#include "check.h"
#include "dataplane.h"
#include "ruddercore.h"
#include "../../tools/spool/spool_cmd.c"
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#define WRITE_KEY "wk-tool-secret-2468"

/* Runs cmd_spool with argv, stdout into out (NUL-terminated); returns the exit status. */
static int run(char **argv, int argc, char *out, size_t cap) {
    fflush(stdout);
    char path[] = "/tmp/ruddercore-spool-out-XXXXXX";
    int fd = mkstemp(path), saved = dup(1);
    dup2(fd, 1);
    int rc = cmd_spool(argc, argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, out, cap - 1);
    out[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(path);
    return rc;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f) { return remove(p); }

static void test_inspect_lists_and_replay_resends_dead_letters(void) {
    dp_t *dp = dp_start(NULL);
    char dir[] = "/tmp/ruddercore-spool-tool-XXXXXX", spool[128], cfg[128], json[1024], err[512], out[65536];
    CHECK(mkdtemp(dir) != NULL, "temp dir");
    snprintf(spool, sizeof spool, "%s/spool", dir);
    snprintf(json, sizeof json, "{\"writeKey\":\"%s\",\"dataPlaneUrl\":\"%s\",\"persistence\":\"%s\"}", WRITE_KEY, dp_url(dp), spool);
    rudder_client_t *c = rudder_client_new_json(json, strlen(json), err, sizeof err);
    CHECK(c != NULL, "client: %s", err);
    if (!c) return;
    dp_control(dp, "{\"status\":422,\"count\":1,\"body\":\"unprocessable\"}");
    const char *ev = "{\"userId\":\"u1\",\"event\":\"Rejected\",\"properties\":{\"note\":\"line\\nbreak\"}}";
    char id[37];
    CHECK_EQ_INT(rudder_call(c, RUDDER_TRACK, ev, strlen(ev), err, sizeof err, id, sizeof id), RUDDER_OK);
    CHECK_EQ_INT(rudder_flush(c, 20000, NULL), RUDDER_OK);
    rudder_client_destroy(c);

    char *inspect[] = {"ruddercore-spool", "inspect", spool};
    CHECK_EQ_INT(run(inspect, 3, out, sizeof out), 0);
    cJSON *v = cJSON_Parse(out);
    CHECK(v != NULL, "inspect prints JSON: %s", out);
    cJSON *dl = cJSON_GetObjectItem(v, "deadLetters");
    CHECK_EQ_INT((long)cJSON_GetObjectItem(dl, "count")->valuedouble, 1);
    cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(dl, "events"), 0);
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(first, "messageId")), id);
    CHECK_EQ_INT((long)cJSON_GetObjectItem(first, "status")->valuedouble, 422);
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(v, "owner")), "nobody owns the directory now");
    cJSON_Delete(v);
    CHECK(strstr(out, WRITE_KEY) == NULL, "no write key in inspect output");

    /* the settings file may be a walkerOS destination config */
    snprintf(cfg, sizeof cfg, "%s/flow.json", dir);
    FILE *f = fopen(cfg, "w");
    fprintf(f, "{\"settings\":{\"writeKey\":\"%s\",\"dataPlaneUrl\":\"%s\"},\"mapping\":{}}", WRITE_KEY, dp_url(dp));
    fclose(f);
    char *replay[] = {"ruddercore-spool", "replay", spool, "--config", cfg};
    CHECK_EQ_INT(run(replay, 5, out, sizeof out), 0);
    CHECK(strstr(out, "\"delivered\":1") != NULL, "replay says what it did: %s", out);
    cJSON *evs = dp_get(dp, "/_events");
    CHECK_EQ_INT(cJSON_GetArraySize(evs), 1);
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(evs, 0), "messageId")), id);
    cJSON_Delete(evs);
    CHECK_EQ_INT(run(inspect, 3, out, sizeof out), 0);
    CHECK(strstr(out, "\"count\":\t0") || strstr(out, "\"count\": 0") || strstr(out, "\"count\":0"), "no dead letters left: %s", out);

    char *bad[] = {"ruddercore-spool", "replay", spool};
    CHECK_EQ_INT(run(bad, 3, out, sizeof out), 2);
    char *missing[] = {"ruddercore-spool", "inspect", "/no/such/dir"};
    CHECK_EQ_INT(run(missing, 3, out, sizeof out), 2);
    dp_stop(dp);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void) {
    RUN(test_inspect_lists_and_replay_resends_dead_letters);
    return check_summary();
}
