/* cmd_redis.c — `ruddercore persistence list-failed|requeue`: the operator's view of the
 * Redis persistence queue's failed list (batches that used up maxAttempts or were rejected
 * for good), and putting them back in the queue.  The queue is named by the settings'
 * `persistence` value (an object {"type":"redis",...} or a redis:// URL) from --config, or
 * by --redis URL with --queue / --prefix. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "persistence/persistence.h"

static void usage_persistence(FILE *out) {
    fprintf(out,
            "usage: ruddercore persistence list-failed|requeue (--config SETTINGS.json | --redis URL)\n"
            "                  [--queue NAME] [--prefix PREFIX]\n"
            "  list-failed  prints the failed batches as JSON: id, events, messageIds, failure\n"
            "  requeue      moves every failed batch back to the queue (behind newer ones)\n"
            "SETTINGS.json holds client settings, or a destination config with \"settings\";\n"
            "its \"persistence\" is {\"type\":\"redis\", host, port, ...} or \"redis://...\".\n");
}

/* The persistence value of a settings file, as JSON text (caller frees); NULL + message. */
static char *persistence_from_config(const char *path) {
    size_t len;
    char *text = cli_read_file(path, &len);
    if (!text) return NULL;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!cJSON_IsObject(root)) {
        fprintf(stderr, "ruddercore: %s is not a JSON object\n", path);
        cJSON_Delete(root);
        return NULL;
    }
    const cJSON *settings = cJSON_GetObjectItemCaseSensitive(root, "settings");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(cJSON_IsObject(settings) ? settings : root, "persistence");
    char *out = NULL;
    if (cJSON_IsString(p) && !redisq_selected(p->valuestring))
        fprintf(stderr, "ruddercore: persistence in %s is a spool directory, not Redis (use the spool tool)\n", path);
    else if (cJSON_IsString(p)) out = strdup(p->valuestring); /* a URL, or the object as text */
    else if (p) out = cJSON_PrintUnformatted(p);
    else fprintf(stderr, "ruddercore: %s has no \"persistence\" setting\n", path);
    cJSON_Delete(root);
    return out;
}

int cmd_persistence(int argc, char **argv) {
    const char *config = NULL, *url = NULL, *queue = NULL, *prefix = NULL, *action = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((!strcmp(a, "--config") || !strcmp(a, "--redis") || !strcmp(a, "--queue") || !strcmp(a, "--prefix")) &&
            i + 1 < argc) {
            const char *v = argv[++i];
            if (!strcmp(a, "--config")) config = v;
            else if (!strcmp(a, "--redis")) url = v;
            else if (!strcmp(a, "--queue")) queue = v;
            else prefix = v;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage_persistence(stdout);
            return 0;
        } else if (!action && a[0] != '-') action = a;
        else {
            fprintf(stderr, "ruddercore persistence: unexpected argument '%s'\n", a);
            usage_persistence(stderr);
            return 2;
        }
    }
    if (!action || (strcmp(action, "list-failed") && strcmp(action, "requeue")) || (!config == !url)) {
        usage_persistence(stderr);
        return 2;
    }
    redisq_opts_t o;
    char err[400];
    rudder_err_t e;
    if (config) {
        char *json = persistence_from_config(config);
        if (!json) return 1;
        e = redisq_opts_from_json(json, strlen(json), &o, err, sizeof err);
        free(json);
    } else {
        redisq_opts_default(&o);
        e = redisq_opts_from_url(url, &o, err, sizeof err);
    }
    if (e == RUDDER_OK && queue) snprintf(o.queue_name, sizeof o.queue_name, "%s", queue);
    if (e == RUDDER_OK && prefix) {
        if (prefix[0] == '{') snprintf(o.prefix, sizeof o.prefix, "%.120s", prefix);
        else snprintf(o.prefix, sizeof o.prefix, "{%.120s}", prefix);
    }
    if (e != RUDDER_OK) {
        fprintf(stderr, "ruddercore: %s\n", err);
        return 1;
    }
    if (!strcmp(action, "list-failed")) {
        char *out = redisq_list_failed(&o, &e, err, sizeof err);
        if (!out) {
            fprintf(stderr, "ruddercore: %s\n", err);
            return 1;
        }
        printf("%s\n", out);
        free(out);
        return 0;
    }
    long n = redisq_requeue_failed(&o, err, sizeof err);
    if (n < 0) {
        fprintf(stderr, "ruddercore: %s\n", err);
        return 1;
    }
    printf("{\"requeued\":%ld}\n", n);
    return 0;
}
