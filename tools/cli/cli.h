/* cli.h — shared pieces of the ruddercore command-line tool. */
#ifndef RUDDER_CLI_H
#define RUDDER_CLI_H
#include <stdio.h>
#include <cjson/cJSON.h>
#include "ruddercore.h"

/* Reads a whole file ("-" or NULL = standard input). NULL on error (message printed). */
char *cli_read_file(const char *path, size_t *len);

/* The destination config from a file: a walkerOS destination config
 * {"settings", "mapping", ...}, or a walkerOS flow file whose first destination with
 * "rudderstack" in its package (or the only destination) supplies "config".
 * Returns malloc'd JSON text of the destination config, or NULL (message printed). */
char *cli_load_dest_config(const char *path, int offline);

/* Calls each line of NDJSON text (blank lines skipped) with its 1-based line number. */
typedef int (*cli_line_fn)(const char *line, size_t len, size_t lineno, void *opaque);
int cli_each_line(const char *text, size_t len, cli_line_fn fn, void *opaque);

/* The destination of a config file (see cli_load_dest_config); NULL with a message printed. */
rudder_dest_t *cli_open_dest(const char *config_path, int offline);

/* Calls fn for each line of the events file ("-"/NULL = stdin); -1 when it can't be read. */
int cli_each_event(const char *events_path, cli_line_fn fn, void *opaque);

/* Key-order-insensitive equality; expected {"undefined": true} matches undefined. */
int json_matches(const cJSON *actual, const cJSON *expected);

int cmd_map(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_conformance(int argc, char **argv);
#endif
