/* ruddercore — check a walkerOS mapping offline, send events, run the conformance
 * vectors.  See `ruddercore --help`. */
#include <stdio.h>
#include <string.h>
#include "cli.h"

int cmd_spool(int argc, char **argv); /* tools/spool/spool_cmd.c */

int cmd_persistence(int argc, char **argv); /* cmd_redis.c */

static void usage(FILE *out) {
    fprintf(out,
            "usage:\n"
            "  ruddercore map --config FLOW.json [--messages] [EVENTS.ndjson]\n"
            "      prints each call the destination would make, one JSON line per call:\n"
            "      [\"track\", {params}] (timestamp as epoch ms); --messages prints the full\n"
            "      RudderStack envelopes instead. No network. Reads stdin without a file.\n"
            "  ruddercore send --config FLOW.json [--timeout MS] [EVENTS.ndjson]\n"
            "      sends the events, flushes, prints accepted/sent/failed/skipped;\n"
            "      exits 1 when anything failed.\n"
            "  ruddercore conformance VECTORS.json\n"
            "      runs a walkeros-mapping-vectors/1 file; prints failing cases and\n"
            "      'N passed, N failed'; exits 1 when a case failed.\n"
            "  ruddercore persistence list-failed|requeue --config SETTINGS.json\n"
            "      the Redis persistence queue's failed batches: list them, or queue them again.\n"
            "  ruddercore spool inspect DIR | spool replay DIR --config SETTINGS.json\n"
            "      the file spool (persistence: DIR): pending and dead-lettered events;\n"
            "      replay re-sends the dead letters.\n"
            "  ruddercore --version\n"
            "FLOW.json is a walkerOS destination config {\"settings\": ..., \"mapping\": ...}\n"
            "or a walkerOS flow file containing a rudderstack destination. A line\n"
            "{\"walker_command\": \"consent\", \"data\": {...}} in EVENTS is a collector command.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) { usage(stderr); return 2; }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) { usage(stdout); return 0; }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) { printf("ruddercore %s\n", rudder_version()); return 0; }
    if (!strcmp(cmd, "map")) return cmd_map(argc - 1, argv + 1);
    if (!strcmp(cmd, "send")) return cmd_send(argc - 1, argv + 1);
    if (!strcmp(cmd, "conformance")) return cmd_conformance(argc - 1, argv + 1);
    if (!strcmp(cmd, "spool")) return cmd_spool(argc - 1, argv + 1);
    if (!strcmp(cmd, "persistence")) return cmd_persistence(argc - 1, argv + 1);
    fprintf(stderr, "ruddercore: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
