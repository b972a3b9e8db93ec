/* cmd_map.c — `ruddercore map`: the calls a destination config makes for some events,
 * offline.  One JSON line per call: ["track", {params}] with timestamp as epoch ms, or
 * with --messages the full envelope the client would queue. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "base/base.h"
#include "destination/destination.h"
#include "json/json.h"

typedef struct map_run {
    rudder_dest_t *dest;
    int messages;
    int errors;
} map_run_t;

static void print_call(map_run_t *r, const dest_call_t *call, size_t lineno) {
    if (!r->messages) {
        printf("[\"%s\",", rudder_call_name(call->type));
        char *p = rj_print(call->params);
        printf("%s]\n", p ? p : "null");
        free(p);
        return;
    }
    cJSON *params = mv_dup(call->params);
    const cJSON *ts = mv_own(params, "timestamp", 9);
    if (cJSON_IsNumber(ts)) {
        char iso[RUDDER_ISO_LEN + 8];
        clock_iso((int64_t)ts->valuedouble, iso);
        cJSON_ReplaceItemInObjectCaseSensitive(params, "timestamp", cJSON_CreateString(iso));
    }
    char *text = rj_print(params);
    cJSON_Delete(params);
    rudder_err_t e;
    char err[256];
    char *msg = text ? rudder_build_message(call->type, text, strlen(text), "", 0, &e, err, sizeof err) : NULL;
    free(text);
    if (msg) printf("%s\n", msg);
    else {
        fprintf(stderr, "line %zu: %s: %s\n", lineno, rudder_call_name(call->type), err);
        r->errors++;
    }
    rudder_free(msg);
}

static int map_line(const char *line, size_t len, size_t lineno, void *opaque) {
    map_run_t *r = opaque;
    char err[512];
    rudder_err_t e;
    cJSON *ev = walker_event_parse(line, len, &e, err, sizeof err);
    dest_calls_t calls = {0};
    dest_outcome_t oc = DEST_FAILED;
    if (ev) {
        pthread_mutex_lock(&r->dest->lock);
        e = dest_run(r->dest, ev, &calls, &oc, err, sizeof err);
        pthread_mutex_unlock(&r->dest->lock);
    }
    for (size_t i = 0; i < calls.n; i++) print_call(r, &calls.v[i], lineno);
    dest_calls_free(&calls);
    fflush(stdout);
    if (e == RUDDER_ERR_NO_IDENTITY) { fprintf(stderr, "line %zu: warning: %s\n", lineno, err); return 0; }
    if (e != RUDDER_OK) {
        fprintf(stderr, "line %zu: %s (%s)\n", lineno, err, rudder_err_name(e));
        r->errors++;
        return 1;
    }
    return 0;
}

int cmd_map(int argc, char **argv) {
    const char *config = NULL, *events = NULL;
    map_run_t r = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc) config = argv[++i];
        else if (!strncmp(argv[i], "--config=", 9)) config = argv[i] + 9;
        else if (!strcmp(argv[i], "--messages")) r.messages = 1;
        else if (argv[i][0] == '-' && argv[i][1]) { fprintf(stderr, "ruddercore map: unknown option %s\n", argv[i]); return 2; }
        else events = argv[i];
    }
    if (!config) { fprintf(stderr, "usage: ruddercore map --config FLOW.json [--messages] [EVENTS.ndjson]\n"); return 2; }
    r.dest = cli_open_dest(config, 1);
    if (!r.dest) return 2;
    if (cli_each_event(events, map_line, &r) != 0) { rudder_dest_destroy(r.dest); return 2; }
    rudder_dest_destroy(r.dest);
    return r.errors ? 1 : 0;
}
