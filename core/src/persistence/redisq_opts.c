/* redisq_opts.c — the redis persistence options (Node SDK names, a redis:// URL form) and
 * the stored batch format.  Needs no hiredis, so builds without it can still say clearly
 * what was asked for. */
#include "redisq.h"
#include "json/json.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void redisq_opts_default(redisq_opts_t *o) {
    memset(o, 0, sizeof *o);
    snprintf(o->host, sizeof o->host, "127.0.0.1");
    o->port = 6379;
    snprintf(o->queue_name, sizeof o->queue_name, REDISQ_DEFAULT_QUEUE);
    snprintf(o->prefix, sizeof o->prefix, REDISQ_DEFAULT_PREFIX);
    o->max_attempts = 10;
    o->heartbeat_ttl_ms = 30000;
    o->connect_timeout_ms = 5000;
}

static rudder_err_t bad(char *errstr, size_t size, const char *fmt, const char *what) {
    if (errstr && size) snprintf(errstr, size, fmt, what);
    return RUDDER_ERR_CONFIG;
}

static int copy_text(char *dst, size_t cap, const char *src, size_t n) {
    if (n >= cap) return -1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return 0;
}

/* redis://[user[:password]@]host[:port][/db]  (also rediss:// is refused: no TLS here) */
rudder_err_t redisq_opts_from_url(const char *url, redisq_opts_t *o, char *errstr, size_t size) {
    if (strncmp(url, "redis://", 8) != 0)
        return bad(errstr, size, "persistence.url: must start with redis:// (got %.40s)", url);
    const char *p = url + 8, *at = strchr(p, '@'), *slash;
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *user_end = colon ? colon : at;
        if (copy_text(o->username, sizeof o->username, p, (size_t)(user_end - p)) != 0)
            return bad(errstr, size, "persistence.url: %s", "user name too long");
        if (colon && copy_text(o->password, sizeof o->password, colon + 1, (size_t)(at - colon - 1)) != 0)
            return bad(errstr, size, "persistence.url: %s", "password too long");
        p = at + 1;
    }
    slash = strchr(p, '/');
    const char *host_end = slash ? slash : p + strlen(p);
    const char *colon = NULL;
    if (*p == '[') { /* [ipv6]:port */
        const char *rb = memchr(p, ']', (size_t)(host_end - p));
        if (!rb) return bad(errstr, size, "persistence.url: %s", "unterminated [ in the host");
        if (copy_text(o->host, sizeof o->host, p + 1, (size_t)(rb - p - 1)) != 0)
            return bad(errstr, size, "persistence.url: %s", "host too long");
        if (rb + 1 < host_end && rb[1] == ':') colon = rb + 1;
    } else {
        colon = memchr(p, ':', (size_t)(host_end - p));
        const char *he = colon ? colon : host_end;
        if (he == p) return bad(errstr, size, "persistence.url: %s", "the host is empty");
        if (copy_text(o->host, sizeof o->host, p, (size_t)(he - p)) != 0)
            return bad(errstr, size, "persistence.url: %s", "host too long");
    }
    if (colon) {
        char *end;
        long port = strtol(colon + 1, &end, 10);
        if (end != host_end || port < 1 || port > 65535)
            return bad(errstr, size, "persistence.url: %s", "the port must be a number from 1 to 65535");
        o->port = (int)port;
    }
    if (slash && slash[1]) {
        char *end;
        long db = strtol(slash + 1, &end, 10);
        if (*end || db < 0 || db > 100000)
            return bad(errstr, size, "persistence.url: %s", "the database after / must be a number >= 0");
        o->db = (int)db;
    }
    return RUDDER_OK;
}

static rudder_err_t get_int(const cJSON *v, const char *path, long min, long max, long *out, char *errstr,
                            size_t size) {
    if (!rj_is_number(v) || v->valuedouble != (double)(long)v->valuedouble || v->valuedouble < min ||
        v->valuedouble > max) {
        if (errstr && size) snprintf(errstr, size, "%s: must be an integer from %ld to %ld", path, min, max);
        return RUDDER_ERR_CONFIG;
    }
    *out = (long)v->valuedouble;
    return RUDDER_OK;
}

static rudder_err_t get_str(const cJSON *v, const char *path, char *dst, size_t cap, int allow_empty,
                            char *errstr, size_t size) {
    if (!rj_is_string(v) || (!allow_empty && !*v->valuestring) || strlen(v->valuestring) >= cap) {
        if (errstr && size)
            snprintf(errstr, size, "%s: must be a %sstring of at most %zu bytes", path, allow_empty ? "" : "non-empty ",
                     cap - 1);
        return RUDDER_ERR_CONFIG;
    }
    snprintf(dst, cap, "%s", v->valuestring);
    return RUDDER_OK;
}

/* One member of the persistence object (or of redisOpts / jobOpts, named by path). */
/* Python callers may write the options in snake_case. */
static const char *camel_name(const char *k) {
    static const char *const pairs[][2] = {{"queue_name", "queueName"},     {"is_multi_processor", "isMultiProcessor"},
                                           {"max_attempts", "maxAttempts"}, {"redis_opts", "redisOpts"},
                                           {"job_opts", "jobOpts"},         {"heartbeat_ttl", "heartbeatTtl"}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        if (!strcmp(k, pairs[i][0])) return pairs[i][1];
    return k;
}

static rudder_err_t set_member(const cJSON *it, const char *group, redisq_opts_t *o, char *errstr, size_t size) {
    const char *k = camel_name(it->string);
    char path[160];
    snprintf(path, sizeof path, "persistence.%s%s%.60s", group, *group ? "." : "", k);
    long v;
    rudder_err_t e = RUDDER_OK;
    int top = !*group, in_redis = top || !strcmp(group, "redisOpts"), in_job = top || !strcmp(group, "jobOpts");
    if (in_redis && !strcmp(k, "host")) e = get_str(it, path, o->host, sizeof o->host, 0, errstr, size);
    else if (in_redis && !strcmp(k, "port")) {
        if ((e = get_int(it, path, 1, 65535, &v, errstr, size)) == RUDDER_OK) o->port = (int)v;
    } else if (in_redis && !strcmp(k, "db")) {
        if ((e = get_int(it, path, 0, 100000, &v, errstr, size)) == RUDDER_OK) o->db = (int)v;
    } else if (in_redis && !strcmp(k, "password")) {
        if (!rj_is_string(it) || strlen(it->valuestring) >= sizeof o->password)
            return bad(errstr, size, "%s: must be a string of at most 255 bytes", path);
        snprintf(o->password, sizeof o->password, "%s", it->valuestring);
    } else if (in_redis && (!strcmp(k, "username") || !strcmp(k, "user")))
        e = get_str(it, path, o->username, sizeof o->username, 1, errstr, size);
    else if (in_job && !strcmp(k, "maxAttempts")) {
        if ((e = get_int(it, path, 1, 1000, &v, errstr, size)) == RUDDER_OK) o->max_attempts = (int)v;
    } else if (top && !strcmp(k, "type")) {
        if (!rj_is_string(it) || strcmp(it->valuestring, "redis") != 0)
            return bad(errstr, size, "%s: must be \"redis\" here", path);
    } else if (top && !strcmp(k, "url")) {
        if (!rj_is_string(it)) return bad(errstr, size, "%s: must be a redis:// URL string", path);
        e = redisq_opts_from_url(it->valuestring, o, errstr, size);
    } else if (top && !strcmp(k, "queueName")) e = get_str(it, path, o->queue_name, sizeof o->queue_name, 0, errstr, size);
    else if (top && !strcmp(k, "prefix")) {
        char raw[120];
        if ((e = get_str(it, path, raw, sizeof raw, 0, errstr, size)) != RUDDER_OK) return e;
        /* the Node SDK wraps the prefix in braces so every key lands in one cluster slot */
        if (raw[0] == '{' && strchr(raw, '}')) snprintf(o->prefix, sizeof o->prefix, "%s", raw);
        else snprintf(o->prefix, sizeof o->prefix, "{%s}", raw);
    } else if (top && !strcmp(k, "isMultiProcessor")) {
        if (!rj_is_bool(it)) return bad(errstr, size, "%s: must be true or false", path);
        o->multi_processor = rj_is_true(it);
    } else if (top && !strcmp(k, "heartbeatTtl")) {
        if ((e = get_int(it, path, 1000, 3600000, &v, errstr, size)) == RUDDER_OK) o->heartbeat_ttl_ms = v;
    } else if (top && (!strcmp(k, "redisOpts") || !strcmp(k, "jobOpts"))) {
        if (!rj_is_object(it)) return bad(errstr, size, "%s: must be an object", path);
        for (const cJSON *m = it->child; m && e == RUDDER_OK; m = m->next) e = set_member(m, k, o, errstr, size);
    } else {
        return bad(errstr, size,
                   "%s: unknown option (known: type, url, host, port, db, password, queueName, prefix, "
                   "isMultiProcessor, maxAttempts, heartbeatTtl, redisOpts, jobOpts)",
                   path);
    }
    return e;
}

rudder_err_t redisq_opts_from_json(const char *json, size_t len, redisq_opts_t *o, char *errstr, size_t size) {
    redisq_opts_default(o);
    while (len && (*json == ' ' || *json == '\t' || *json == '\n')) json++, len--;
    if (len && *json == '"') { /* a JSON string: the URL form */
        cJSON *s = cJSON_ParseWithLength(json, len);
        rudder_err_t e = !rj_is_string(s) ? bad(errstr, size, "persistence: %s", "not a valid JSON string")
                         : s->valuestring[0] == '{' ? redisq_opts_from_json(s->valuestring, strlen(s->valuestring), o, errstr, size)
                                                    : redisq_opts_from_url(s->valuestring, o, errstr, size);
        rj_delete(s);
        return e;
    }
    if (len >= 8 && !strncmp(json, "redis://", 8)) {
        char *url = strndup(json, len);
        if (!url) return RUDDER_ERR_NO_MEMORY;
        rudder_err_t e = redisq_opts_from_url(url, o, errstr, size);
        free(url);
        return e;
    }
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!rj_is_object(root)) {
        rj_delete(root);
        return bad(errstr, size, "persistence: %s", "the redis backend takes an object {\"type\":\"redis\", ...} or a redis:// URL");
    }
    rudder_err_t e = RUDDER_OK;
    /* url first, so explicit host/port/db/password override it */
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(root, "url");
    if (url) e = set_member(url, "", o, errstr, size);
    for (const cJSON *it = root->child; it && e == RUDDER_OK; it = it->next)
        if (strcmp(it->string, "url") != 0) e = set_member(it, "", o, errstr, size);
    rj_delete(root);
    return e;
}

int redisq_selected(const char *s) {
    if (!s) return 0;
    while (*s == ' ' || *s == '\t' || *s == '\n') s++;
    if (!strncmp(s, "redis://", 8)) return 1;
    if (*s != '{') return 0;
    cJSON *root = cJSON_Parse(s);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "type");
    int yes = rj_is_string(t) && !strcmp(t->valuestring, "redis");
    rj_delete(root);
    return yes;
}

/* ---- stored batch: "RQ1 <n>\n" then "<msgid> <len>\n<text>\n" per event ----
 * A caller's messageId may hold a space, a newline or '%': in the header those are written
 * %XX, so the first space always ends the id. */

#define STORED_ID_MAX (36 * 3)

static void put_stored_id(rbuf_t *out, const char *id) {
    for (const char *c = id; *c; c++) {
        if (*c == ' ' || *c == '\n' || *c == '\r' || *c == '%') rbuf_printf(out, "%%%02X", (unsigned char)*c);
        else rbuf_putc(out, *c);
    }
}

/* The header's id, %XX decoded, into out (>= 37 bytes); -1 when it is not one. */
static int get_stored_id(const char *p, size_t n, char *out) {
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '%' && i + 2 < n && isxdigit((unsigned char)p[i + 1]) && isxdigit((unsigned char)p[i + 2])) {
            char hex[3] = {p[i + 1], p[i + 2], 0};
            c = (char)strtol(hex, NULL, 16);
            i += 2;
        }
        if (j == 36) return -1;
        out[j++] = c;
    }
    out[j] = '\0';
    return 0;
}

void redisq_encode(rbuf_t *out, const qevent_t *list) {
    rbuf_reset(out);
    rbuf_printf(out, "RQ1 %zu\n", qevent_list_count(list));
    for (const qevent_t *e = list; e; e = e->next) {
        put_stored_id(out, e->msgid);
        rbuf_printf(out, " %zu\n", e->len);
        rbuf_append(out, e->text, e->len);
        rbuf_putc(out, '\n');
    }
}

qevent_t *redisq_decode(const char *data, size_t len, size_t *n_out) {
    *n_out = 0;
    const char *p = data, *end = data + len;
    if (len < 6 || memcmp(p, "RQ1 ", 4) != 0) return NULL;
    char *nl;
    unsigned long long n = strtoull(p + 4, &nl, 10);
    if (nl >= end || *nl != '\n' || n == 0) return NULL;
    p = nl + 1;
    qevent_t *head = NULL, *tail = NULL;
    for (unsigned long long i = 0; i < n; i++) {
        const char *sp = memchr(p, ' ', (size_t)(end - p));
        char msgid[37];
        if (!sp || sp - p > STORED_ID_MAX || get_stored_id(p, (size_t)(sp - p), msgid) != 0) goto damaged;
        char *lend;
        unsigned long long tl = strtoull(sp + 1, &lend, 10);
        if (lend >= end || *lend != '\n' || tl > (unsigned long long)(end - lend - 2)) goto damaged;
        const char *text = lend + 1;
        if (text[tl] != '\n') goto damaged;
        qevent_t *e = qevent_new(text, (size_t)tl, msgid);
        if (!e) goto damaged;
        if (tail) tail->next = e;
        else head = e;
        tail = e;
        p = text + tl + 1;
    }
    if (p != end) goto damaged;
    *n_out = (size_t)n;
    return head;
damaged:
    qevent_free_list(head);
    return NULL;
}
