/* test_cli.c — the `ruddercore` tool as a user runs it: map (file, stdin, --messages,
 * bad lines), send against the local data plane (and against a dead one), conformance
 * (passing and failing vector files). */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"
#include "dataplane.h"
#include "json/json.h"

#define CLI RUDDER_BINARY_DIR "/tools/cli/ruddercore"
#define EXAMPLES RUDDER_SOURCE_DIR "/examples"
#define VECTORS RUDDER_SOURCE_DIR "/tests/conformance/walkeros-mapping.json"

static char tmpdir[64];

/* Runs a shell command; captures stdout (and stderr when err is set). Returns the exit code. */
static int run(const char *cmd, char **out, char **err) {
    char full[2048], errfile[128];
    snprintf(errfile, sizeof errfile, "%s/stderr.txt", tmpdir);
    snprintf(full, sizeof full, "%s 2>%s", cmd, errfile);
    FILE *p = popen(full, "r");
    if (!p) return -1;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n - 1, p)) > 0) {
        n += r;
        if (cap - n < 2) buf = realloc(buf, cap *= 2);
    }
    buf[n] = '\0';
    int status = pclose(p);
    if (out) *out = buf; else free(buf);
    if (err) {
        FILE *f = fopen(errfile, "r");
        char *e = calloc(1, 1 << 16);
        if (f) { size_t k = fread(e, 1, (1 << 16) - 1, f); e[k] = '\0'; fclose(f); }
        *err = e;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void write_file(const char *name, const char *text) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static int count_lines(const char *s) {
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

static void test_map_prints_one_call_per_line(void) {
    char *out = NULL;
    int rc = run(CLI " map --config " EXAMPLES "/flow.json " EXAMPLES "/events.ndjson", &out, NULL);
    CHECK_EQ_INT(rc, 0);
    CHECK(count_lines(out) >= 8, "several calls printed:\n%s", out);
    CHECK(strstr(out, "[\"track\",{") != NULL, "track lines: %s", out);
    CHECK(strstr(out, "\"event\":\"Order Completed\"") != NULL, "renamed event");
    CHECK(strstr(out, "\"timestamp\":1732320821000") != NULL, "epoch ms timestamps");
    CHECK(strstr(out, "debug") == NULL, "ignored event produced nothing");
    /* every line is a JSON [method, params] pair */
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        cJSON *v = cJSON_Parse(line);
        CHECK(cJSON_IsArray(v) && cJSON_GetArraySize(v) == 2 && cJSON_IsString(v->child) &&
              cJSON_IsObject(v->child->next), "line is [method, params]: %s", line);
        cJSON_Delete(v);
    }
    free(out);
}

static void test_map_reads_stdin_and_prints_messages(void) {
    char *out = NULL;
    int rc = run("echo '{\"name\":\"product view\",\"data\":{\"id\":\"p1\"},\"user\":{\"id\":\"u1\"},"
                 "\"consent\":{\"analytics\":true},\"id\":\"e1\",\"timestamp\":1700000000000}' | "
                 CLI " map --messages --config " EXAMPLES "/flow.json", &out, NULL);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(count_lines(out), 2); /* identify from the example settings, then track */
    const char *last = strstr(out, "\"type\":\"track\"");
    while (last && last > out && last[-1] != '\n') last--;
    cJSON *msg = last ? cJSON_Parse(last) : NULL;
    CHECK(msg != NULL, "a track envelope: %s", out);
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(msg, "type")), "track");
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(msg, "messageId")), "e1-track");
    CHECK(strstr(out, "\"2023-11-14T22:13:20.000Z\"") != NULL, "event.timestamp kept: %s", out);
    CHECK(cJSON_GetObjectItem(msg, "context") != NULL, "envelope has context");
    cJSON_Delete(msg);
    free(out);
}

static void test_map_reports_bad_lines_and_goes_on(void) {
    write_file("bad.ndjson", "{\"name\":\"product view\",\"user\":{\"id\":\"u1\"},\"consent\":{\"analytics\":true}}\n"
                             "[\"not\",\"an\",\"event\"]\n"
                             "{\"name\":\"oneword\"}\n"
                             "{\"name\":\"product view\",\"user\":{\"id\":\"u2\"},\"consent\":{\"analytics\":true}}\n");
    char cmd[512], *out = NULL, *err = NULL;
    snprintf(cmd, sizeof cmd, CLI " map --config " EXAMPLES "/flow.json %s/bad.ndjson", tmpdir);
    int rc = run(cmd, &out, &err);
    CHECK_EQ_INT(rc, 1);
    CHECK(strstr(out, "\"userId\":\"u1\"") && strstr(out, "\"userId\":\"u2\""), "good lines mapped:\n%s", out);
    CHECK(strstr(err, "line 2: event: expected a JSON object") != NULL, "line 2 named: %s", err);
    CHECK(strstr(err, "line 3: event.name") != NULL, "line 3 named: %s", err);
    free(out);
    free(err);
}

static void test_map_rejects_bad_config(void) {
    write_file("badflow.json", "{\"settings\":{},\"mapping\":{\"product\":{\"view\":{\"name\":5}}}}");
    char cmd[512], *err = NULL;
    snprintf(cmd, sizeof cmd, CLI " map --config %s/badflow.json < /dev/null", tmpdir);
    CHECK_EQ_INT(run(cmd, NULL, &err), 2);
    CHECK(strstr(err, "mapping.product.view.name") != NULL, "path named: %s", err);
    free(err);
}

static void test_send_delivers_and_summarises(void) {
    dp_t *dp = dp_start(NULL);
    CHECK(dp != NULL, "data plane started");
    if (!dp) return;
    char flow[1024];
    snprintf(flow, sizeof flow,
             "{\"flows\":{\"default\":{\"destinations\":{\"rudderstack\":{\"package\":\"@walkeros/server-destination-rudderstack\","
             "\"config\":{\"settings\":{\"writeKey\":\"wk\",\"dataPlaneUrl\":\"%s\"},"
             "\"mapping\":{\"debug\":{\"*\":{\"ignore\":true}}}}}}}}}", dp_url(dp));
    write_file("flow.json", flow);
    write_file("events.ndjson", "{\"name\":\"page view\",\"user\":{\"id\":\"u1\"},\"id\":\"s1\"}\n"
                                "{\"name\":\"product view\",\"user\":{\"id\":\"u1\"},\"id\":\"s2\"}\n"
                                "{\"name\":\"debug noise\",\"user\":{\"id\":\"u1\"}}\n"
                                "{\"name\":\"page view\",\"user\":{}}\n");
    char cmd[512], *out = NULL;
    snprintf(cmd, sizeof cmd, CLI " send --config %s/flow.json %s/events.ndjson", tmpdir, tmpdir);
    int rc = run(cmd, &out, NULL);
    CHECK_EQ_INT(rc, 0);
    CHECK(strstr(out, "accepted 2, sent 2, failed 0, skipped 2") != NULL, "summary: %s", out);
    CHECK(dp_wait_stat(dp, "events", 2, 10000) == 0, "the data plane got both events");
    free(out);
    dp_stop(dp);
}

static void test_send_fails_loudly(void) {
    write_file("dead.json", "{\"settings\":{\"writeKey\":\"wk\",\"dataPlaneUrl\":\"http://127.0.0.1:9\",\"retryCount\":0}}");
    write_file("one.ndjson", "{\"name\":\"page view\",\"user\":{\"id\":\"u1\"}}\n");
    char cmd[512], *out = NULL;
    snprintf(cmd, sizeof cmd, CLI " send --config %s/dead.json --timeout 20000 %s/one.ndjson", tmpdir, tmpdir);
    int rc = run(cmd, &out, NULL);
    CHECK_EQ_INT(rc, 1);
    CHECK(strstr(out, "failed 1") != NULL, "summary counts the failure: %s", out);
    free(out);
}

static void test_conformance_passes_and_fails(void) {
    char *out = NULL;
    int rc = run(CLI " conformance " VECTORS, &out, NULL);
    CHECK_EQ_INT(rc, 0);
    CHECK(strstr(out, "115 passed, 0 failed\n") != NULL, "all vectors pass: %s", out);
    free(out);
    /* a vector file with one wrong expectation */
    write_file("vectors.json",
               "{\"format\":\"walkeros-mapping-vectors/1\",\"cases\":["
               "{\"kind\":\"value\",\"name\":\"right\",\"event\":{\"a\":1},\"mapping\":\"a\",\"expected\":1},"
               "{\"kind\":\"value\",\"name\":\"wrong\",\"event\":{\"a\":1},\"mapping\":\"a\",\"expected\":2},"
               "{\"kind\":\"destination\",\"name\":\"dest wrong\",\"settings\":{\"writeKey\":\"k\",\"dataPlaneUrl\":\"https://x.example\"},"
               "\"mapping\":null,\"events\":[{\"name\":\"a b\",\"user\":{\"id\":\"u\"},\"timestamp\":5}],"
               "\"expected_calls\":[[\"track\",{\"userId\":\"u\",\"event\":\"a c\",\"properties\":{},\"timestamp\":5}]]}]}");
    char cmd[512];
    snprintf(cmd, sizeof cmd, CLI " conformance %s/vectors.json", tmpdir);
    rc = run(cmd, &out, NULL);
    CHECK_EQ_INT(rc, 1);
    CHECK(strstr(out, "FAIL [1] value: wrong") != NULL, "failing value case named: %s", out);
    CHECK(strstr(out, "FAIL [2] destination: dest wrong") != NULL, "failing destination case named: %s", out);
    CHECK(strstr(out, "right") == NULL, "passing case not listed");
    CHECK(strstr(out, "1 passed, 2 failed\n") != NULL, "summary: %s", out);
    free(out);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ruddercore-cli-XXXXXX");
    if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }
    RUN(test_map_prints_one_call_per_line);
    RUN(test_map_reads_stdin_and_prints_messages);
    RUN(test_map_reports_bad_lines_and_goes_on);
    RUN(test_map_rejects_bad_config);
    RUN(test_send_delivers_and_summarises);
    RUN(test_send_fails_loudly);
    RUN(test_conformance_passes_and_fails);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return check_summary();
}
