/* cli_io.c — files, NDJSON lines and finding the destination config in a flow file. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "json/json.h"
#include "destination/mapping/mapping.h"

char *cli_read_file(const char *path, size_t *len) {
    int use_stdin = !path || strcmp(path, "-") == 0;
    FILE *f = use_stdin ? stdin : fopen(path, "rb");
    if (!f) { fprintf(stderr, "ruddercore: cannot open %s\n", path); return NULL; }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (n < cap) break;
        cap *= 2;
        char *nb = realloc(buf, cap + 1);
        if (!nb) { free(buf); buf = NULL; break; }
        buf = nb;
    }
    if (!use_stdin) fclose(f);
    if (!buf) { fprintf(stderr, "ruddercore: out of memory reading %s\n", use_stdin ? "stdin" : path); return NULL; }
    buf[n] = '\0';
    *len = n;
    return buf;
}

int cli_each_line(const char *text, size_t len, cli_line_fn fn, void *opaque) {
    size_t i = 0, lineno = 0;
    int rc = 0;
    while (i < len) {
        size_t start = i;
        while (i < len && text[i] != '\n') i++;
        size_t end = i;
        if (i < len) i++;
        lineno++;
        size_t s = start;
        while (s < end && (text[s] == ' ' || text[s] == '\t' || text[s] == '\r')) s++;
        if (s == end) continue;
        if (fn(text + start, end - start, lineno, opaque) != 0) rc = 1;
    }
    return rc;
}

/* A flow file: {"flows": {name: {"destinations": {id: {"package", "config"}}}}} or
 * {"destinations": {...}} at the top. */
static const cJSON *find_in_destinations(const cJSON *dests) {
    const cJSON *only = NULL;
    int count = 0;
    for (const cJSON *d = mv_is_plain_object(dests) ? dests->child : NULL; d; d = d->next) {
        count++;
        only = d;
        const cJSON *pkg = mv_own(d, "package", 7);
        if ((cJSON_IsString(pkg) && strstr(pkg->valuestring, "rudderstack")) || strstr(d->string, "rudderstack"))
            return mv_own(d, "config", 6);
    }
    return count == 1 ? mv_own(only, "config", 6) : NULL;
}

static const cJSON *find_dest_config(const cJSON *root) {
    if (mv_own(root, "settings", 8) || mv_own(root, "mapping", 7)) return root;
    const cJSON *c = find_in_destinations(mv_own(root, "destinations", 12));
    if (c) return c;
    const cJSON *flows = mv_own(root, "flows", 5);
    for (const cJSON *f = mv_is_plain_object(flows) ? flows->child : NULL; f; f = f->next) {
        c = find_in_destinations(mv_own(f, "destinations", 12));
        if (c) return c;
    }
    return NULL;
}

char *cli_load_dest_config(const char *path, int offline) {
    size_t len;
    char *text = cli_read_file(path, &len);
    if (!text) return NULL;
    rudder_err_t e;
    char msg[200];
    cJSON *root = rj_parse(text, len, 0, &e, msg, sizeof msg);
    free(text);
    if (!root) { fprintf(stderr, "ruddercore: %s: %s\n", path, msg); return NULL; }
    const cJSON *conf = find_dest_config(root);
    if (!mv_is_plain_object(conf)) {
        fprintf(stderr, "ruddercore: %s: no destination config found (expected {\"settings\", \"mapping\", ...} "
                        "or a flow file with a rudderstack destination)\n", path);
        cJSON_Delete(root);
        return NULL;
    }
    cJSON *copy = mv_dup(conf);
    if (offline) { /* map never sends: let a config without credentials be checked */
        cJSON *settings = (cJSON *)mv_own(copy, "settings", 8);
        if (!mv_is_plain_object(settings)) {
            if (settings) cJSON_DeleteItemFromObjectCaseSensitive(copy, "settings");
            settings = cJSON_AddObjectToObject(copy, "settings");
        }
        if (!mv_own(settings, "writeKey", 8)) cJSON_AddStringToObject(settings, "writeKey", "offline");
        if (!mv_own(settings, "dataPlaneUrl", 12)) cJSON_AddStringToObject(settings, "dataPlaneUrl", "http://127.0.0.1:9");
    }
    char *out = rj_print(copy);
    cJSON_Delete(copy);
    cJSON_Delete(root);
    return out;
}

rudder_dest_t *cli_open_dest(const char *config_path, int offline) {
    char *conf = cli_load_dest_config(config_path, offline);
    if (!conf) return NULL;
    char err[512];
    rudder_dest_t *d = rudder_dest_new(conf, strlen(conf), NULL, err, sizeof err);
    free(conf);
    if (!d) fprintf(stderr, "ruddercore: %s: %s\n", config_path, err);
    return d;
}

int cli_each_event(const char *events_path, cli_line_fn fn, void *opaque) {
    size_t len;
    char *text = cli_read_file(events_path, &len);
    if (!text) return -1;
    cli_each_line(text, len, fn, opaque);
    free(text);
    return 0;
}
