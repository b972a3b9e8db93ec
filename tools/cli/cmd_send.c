/* cmd_send.c — `ruddercore send`: pushes the events through the destination for real,
 * flushes and prints a summary (accepted, sent, failed, skipped). */
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "destination/destination.h"
#include "json/json.h"

typedef struct send_run {
    rudder_dest_t *dest;
    unsigned long events, accepted, skipped, failed;
} send_run_t;

static int send_line(const char *line, size_t len, size_t lineno, void *opaque) {
    send_run_t *r = opaque;
    char err[512];
    rudder_err_t e;
    cJSON *ev = walker_event_parse(line, len, &e, err, sizeof err);
    dest_calls_t calls = {0};
    dest_outcome_t oc = DEST_FAILED;
    int is_command = ev && mv_own(ev, "walker_command", 14) != NULL;
    if (!is_command) r->events++;
    if (ev) {
        pthread_mutex_lock(&r->dest->lock);
        e = dest_run(r->dest, ev, &calls, &oc, err, sizeof err);
        char qerr[256];
        size_t before = r->dest->stats.call_errors;
        rudder_err_t qe = dest_enqueue_calls(r->dest, &calls, qerr, sizeof qerr);
        size_t refused = r->dest->stats.call_errors - before;
        pthread_mutex_unlock(&r->dest->lock);
        r->accepted += calls.n - refused;
        r->failed += refused;
        if (qe != RUDDER_OK) fprintf(stderr, "line %zu: %s (%s)\n", lineno, qerr, rudder_err_name(qe));
    }
    dest_calls_free(&calls);
    if (is_command && e == RUDDER_OK) return 0;
    if (e == RUDDER_OK && (oc == DEST_IGNORED || oc == DEST_HELD)) r->skipped++;
    else if (e == RUDDER_ERR_NO_IDENTITY) { r->skipped++; fprintf(stderr, "line %zu: warning: %s\n", lineno, err); }
    else if (e != RUDDER_OK) {
        r->failed++;
        fprintf(stderr, "line %zu: %s (%s)\n", lineno, err, rudder_err_name(e));
        return 1;
    }
    return 0;
}

static double stat_num(const cJSON *stats, const char *key) {
    const cJSON *v = mv_own(stats, key, strlen(key));
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

int cmd_send(int argc, char **argv) {
    const char *config = NULL, *events = NULL;
    long timeout = 30000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc) config = argv[++i];
        else if (!strncmp(argv[i], "--config=", 9)) config = argv[i] + 9;
        else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) timeout = strtol(argv[++i], NULL, 10);
        else if (argv[i][0] == '-' && argv[i][1]) { fprintf(stderr, "ruddercore send: unknown option %s\n", argv[i]); return 2; }
        else events = argv[i];
    }
    if (!config) { fprintf(stderr, "usage: ruddercore send --config FLOW.json [--timeout MS] [EVENTS.ndjson]\n"); return 2; }
    send_run_t r = {0};
    r.dest = cli_open_dest(config, 0);
    if (!r.dest) return 2;
    if (cli_each_event(events, send_line, &r) != 0) { rudder_dest_destroy(r.dest); return 2; }
    rudder_client_t *client = rudder_dest_client(r.dest);
    size_t remaining = 0;
    rudder_err_t fe = rudder_flush(client, (int)timeout, &remaining);
    char *st = rudder_stats(client);
    rudder_err_t e;
    char msg[64];
    cJSON *stats = st ? rj_parse(st, strlen(st), 0, &e, msg, sizeof msg) : NULL;
    rudder_free(st);
    double sent = stat_num(stats, "sentEvents");
    double lost = stat_num(stats, "failedEvents") + stat_num(stats, "droppedEvents") + (double)remaining;
    cJSON_Delete(stats);
    unsigned long failed = r.failed + (unsigned long)lost;
    printf("events %lu, accepted %lu, sent %.0f, failed %lu, skipped %lu\n", r.events, r.accepted, sent, failed,
           r.skipped);
    if (fe == RUDDER_ERR_TIMEOUT) fprintf(stderr, "ruddercore: flush timed out with %zu calls pending\n", remaining);
    rudder_dest_destroy(r.dest);
    return failed ? 1 : 0;
}
