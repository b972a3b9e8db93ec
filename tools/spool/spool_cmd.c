/* spool_cmd.c — `spool inspect DIR` and `spool replay DIR --config FILE`: the command-line
 * face of rudder_spool_inspect / rudder_spool_replay.  Used by the standalone
 * ruddercore-spool tool and by `ruddercore spool ...`.  Exit status: 0 done, 1 replay left
 * dead letters, 2 usage or error. */
#include "spool_cmd.h"
#include "ruddercore.h"
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out, const char *prog) {
    fprintf(out,
            "usage: %s inspect DIR                      describe a spool directory as JSON\n"
            "       %s replay DIR --config FILE.json    re-send its dead letters\n"
            "\n"
            "FILE.json holds the settings (writeKey, dataPlaneUrl, ...) as an object, or a walkerOS\n"
            "destination config whose \"settings\" member holds them.\n",
            prog, prog);
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) return NULL;
    size_t cap = 65536, n = 0, r;
    char *buf = malloc(cap + 1);
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *m = realloc(buf, (cap *= 2) + 1);
            if (!m) { free(buf); buf = NULL; break; }
            buf = m;
        }
    }
    if (f != stdin) fclose(f);
    if (buf) buf[n] = '\0';
    *len = n;
    return buf;
}

static rudder_conf_t *load_settings(const char *path) {
    size_t len;
    char *text = read_file(path, &len);
    if (!text) {
        fprintf(stderr, "spool replay: cannot read %s\n", path);
        return NULL;
    }
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!cJSON_IsObject(root)) {
        fprintf(stderr, "spool replay: %s: expected a JSON object of settings\n", path);
        cJSON_Delete(root);
        return NULL;
    }
    cJSON *settings = cJSON_GetObjectItemCaseSensitive(root, "settings");
    char *s = cJSON_PrintUnformatted(cJSON_IsObject(settings) ? settings : root);
    cJSON_Delete(root);
    rudder_conf_t *conf = rudder_conf_new();
    char err[512];
    if (!s || !conf || rudder_conf_set_json(conf, s, strlen(s), err, sizeof err) != RUDDER_OK) {
        fprintf(stderr, "spool replay: %s: %s\n", path, s && conf ? err : "out of memory");
        rudder_conf_destroy(conf);
        conf = NULL;
    }
    free(s);
    return conf;
}

int cmd_spool(int argc, char **argv) {
    const char *prog = argc > 0 ? argv[0] : "spool";
    if (argc < 3 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(argc >= 2 && argv[1][0] == '-' ? stdout : stderr, prog);
        return argc >= 2 && argv[1][0] == '-' ? 0 : 2;
    }
    const char *sub = argv[1], *dir = argv[2];
    char err[1024];
    rudder_err_t e;
    if (!strcmp(sub, "inspect") && argc == 3) {
        char *json = rudder_spool_inspect(dir, &e, err, sizeof err);
        if (!json) {
            fprintf(stderr, "spool inspect: %s\n", err);
            return 2;
        }
        cJSON *v = cJSON_Parse(json);
        char *pretty = v ? cJSON_Print(v) : NULL;
        printf("%s\n", pretty ? pretty : json);
        free(pretty);
        cJSON_Delete(v);
        rudder_free(json);
        return 0;
    }
    if (!strcmp(sub, "replay") && argc == 5 && !strcmp(argv[3], "--config")) {
        rudder_conf_t *conf = load_settings(argv[4]);
        if (!conf) return 2;
        char *json = rudder_spool_replay(dir, conf, &e, err, sizeof err);
        rudder_conf_destroy(conf);
        if (!json) {
            fprintf(stderr, "spool replay: %s\n", err);
            return 2;
        }
        printf("%s\n", json);
        if (err[0]) fprintf(stderr, "spool replay: %s\n", err);
        cJSON *v = cJSON_Parse(json);
        int left = cJSON_GetObjectItem(v, "kept") ? (int)cJSON_GetObjectItem(v, "kept")->valuedouble : 0;
        cJSON_Delete(v);
        rudder_free(json);
        return left || e != RUDDER_OK ? 1 : 0;
    }
    usage(stderr, prog);
    return 2;
}
