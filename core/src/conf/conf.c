/* conf.c — rudder_conf_t: settings validated against the property table, plus host callbacks. */
#include "conf.h"
#include "json/json.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t nprops(void) { size_t n; rudder_properties(&n); return n; }

static int prop_index(const char *name) {
    size_t n;
    const rudder_property_t *p = rudder_properties(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(p[i].name, name) == 0 || strcmp(p[i].snake_name, name) == 0) return (int)i;
    return -1;
}

/* Node SDK option names accepted for users pasting existing configs. */
static const char *alias_of(const char *name) {
    if (strcmp(name, "timeout") == 0) return "requestTimeout";
    if (strcmp(name, "host") == 0) return "dataPlaneUrl";
    return name;
}

static const rudder_property_t *prop_at(int i) { return &rudder_properties(NULL)[i]; }

const rudder_property_t *conf_property(const char *name) {
    int i = prop_index(name);
    return i < 0 ? NULL : prop_at(i);
}

rudder_conf_t *rudder_conf_new(void) {
    rudder_conf_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->vals = calloc(nprops(), sizeof(char *));
    if (!c->vals) { free(c); return NULL; }
    return c;
}

rudder_conf_t *rudder_conf_dup(const rudder_conf_t *src) {
    if (!src) return NULL;
    rudder_conf_t *c = rudder_conf_new();
    if (!c) return NULL;
    size_t n = nprops();
    for (size_t i = 0; i < n; i++)
        if (src->vals[i] && !(c->vals[i] = strdup(src->vals[i]))) goto oom;
    c->report_cb = src->report_cb;
    c->report_opaque = src->report_opaque;
    c->log_cb = src->log_cb;
    c->log_opaque = src->log_opaque;
    for (int i = 0; i < src->nfns; i++) {
        c->fns[i] = src->fns[i];
        if (!(c->fns[i].name = strdup(src->fns[i].name))) goto oom;
        c->nfns = i + 1;
    }
    memcpy(c->library_suffix, src->library_suffix, sizeof c->library_suffix);
    return c;
oom:
    rudder_conf_destroy(c);
    return NULL;
}

void rudder_conf_destroy(rudder_conf_t *c) {
    if (!c) return;
    size_t n = nprops();
    for (size_t i = 0; i < n; i++) free(c->vals[i]);
    free(c->vals);
    for (int i = 0; i < c->nfns; i++) free(c->fns[i].name);
    free(c);
}

static int set_err(char *errstr, size_t size, const char *fmt, const char *a, const char *b) {
    if (errstr && size) snprintf(errstr, size, fmt, a, b);
    return RUDDER_ERR_CONFIG;
}

static const char *type_word(rudder_prop_type_t t) {
    switch (t) {
    case RUDDER_PROP_STRING: return "a string";
    case RUDDER_PROP_INT: return "an integer";
    case RUDDER_PROP_BOOL: return "true or false";
    case RUDDER_PROP_ENUM: return "one of";
    default: return "a JSON value";
    }
}

static int parse_bool(const char *v, int *out) {
    if (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes") || !strcmp(v, "on")) { *out = 1; return 0; }
    if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no") || !strcmp(v, "off")) { *out = 0; return 0; }
    return -1;
}

static int enum_has(const char *choices, const char *v) {
    size_t vl = strlen(v);
    const char *p = choices;
    while (*p) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == vl && strncmp(p, v, len) == 0) return 1;
        if (!bar) break;
        p = bar + 1;
    }
    return 0;
}

/* Checks a text value against its row; on success the (normalised) text to store. */
static rudder_err_t check_value(const rudder_property_t *p, const char *value, char **norm,
                                char *errstr, size_t size) {
    char range[160];
    switch (p->type) {
    case RUDDER_PROP_INT: {
        errno = 0;
        char *end = NULL;
        long long v = strtoll(value, &end, 10);
        /* accept integral floats such as "50.0" from JSON numbers */
        if (end && *end == '.') {
            char *e2;
            double d = strtod(value, &e2);
            /* range first: converting a double beyond long long is undefined */
            if (!*e2 && isfinite(d) && fabs(d) < 9.2e18 && d == floor(d)) { v = (long long)d; end = e2; }
        }
        snprintf(range, sizeof range, "an integer from %lld to %lld", (long long)p->min, (long long)p->max);
        if (errno || !end || end == value || *end || v < p->min || v > p->max) {
            if (errstr && size)
                snprintf(errstr, size, "setting '%s' must be %s (got \"%.40s\")", p->name, range, value);
            return RUDDER_ERR_CONFIG;
        }
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", v);
        *norm = strdup(buf);
        break;
    }
    case RUDDER_PROP_BOOL: {
        int b;
        if (parse_bool(value, &b) != 0) {
            if (errstr && size) snprintf(errstr, size, "setting '%s' must be true or false (got \"%.40s\")", p->name, value);
            return RUDDER_ERR_CONFIG;
        }
        *norm = strdup(b ? "true" : "false");
        break;
    }
    case RUDDER_PROP_ENUM:
        if (!enum_has(p->choices, value)) {
            if (errstr && size) snprintf(errstr, size, "setting '%s' must be one of %s (got \"%.40s\")", p->name, p->choices, value);
            return RUDDER_ERR_CONFIG;
        }
        *norm = strdup(value);
        break;
    case RUDDER_PROP_JSON: {
        rudder_err_t e;
        char msg[128];
        cJSON *v = rj_parse(value, strlen(value), 0, &e, msg, sizeof msg);
        if (!v) {
            if (errstr && size) snprintf(errstr, size, "setting '%s' must be %s: %s", p->name, type_word(p->type), msg);
            return RUDDER_ERR_CONFIG;
        }
        rj_delete(v);
        *norm = strdup(value);
        break;
    }
    default:
        if (!rj_utf8_valid(value, strlen(value))) {
            if (errstr && size) snprintf(errstr, size, "setting '%s' is not valid UTF-8", p->name);
            return RUDDER_ERR_CONFIG;
        }
        *norm = strdup(value);
    }
    return *norm ? RUDDER_OK : RUDDER_ERR_NO_MEMORY;
}

static rudder_err_t set_index(rudder_conf_t *c, int i, const char *value, char *errstr, size_t size) {
    char *norm = NULL;
    if (value == NULL) { /* reset to default */
        free(c->vals[i]);
        c->vals[i] = NULL;
        return RUDDER_OK;
    }
    rudder_err_t e = check_value(prop_at(i), value, &norm, errstr, size);
    if (e != RUDDER_OK) return e;
    free(c->vals[i]);
    c->vals[i] = norm;
    return RUDDER_OK;
}

rudder_err_t rudder_conf_set(rudder_conf_t *c, const char *name, const char *value,
                             char *errstr, size_t size) {
    if (errstr && size) errstr[0] = '\0';
    if (!c || !name) {
        if (errstr && size) snprintf(errstr, size, "rudder_conf_set: conf and name are required");
        return RUDDER_ERR_INVALID_ARG;
    }
    int i = prop_index(alias_of(name));
    if (i < 0) return set_err(errstr, size, "unknown setting '%.60s'%s (see CONFIGURATION.md)", name, "");
    return set_index(c, i, value, errstr, size);
}

rudder_err_t rudder_conf_set_json(rudder_conf_t *c, const char *json, size_t len,
                                  char *errstr, size_t size) {
    if (errstr && size) errstr[0] = '\0';
    if (!c || !json) return RUDDER_ERR_INVALID_ARG;
    rudder_err_t e;
    char msg[128];
    cJSON *obj = rj_parse(json, len, 0, &e, msg, sizeof msg);
    if (!obj) {
        if (errstr && size) snprintf(errstr, size, "settings: %s", msg);
        return RUDDER_ERR_CONFIG;
    }
    if (!rj_is_object(obj)) {
        rj_delete(obj);
        if (errstr && size) snprintf(errstr, size, "settings must be a JSON object");
        return RUDDER_ERR_CONFIG;
    }
    e = RUDDER_OK;
    for (cJSON *m = obj->child; m && e == RUDDER_OK; m = m->next) {
        int i = prop_index(alias_of(m->string));
        if (i < 0) { e = set_err(errstr, size, "unknown setting '%.60s'%s (see CONFIGURATION.md)", m->string, ""); break; }
        const rudder_property_t *p = prop_at(i);
        if (rj_is_null(m)) { e = set_index(c, i, NULL, errstr, size); continue; }
        char *text = NULL;
        if (p->type == RUDDER_PROP_JSON) text = rj_print(m);
        else if (rj_is_object(m) && !strcmp(p->name, "persistence")) text = rj_print(m); /* {"type":"redis",...} */
        else if (rj_is_string(m) && p->type != RUDDER_PROP_BOOL) text = strdup(m->valuestring);
        else if (rj_is_bool(m) && p->type == RUDDER_PROP_BOOL) text = strdup(rj_is_true(m) ? "true" : "false");
        else if (rj_is_number(m) && p->type == RUDDER_PROP_INT) text = rj_print(m);
        else {
            if (errstr && size)
                snprintf(errstr, size, "setting '%s' must be %s%s%s", p->name, type_word(p->type),
                         p->type == RUDDER_PROP_ENUM ? " " : "", p->type == RUDDER_PROP_ENUM ? p->choices : "");
            e = RUDDER_ERR_CONFIG;
            break;
        }
        if (!text) { e = RUDDER_ERR_NO_MEMORY; break; }
        e = set_index(c, i, text, errstr, size);
        free(text);
    }
    rj_delete(obj);
    return e;
}

/* Every "password" member in the tree becomes "***"; 1 when there was one. */
static int mask_members(cJSON *o) {
    int found = 0;
    for (cJSON *m = o ? o->child : NULL; m; m = m->next) {
        if (m->string && strcmp(m->string, "password") == 0 && !(rj_is_string(m) && strcmp(m->valuestring, "***") == 0)) {
            cJSON *masked = rj_string("***");
            if (!masked || rj_set_key(masked, "password") != 0) { rj_delete(masked); continue; }
            rj_replace(o, m, masked);
            m = masked;
            found = 1;
        } else if (rj_is_object(m) || rj_is_array(m)) {
            found |= mask_members(m);
        }
    }
    return found;
}

/* A copy of a persistence value with its password replaced by "***": the password of a
 * redis://user:PASSWORD@host URL, and "password" members of a JSON object (redisOpts too). */
static char *mask_password(const char *v) {
    const char *scheme = strstr(v, "://"), *at = scheme ? strchr(scheme + 3, '@') : NULL;
    const char *colon = at ? memchr(scheme + 3, ':', (size_t)(at - scheme - 3)) : NULL;
    if (colon) {
        rbuf_t b = RBUF_INIT;
        rbuf_append(&b, v, (size_t)(colon + 1 - v));
        rbuf_puts(&b, "***");
        rbuf_puts(&b, at);
        return rbuf_detach(&b);
    }
    cJSON *o = *v == '{' ? rj_parse(v, strlen(v), 0, NULL, NULL, 0) : NULL;
    char *out = mask_members(o) ? rj_print(o) : NULL;
    rj_delete(o);
    return out ? out : strdup(v);
}

char *rudder_conf_get(const rudder_conf_t *c, const char *name) {
    if (!c || !name) return NULL;
    int i = prop_index(alias_of(name));
    if (i < 0) return NULL;
    if (strcmp(prop_at(i)->name, "writeKey") == 0) return strdup(c->vals[i] ? "***" : "");
    const char *v = c->vals[i] ? c->vals[i] : prop_at(i)->def;
    if (v && strcmp(prop_at(i)->name, "persistence") == 0) return mask_password(v);
    return strdup(v ? v : "");
}

static const char *raw(const rudder_conf_t *c, const char *name) {
    int i = prop_index(name);
    if (i < 0) return NULL;
    return c && c->vals[i] ? c->vals[i] : prop_at(i)->def;
}

const char *conf_str(const rudder_conf_t *c, const char *name) {
    const char *v = raw(c, name);
    return v ? v : "";
}

int64_t conf_int(const rudder_conf_t *c, const char *name) {
    const char *v = raw(c, name);
    return v ? strtoll(v, NULL, 10) : 0;
}

int conf_bool(const rudder_conf_t *c, const char *name) {
    const char *v = raw(c, name);
    return v && strcmp(v, "true") == 0;
}

const char *conf_json(const rudder_conf_t *c, const char *name) {
    const char *v = raw(c, name);
    return v && *v ? v : NULL;
}

int conf_is_set(const rudder_conf_t *c, const char *name) {
    int i = prop_index(name);
    return i >= 0 && c && c->vals[i] != NULL;
}

void rudder_conf_set_report_cb(rudder_conf_t *c, rudder_report_cb cb, void *opaque) {
    if (!c) return;
    c->report_cb = cb;
    c->report_opaque = opaque;
}

void rudder_conf_set_log_cb(rudder_conf_t *c, rudder_log_cb cb, void *opaque) {
    if (!c) return;
    c->log_cb = cb;
    c->log_opaque = opaque;
}

static const char *fn_base(const char *name) {
    return strncmp(name, "$fn:", 4) == 0 ? name + 4 : name;
}

rudder_err_t rudder_conf_set_fn(rudder_conf_t *c, const char *name, rudder_fn_cb fn, void *opaque) {
    if (!c || !name || !*fn_base(name) || !fn) return RUDDER_ERR_INVALID_ARG;
    name = fn_base(name);
    for (int i = 0; i < c->nfns; i++)
        if (strcmp(c->fns[i].name, name) == 0) { c->fns[i].fn = fn; c->fns[i].opaque = opaque; return RUDDER_OK; }
    if (c->nfns >= CONF_MAX_FNS) return RUDDER_ERR_CONFIG;
    char *copy = strdup(name);
    if (!copy) return RUDDER_ERR_NO_MEMORY;
    c->fns[c->nfns++] = (conf_fn_t){copy, fn, opaque};
    return RUDDER_OK;
}

int conf_find_fn(const rudder_conf_t *c, const char *name, rudder_fn_cb *fn, void **opaque) {
    if (!c || !name) return -1;
    name = fn_base(name);
    for (int i = 0; i < c->nfns; i++)
        if (strcmp(c->fns[i].name, name) == 0) {
            if (fn) *fn = c->fns[i].fn;
            if (opaque) *opaque = c->fns[i].opaque;
            return 0;
        }
    return -1;
}

void conf_set_library_suffix(rudder_conf_t *c, const char *suffix) {
    if (c) snprintf(c->library_suffix, sizeof c->library_suffix, "%s", suffix ? suffix : "");
}

rudder_err_t conf_validate_for_client(const rudder_conf_t *c, char *errstr, size_t size) {
    if (!conf_is_set(c, "writeKey") || !*conf_str(c, "writeKey"))
        return set_err(errstr, size, "setting '%s' is required%s", "writeKey", " (the source's write key)");
    const char *url = conf_str(c, "dataPlaneUrl");
    if (!*url) return set_err(errstr, size, "setting '%s' is required%s", "dataPlaneUrl", " (e.g. https://example.dataplane.rudderstack.com)");
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return set_err(errstr, size, "setting '%s' must start with http:// or https:// (got \"%.80s\")", "dataPlaneUrl", url);
    const char *path = conf_str(c, "path");
    if (*path != '/') return set_err(errstr, size, "setting '%s' must start with '/' (got \"%.60s\")", "path", path);
    if (conf_int(c, "maxEventBytes") > conf_int(c, "maxQueueSize") - 64)
        return set_err(errstr, size, "setting '%s' must be at most maxQueueSize - 64%s", "maxEventBytes", "");
    if (conf_int(c, "retryBaseDelay") > conf_int(c, "retryMaxDelay"))
        return set_err(errstr, size, "setting '%s' must not exceed %s", "retryBaseDelay", "retryMaxDelay");
    return RUDDER_OK;
}
