/* cmd_conformance.c — runs a walkeros-mapping-vectors/1 file.  Value cases call the
 * mapping engine (getMappingValue with the collector consent); destination cases run a
 * fresh destination in walkerOS mode ("dedup": "walkeros") and compare the calls. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "destination/destination.h"
#include "json/json.h"

static void print_trunc(FILE *out, const char *label, const cJSON *v) {
    char *t = mv_is_undef(v) ? strdup("undefined") : rj_print(v);
    if (!t) return;
    size_t n = strlen(t);
    fprintf(out, "    %s: %.*s%s\n", label, n > 600 ? 600 : (int)n, t, n > 600 ? " ..." : "");
    free(t);
}

static int run_value_case(FILE *out, const cJSON *c) {
    const cJSON *event = mv_own(c, "event", 5);
    const cJSON *mapping = mv_own(c, "mapping", 7);
    const cJSON *consent = mv_own(c, "collector_consent", 17);
    cJSON *empty = cJSON_CreateObject();
    map_ctx_t mc;
    map_ctx_init(&mc, event, consent ? consent : empty, NULL);
    cJSON *got = map_value(&mc, event, mapping ? mapping : empty, NULL);
    int ok = json_matches(got, mv_own(c, "expected", 8));
    if (!ok) {
        print_trunc(out, "expected", mv_own(c, "expected", 8));
        print_trunc(out, "got", got);
        if (mc.failed) fprintf(out, "    (mapping error: %s)\n", mc.error);
    }
    cJSON_Delete(got);
    cJSON_Delete(empty);
    return ok;
}

static cJSON *case_config(const cJSON *c) {
    const cJSON *config = mv_own(c, "config", 6);
    cJSON *conf = mv_is_plain_object(config) ? mv_dup(config) : cJSON_CreateObject();
    const cJSON *s = mv_own(c, "settings", 8);
    cJSON *settings = mv_is_plain_object(s) ? mv_dup(s) : cJSON_CreateObject();
    cJSON_DeleteItemFromObjectCaseSensitive(settings, "dedup");
    cJSON_AddStringToObject(settings, "dedup", "walkeros");
    if (!mv_own(settings, "logLevel", 8)) cJSON_AddStringToObject(settings, "logLevel", "error");
    cJSON_DeleteItemFromObjectCaseSensitive(conf, "settings");
    cJSON_AddItemToObject(conf, "settings", settings);
    const cJSON *mapping = mv_own(c, "mapping", 7);
    cJSON_DeleteItemFromObjectCaseSensitive(conf, "mapping");
    if (mapping && !cJSON_IsNull(mapping)) cJSON_AddItemToObject(conf, "mapping", mv_dup(mapping));
    return conf;
}

static int run_dest_case(FILE *out, const cJSON *c) {
    cJSON *conf = case_config(c);
    char *text = rj_print(conf);
    cJSON_Delete(conf);
    char err[512];
    rudder_dest_t *d = rudder_dest_new(text, strlen(text), NULL, err, sizeof err);
    free(text);
    if (!d) { fprintf(out, "    destination not created: %s\n", err); return 0; }
    dest_calls_t calls = {0};
    int ok = 1;
    const cJSON *collector = mv_own(c, "collector", 9);
    static const char *state[] = {"consent", "user", "globals"};
    for (size_t i = 0; i < 3; i++) {
        const cJSON *data = mv_own(collector, state[i], strlen(state[i]));
        if (data && dest_run_command(d, state[i], data, &calls, err, sizeof err) != RUDDER_OK) {
            fprintf(out, "    collector.%s: %s\n", state[i], err);
            ok = 0;
        }
    }
    const cJSON *events = mv_own(c, "events", 6);
    int idx = 0;
    for (const cJSON *ev = events ? events->child : NULL; ev; ev = ev->next, idx++) {
        dest_outcome_t oc;
        rudder_err_t e = dest_run(d, mv_dup(ev), &calls, &oc, err, sizeof err);
        if (e != RUDDER_OK && e != RUDDER_ERR_NO_IDENTITY && e != RUDDER_ERR_CALLBACK) {
            fprintf(out, "    events[%d]: %s (%s)\n", idx, err, rudder_err_name(e));
            ok = 0;
        }
    }
    cJSON *got = dest_calls_to_json(&calls);
    dest_calls_free(&calls);
    const cJSON *expected = mv_own(c, "expected_calls", 14);
    if (!json_matches(got, expected)) {
        ok = 0;
        int i = 0;
        const cJSON *x = got->child, *y = expected ? expected->child : NULL;
        for (; x && y && json_matches(x, y); x = x->next, y = y->next) i++;
        fprintf(out, "    calls differ at index %d (expected %d calls, got %d)\n", i, cJSON_GetArraySize(expected),
               cJSON_GetArraySize(got));
        print_trunc(out, "expected", y);
        print_trunc(out, "got", x);
    }
    cJSON_Delete(got);
    rudder_dest_destroy(d);
    return ok;
}

int cmd_conformance(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: ruddercore conformance VECTORS.json\n"); return 2; }
    size_t len;
    char *text = cli_read_file(argv[1], &len);
    if (!text) return 2;
    rudder_err_t e;
    char msg[200];
    cJSON *root = rj_parse(text, len, 0, &e, msg, sizeof msg);
    free(text);
    if (!root) { fprintf(stderr, "ruddercore: %s: %s\n", argv[1], msg); return 2; }
    const cJSON *format = mv_own(root, "format", 6);
    if (!cJSON_IsString(format) || strcmp(format->valuestring, "walkeros-mapping-vectors/1") != 0) {
        fprintf(stderr, "ruddercore: %s: format must be \"walkeros-mapping-vectors/1\"\n", argv[1]);
        cJSON_Delete(root);
        return 2;
    }
    const cJSON *cases = mv_own(root, "cases", 5);
    int passed = 0, failed = 0, idx = 0;
    for (const cJSON *c = cJSON_IsArray(cases) ? cases->child : NULL; c; c = c->next, idx++) {
        const cJSON *kind = mv_own(c, "kind", 4), *name = mv_own(c, "name", 4);
        const char *nm = cJSON_IsString(name) ? name->valuestring : "?";
        char *detail = NULL;
        size_t dlen = 0;
        FILE *out = open_memstream(&detail, &dlen);
        if (!out) { fprintf(stderr, "ruddercore: out of memory\n"); break; }
        const char *k = cJSON_IsString(kind) ? kind->valuestring : "?";
        int ok;
        if (strcmp(k, "value") == 0) ok = run_value_case(out, c);
        else if (strcmp(k, "destination") == 0) ok = run_dest_case(out, c);
        else { fprintf(out, "    unknown kind\n"); ok = 0; }
        fclose(out);
        if (!ok) printf("FAIL [%d] %s: %s\n%s", idx, k, nm, detail ? detail : "");
        free(detail);
        if (ok) passed++; else failed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    cJSON_Delete(root);
    return failed ? 1 : 0;
}
