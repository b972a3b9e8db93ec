/* ruddercore.c — the Lua module `ruddercore` (Lua 5.4 and LuaJIT/OpenResty, one source).
 *
 * Thin by design: Lua values become JSON text (our own encoder, lua-cjson rules) or, for
 * the events dest:push and dest:map hand to the core, the core's JSON tree directly (the
 * same encoder driving json_build.h: no text to escape and parse back); the core does the
 * work, JSON text comes back as Lua values.  Sections:
 *
 *   1. handles and small helpers
 *   2. Lua -> JSON encoder (key paths in every error)
 *   3. JSON -> Lua decoder (walks the core's cJSON tree)
 *   4. callbacks: reports (delivery/failure/log) and mapping fns, always under pcall
 *   5. client:* and dest:* methods
 *   6. constructors and luaopen_ruddercore
 *
 * Rules that keep the host safe:
 *   - Encoding uses raw table access only, so no Lua code runs while C memory is held;
 *     every failure is returned as `nil, err`, and C buffers are freed before any
 *     lua_error.
 *   - Host callbacks run only inside poll/flush/close (and, for mapping fns, inside
 *     push/map) on the Lua state that made the call; the sender thread never sees Lua.
 *   - A callback body runs under lua_pcall, so a Lua error never unwinds through core
 *     frames.  Report-callback errors are re-raised after the core call returned.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ruddercore.h"
#include "base/buf.h"
#include "client/client_internal.h"
#include "base/arena.h"
#include "conf/conf.h"
#include "destination/destination.h"
#include "json/json.h"
#include "json/json_build.h"
#include "json/member_log.h"
#include "base/textscan.h"
#include "client/client_internal.h"

#include "compat.h"

#define RC_CLIENT_MT "ruddercore.client"
#define RC_DEST_MT "ruddercore.destination"
#define RC_LIBRARY_SUFFIX "ruddercore-lua"
#define RC_MAX_DEPTH RJ_DEFAULT_MAX_DEPTH
#define RC_ERRSTR 512

/* Addresses used as unique lightuserdata values and registry keys. */
static const char rc_null_key = 'n';        /* ruddercore.null  -> JSON null */
static const char rc_empty_array_key = 'e'; /* ruddercore.empty_array -> [] */
static const char rc_array_mt_key = 'a';    /* registry: ruddercore.array_mt */

/* ------------------------------------------------------------------------- */
/* 1. Handles and small helpers                                               */
/* ------------------------------------------------------------------------- */

struct rc_handle;

/* One registered mapping callback: the Lua function lives in the handle's callback
 * table under fns[name]. */
typedef struct rc_fn {
    struct rc_handle *owner;
    char name[48];
} rc_fn_t;

/* The userdata behind a client or a destination. */
typedef struct rc_handle {
    rudder_client_t *client; /* owned when dest == NULL, else the destination's */
    rudder_dest_t *dest;
    lua_State *L;            /* set only while a call that may run callbacks is active */
    int cbref;               /* registry ref to {onDelivery=, onFailure=, onLog=, fns={}} */
    char *cb_err;            /* first report-callback error of the current call */
    int closed;
    int nfns;
    rc_fn_t fns[CONF_MAX_FNS];
    int in_fn;               /* > 0 while a mapping callback runs (the core holds the
                                destination's lock: its methods must not be re-entered) */
    rbuf_t scratch;          /* reused for each call's JSON text (no malloc per event) */
    int scratch_busy;        /* a mapping callback re-entered the handle: use a fresh buffer */
} rc_handle_t;

#define RC_SCRATCH_KEEP (256 * 1024) /* larger buffers are freed after the call */

/* The buffer for one call's JSON text: the handle's scratch buffer when free. */
static rbuf_t *rc_buf_take(rc_handle_t *h, rbuf_t *local)
{
    if (h->scratch_busy) {
        rbuf_init(local);
        return local;
    }
    h->scratch_busy = 1;
    h->scratch.len = 0;
    h->scratch.oom = 0;
    return &h->scratch;
}

static void rc_buf_give(rc_handle_t *h, rbuf_t *b)
{
    if (b != &h->scratch) {
        rbuf_free(b);
        return;
    }
    if (b->cap > RC_SCRATCH_KEEP || b->oom)
        rbuf_free(b);
    h->scratch_busy = 0;
}

static rc_handle_t *rc_check_handle(lua_State *L, int idx)
{
    rc_handle_t *h = rc_testudata(L, idx, RC_CLIENT_MT);
    if (h == NULL)
        h = rc_testudata(L, idx, RC_DEST_MT);
    if (h == NULL)
        luaL_argerror(L, idx, "ruddercore client or destination expected");
    return h;
}

/* Returns `nil, message, code_name`. */
static int rc_fail(lua_State *L, const char *msg, rudder_err_t code)
{
    lua_pushnil(L);
    lua_pushstring(L, (msg && *msg) ? msg : rudder_err2str(code));
    lua_pushstring(L, rudder_err_name(code));
    return 3;
}

/* Methods of a destination can't run inside its own mapping callbacks: the core holds
 * the destination's lock there, and re-entering it would deadlock. */
#define RC_REFUSE_IN_FN(L, h)                                                                \
    do {                                                                                     \
        if ((h)->in_fn > 0)                                                                  \
            return rc_fail((L), "not allowed inside a mapping callback (fn/condition/validate) " \
                                "of the same destination", RUDDER_ERR_IN_CALLBACK);          \
    } while (0)

/* Lua integer argument with a default (timeouts). */
static int rc_opt_timeout(lua_State *L, int idx, int def)
{
    if (lua_isnoneornil(L, idx))
        return def;
    lua_Number n = luaL_checknumber(L, idx);
    if (n < 0)
        return -1;
    if (n > 2147483647.0)
        return 2147483647;
    return (int)n;
}

/* Remember a callback's error (the first one wins); the message on top is popped. */
static void rc_keep_cb_error(rc_handle_t *h, lua_State *L, const char *what)
{
    if (h->cb_err == NULL) {
        const char *m = lua_tostring(L, -1);
        size_t n = strlen(what) + (m ? strlen(m) : 20) + 4;
        h->cb_err = malloc(n);
        if (h->cb_err)
            snprintf(h->cb_err, n, "%s: %s", what, m ? m : "(error object is not a string)");
    }
    lua_pop(L, 1);
}

/* After a core call that ran report callbacks: re-raise the first callback error.
 * Frees C memory before lua_error (which does not return). */
static void rc_raise_cb_error(rc_handle_t *h, lua_State *L)
{
    if (h->cb_err == NULL)
        return;
    lua_pushstring(L, h->cb_err);
    free(h->cb_err);
    h->cb_err = NULL;
    lua_error(L);
}

/* ------------------------------------------------------------------------- */
/* 2. Lua -> JSON encoder                                                     */
/* ------------------------------------------------------------------------- */

/* Appends without the NUL rbuf keeps after each one: the encoder writes a few bytes at a
 * time and terminates once at the end. */
static inline void ob_putc(rbuf_t *b, char c)
{
    if (rbuf_reserve(b, 1) == 0)
        b->data[b->len++] = c;
}

static inline void ob_append(rbuf_t *b, const char *p, size_t n)
{
    if (rbuf_reserve(b, n) == 0) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
    }
}

#define ob_lit(b, lit) ob_append((b), (lit), sizeof(lit) - 1)

/* A table is an array when its keys are exactly 1..n (n >= 1), or when it carries
 * ruddercore.array_mt.  An empty table is an object.  Any other key mix is an error. */

typedef struct enc_frame {
    const char *key;   /* object member name, or NULL for an array index */
    size_t keylen;
    long long index;   /* 1-based Lua index when key == NULL */
} enc_frame_t;

struct encoder;
/* Decides what happens to a function value met while encoding: write a replacement
 * (return 1), leave the object member out (0, only when key != NULL), or fail (-1). */
typedef int (*enc_function_hook)(struct encoder *e, int idx, const char *key);

typedef struct encoder {
    lua_State *L;
    rbuf_t *out;                 /* JSON text, or */
    rj_builder_t *tree;          /* the core's tree (then numbers are written to num first) */
    rbuf_t num;
    rudder_err_t code;           /* the builder's error code when it refused a value */
    enc_frame_t path[RC_MAX_DEPTH + 2];
    int npath;
    const void *open[RC_MAX_DEPTH + 1]; /* tables being encoded: cycle detection */
    int nopen;
    char err[RC_ERRSTR];
    int err_has_path;            /* err starts with a key path */
    enc_function_hook on_function;
    void *hook_ud;
    rj_member_log_t *members;    /* when set: the top-level object's members, as written */
} encoder_t;

static void enc_init(encoder_t *e, lua_State *L, rbuf_t *out)
{
    memset(e, 0, sizeof *e);
    e->L = L;
    e->out = out;
}

/* Writes "<path>: <message>" into e->err. */
static int enc_fail(encoder_t *e, const char *fmt, ...)
{
    size_t used = 0;
    for (int i = 0; i < e->npath && used < sizeof e->err - 1; i++) {
        const enc_frame_t *f = &e->path[i];
        int n;
        if (f->key && !rj_utf8_valid(f->key, f->keylen))
            n = snprintf(e->err + used, sizeof e->err - used, "%s(key with invalid UTF-8)", i ? "." : "");
        else if (f->key)
            n = snprintf(e->err + used, sizeof e->err - used, "%s%.*s", i ? "." : "",
                         (int)(f->keylen > 80 ? 80 : f->keylen), f->key);
        else
            n = snprintf(e->err + used, sizeof e->err - used, "[%lld]", f->index);
        if (n > 0)
            used += (size_t)n;
    }
    if (used >= sizeof e->err)
        used = sizeof e->err - 1;
    e->err_has_path = used > 0;
    if (used > 0 && used < sizeof e->err - 3) { /* "<path>: ", nothing at the top level */
        memcpy(e->err + used, ": ", 3);
        used += 2;
    }
    if (used < sizeof e->err - 1) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->err + used, sizeof e->err - used, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int enc_value(encoder_t *e, int idx);
static int enc_typed(encoder_t *e, int idx, int type);

/* The builder refused a value (too deep, too large, a NUL in a string). */
static int enc_tree_fail(encoder_t *e)
{
    e->code = e->tree->err;
    return enc_fail(e, "%s", e->tree->why);
}

#define TREE(call) ((call) == 0 ? 0 : enc_tree_fail(e))

/* Writes s as a JSON string literal (the core escapes), or a string value of the tree;
 * as_key: the tree's next member name. */
static int enc_text(encoder_t *e, const char *str, size_t n, int as_key)
{
    if (e->tree) /* the builder checks UTF-8 in the same scan as the rest */
        return TREE(as_key ? rjb_key(e->tree, str, n) : rjb_string(e->tree, str, n));
    if (textscan_plain_prefix(str, n, 1) == n) { /* ASCII with nothing to escape: most strings */
        rbuf_json_plain(e->out, str, n);
        return 0;
    }
    size_t bad_at = 0;
    if (!rj_utf8_check(str, n, &bad_at))
        return enc_fail(e, "string is not valid UTF-8 (byte %zu)", bad_at + 1);
    rbuf_json_string(e->out, str, n); /* oom is reported once at the end */
    return 0;
}

#define enc_string(e, str, n) enc_text((e), (str), (n), 0)

/* Fixed JSON text (null, true, false, []) as text or as the tree's value. */
static int enc_literal(encoder_t *e, char c)
{
    if (e->tree) {
        switch (c) {
        case 'n': return TREE(rjb_null(e->tree));
        case 't': return TREE(rjb_bool(e->tree, 1));
        case 'f': return TREE(rjb_bool(e->tree, 0));
        default: return TREE(rjb_begin(e->tree, 0) || rjb_end(e->tree));
        }
    }
    switch (c) {
    case 'n': ob_lit(e->out, "null"); break;
    case 't': ob_lit(e->out, "true"); break;
    case 'f': ob_lit(e->out, "false"); break;
    default: ob_lit(e->out, "[]");
    }
    return 0;
}

static void ob_int(rbuf_t *b, long long v)
{
    char tmp[RJ_INT_MAX];
    ob_append(b, tmp, rj_format_integer(v, tmp));
}

static int enc_number_text(encoder_t *e, int idx, rbuf_t *o)
{
    char tmp[64];
    if (rc_isinteger(e->L, idx)) {
        ob_int(o, (long long)lua_tointeger(e->L, idx));
        return 0;
    }
    double d = (double)lua_tonumber(e->L, idx);
    if (isnan(d))
        return enc_fail(e, "NaN can't be represented in JSON");
    if (isinf(d))
        return enc_fail(e, "%s can't be represented in JSON", d > 0 ? "inf" : "-inf");
#if LUA_VERSION_NUM < 503
    /* Every LuaJIT number is a double: integral values below 2^53 print as integers. */
    if (floor(d) == d && fabs(d) < 9007199254740992.0) {
        ob_int(o, (long long)d);
        return 0;
    }
#endif
    char fixed[RJ_FIXED6_MAX];
    size_t flen = rj_format_fixed6(d, fixed);
    if (flen) {
        ob_append(o, fixed, flen);
        return 0;
    }
    /* Shortest text that reads back as the same double. */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
#if LUA_VERSION_NUM >= 503
    if (strpbrk(tmp, ".eEn") == NULL)
        strcat(tmp, ".0");
#endif
    ob_append(o, tmp, strlen(tmp));
    return 0;
}

/* A number as JSON text, or as the tree's number (from the same text). */
static int enc_number(encoder_t *e, int idx)
{
    if (!e->tree)
        return enc_number_text(e, idx, e->out);
    if (rc_isinteger(e->L, idx))
        return TREE(rjb_integer(e->tree, (long long)lua_tointeger(e->L, idx)));
#if LUA_VERSION_NUM < 503
    double d = (double)lua_tonumber(e->L, idx); /* integral doubles are integers, as in text */
    if (floor(d) == d && fabs(d) < 9007199254740992.0)
        return TREE(rjb_integer(e->tree, (long long)d));
#endif
    e->num.len = 0;
    if (enc_number_text(e, idx, &e->num) != 0)
        return -1;
    if (e->num.oom) {
        e->code = RUDDER_ERR_NO_MEMORY;
        return enc_fail(e, "out of memory");
    }
    return TREE(rjb_number(e->tree, e->num.data, e->num.len));
}

/* The error for a key that can't be an object member name (key at kidx). */
static int enc_bad_key(encoder_t *e, int kidx)
{
    lua_State *L = e->L;
    if (lua_type(L, kidx) == LUA_TNUMBER) {
        char tmp[40];
        snprintf(tmp, sizeof tmp, "%.14g", (double)lua_tonumber(L, kidx));
        return enc_fail(e, "key %s is not a string (an array's keys must be exactly 1..n)", tmp);
    }
    return enc_fail(e, "key of type %s is not a string", luaL_typename(L, kidx));
}

/* Classifies the table at idx: 1 array (*n = length), 0 object, -1 error. */
static int enc_table_kind(encoder_t *e, int idx, long long *n)
{
    lua_State *L = e->L;
    *n = 0;
    if (lua_getmetatable(L, idx)) {
        lua_pushlightuserdata(L, (void *)&rc_array_mt_key);
        lua_rawget(L, LUA_REGISTRYINDEX);
        int is_array = lua_rawequal(L, -1, -2);
        lua_pop(L, 2);
        if (is_array) {
            *n = (long long)rc_rawlen(L, idx);
            return 1;
        }
    }
    /* No t[1]: an object (or empty); its keys are checked while it is written. */
    if (rc_rawlen(L, idx) == 0)
        return 0;
    long long nint = 0, max = 0, nstr = 0;
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        lua_pop(L, 1); /* value */
        int kt = lua_type(L, -1);
        if (kt == LUA_TSTRING) {
            nstr++;
        } else if (kt == LUA_TNUMBER) {
            double k = (double)lua_tonumber(L, -1);
            if (k < 1 || floor(k) != k || k > 9007199254740992.0) {
                int rc = enc_bad_key(e, lua_gettop(L));
                lua_pop(L, 1);
                return rc;
            }
            nint++;
            if ((long long)k > max)
                max = (long long)k;
        } else {
            int rc = enc_bad_key(e, lua_gettop(L));
            lua_pop(L, 1);
            return rc;
        }
    }
    if (nint > 0 && nstr > 0)
        return enc_fail(e, "table mixes string keys and array indices (object keys must be strings)");
    if (nint > 0 && max != nint)
        return enc_fail(e, "sparse array: keys are not exactly 1..n (%lld keys, largest %lld)", nint, max);
    *n = nint;
    return nint > 0 ? 1 : 0;
}

static int enc_table(encoder_t *e, int idx)
{
    lua_State *L = e->L;
    const void *self = lua_topointer(L, idx);
    for (int i = 0; i < e->nopen; i++)
        if (e->open[i] == self)
            return enc_fail(e, "cycle: the table contains itself");
    if (e->nopen >= RC_MAX_DEPTH)
        return enc_fail(e, "nesting deeper than %d levels", RC_MAX_DEPTH);
    if (!lua_checkstack(L, 6))
        return enc_fail(e, "Lua stack exhausted");

    long long n;
    int kind = enc_table_kind(e, idx, &n);
    if (kind < 0)
        return -1;
    if (e->tree && rjb_begin(e->tree, kind != 1) != 0)
        return enc_tree_fail(e);
    e->open[e->nopen++] = self;
    int rc = 0;
    if (kind == 1) {
        if (!e->tree)
            ob_putc(e->out, '[');
        for (long long i = 1; i <= n && rc == 0; i++) {
            if (i > 1 && !e->tree)
                ob_putc(e->out, ',');
            e->path[e->npath++] = (enc_frame_t){NULL, 0, i};
            lua_rawgeti(L, idx, (int)i);
            int vidx = lua_gettop(L), vtype = lua_type(L, vidx);
            if (vtype == LUA_TFUNCTION && e->on_function) {
                rc = e->on_function(e, vidx, NULL) == 1 ? 0 : -1;
            } else if (vtype == LUA_TNIL) {
                rc = enc_literal(e, 'n'); /* array_mt tables may have holes */
            } else {
                rc = enc_typed(e, vidx, vtype);
            }
            lua_pop(L, 1);
            e->npath--;
        }
        if (!e->tree)
            ob_putc(e->out, ']');
    } else {
        int first = 1;
        if (!e->tree)
            ob_putc(e->out, '{');
        lua_pushnil(L);
        while (rc == 0 && lua_next(L, idx) != 0) {
            int vidx = lua_gettop(L);
            if (lua_type(L, vidx - 1) != LUA_TSTRING) {
                rc = enc_bad_key(e, vidx - 1);
                lua_pop(L, 1); /* value; the key is popped below */
                break;
            }
            size_t klen;
            const char *k = lua_tolstring(L, vidx - 1, &klen); /* a string: checked above */
            e->path[e->npath++] = (enc_frame_t){k, klen, 0};
            int vtype = lua_type(L, vidx); /* one call: each costs as much as the work here */
            if (vtype == LUA_TFUNCTION && e->on_function) {
                if (e->members)
                    e->members->unusable = 1; /* a member that may be left out: scan instead */
                size_t mark = e->out->len;
                if (!first)
                    ob_putc(e->out, ',');
                if ((rc = enc_string(e, k, klen)) == 0) {
                    ob_putc(e->out, ':');
                    int h = e->on_function(e, vidx, k);
                    if (h == 0)
                        e->out->len = mark; /* member left out */
                    else if (h < 0)
                        rc = -1;
                    else
                        first = 0;
                }
            } else if (e->tree) {
                if ((rc = enc_text(e, k, klen, 1)) == 0)
                    rc = enc_typed(e, vidx, vtype);
            } else {
                if (!first)
                    ob_putc(e->out, ',');
                first = 0;
                size_t key_at = e->out->len;
                if ((rc = enc_string(e, k, klen)) == 0) {
                    ob_putc(e->out, ':');
                    size_t val_at = e->out->len;
                    rc = enc_typed(e, vidx, vtype);
                    if (rc == 0 && e->members && e->nopen == 1) /* "key": between the quotes */
                        rjm_add(e->members, e->out, key_at + 1, val_at - key_at - 3, val_at);
                }
            }
            e->npath--;
            lua_pop(L, 1); /* value; key stays for lua_next */
        }
        if (rc != 0)
            lua_pop(L, 1); /* the key lua_next left */
        if (!e->tree)
            ob_putc(e->out, '}');
    }
    e->nopen--;
    if (rc == 0 && e->tree)
        rc = TREE(rjb_end(e->tree));
    return rc;
}

/* Encodes the value at idx (an absolute index), of Lua type type, into e->out. */
static int enc_typed(encoder_t *e, int idx, int type)
{
    lua_State *L = e->L;
    switch (type) {
    case LUA_TNIL:
        return enc_literal(e, 'n');
    case LUA_TBOOLEAN:
        return enc_literal(e, lua_toboolean(L, idx) ? 't' : 'f');
    case LUA_TNUMBER:
        return enc_number(e, idx);
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        return enc_string(e, s, n);
    }
    case LUA_TTABLE:
        return enc_table(e, idx);
    case LUA_TLIGHTUSERDATA: {
        void *p = lua_touserdata(L, idx);
        if (p == (void *)&rc_null_key)
            return enc_literal(e, 'n');
        if (p == (void *)&rc_empty_array_key)
            return enc_literal(e, 'a');
        return enc_fail(e, "a light userdata can't be converted to JSON (use ruddercore.null for null)");
    }
    default:
        return enc_fail(e, "a %s can't be converted to JSON", luaL_typename(L, idx));
    }
}

/* Encodes the value at idx (any index) into e->out. */
static int enc_value(encoder_t *e, int idx)
{
    if (idx < 0)
        idx = lua_gettop(e->L) + idx + 1;
    return enc_typed(e, idx, lua_type(e->L, idx));
}

/* Encodes the value at idx into out; on failure writes the message into err and
 * leaves out's content undefined.  0 on success.  members (may be NULL) receives the
 * top-level object's members as written. */
static int rc_encode_logged(lua_State *L, int idx, rbuf_t *out, rj_member_log_t *members, char *err,
                            size_t errsz)
{
    encoder_t e;
    enc_init(&e, L, out);
    e.members = members;
    int top = lua_gettop(L);
    int rc = enc_value(&e, idx);
    lua_settop(L, top);
    if (rc == 0 && rbuf_reserve(out, 0) == 0)
        out->data[out->len] = '\0'; /* the core reads it with a length, C users with strlen */
    if (rc == 0 && out->oom) {
        snprintf(e.err, sizeof e.err, "out of memory");
        rc = -1;
    }
    if (rc != 0)
        snprintf(err, errsz, "%s", e.err);
    return rc;
}

static int rc_encode(lua_State *L, int idx, rbuf_t *out, char *err, size_t errsz)
{
    return rc_encode_logged(L, idx, out, NULL, err, errsz);
}

/* The event table at idx as the core's tree, built in the caller's arena scope (no JSON
 * text in between).  NULL on failure, with "event: <path>: <what>" in err and the error
 * code in *code; an event the core's limits refuse counts as invalid, as bad text does. */
static cJSON *rc_event_tree(lua_State *L, int idx, rudder_dest_t *dest, char *err, size_t errsz,
                            rudder_err_t *code)
{
    rj_builder_t tree;
    dest_event_builder(&tree, 1); /* Lua strings are bytes: check UTF-8 */
    encoder_t enc, *e = &enc;
    enc_init(e, L, NULL);
    e->tree = &tree;
    int top = lua_gettop(L);
    int rc = enc_value(e, idx);
    lua_settop(L, top);
    cJSON *root = dest_event_take(dest, &tree, rc == 0);
    if (!root) {
        snprintf(err, errsz, "event: %.480s", e->err);
        *code = e->code != RUDDER_OK ? e->code : RUDDER_ERR_EVENT;
    }
    rbuf_free(&e->num);
    return root;
}

/* The message argument of a call: a table (encoded; its members logged into members, when
 * not NULL, if it is an object) or JSON text (used as is). */
static int rc_arg_json(lua_State *L, int idx, rbuf_t *buf, rj_member_log_t *members, const char **text,
                       size_t *len, char *err, size_t errsz)
{
    if (lua_type(L, idx) == LUA_TSTRING) {
        *text = lua_tolstring(L, idx, len);
        if (members)
            members->unusable = 1;
        return 0;
    }
    if (lua_type(L, idx) != LUA_TTABLE) {
        snprintf(err, errsz, "expected a table or JSON text, got %s", luaL_typename(L, idx));
        return -1;
    }
    if (rc_encode_logged(L, idx, buf, members, err, errsz) != 0)
        return -1;
    *text = rbuf_cstr(buf);
    *len = buf->len;
    if (members && (*len == 0 || (*text)[0] != '{'))
        members->unusable = 1; /* an array: the core's scan names the error */
    return 0;
}

/* ------------------------------------------------------------------------- */
/* 3. JSON -> Lua decoder                                                     */
/* ------------------------------------------------------------------------- */

static void rc_push_null(lua_State *L)
{
    lua_pushlightuserdata(L, (void *)&rc_null_key);
}

/* Numbers: on 5.3+ a literal without '.', 'e' that fits in 64 bits is an integer. */
static void dec_number(lua_State *L, const cJSON *v)
{
#if LUA_VERSION_NUM >= 503
    const char *lit = v->valuestring;
    if (lit != NULL) {
        if (strpbrk(lit, ".eE") == NULL) {
            errno = 0;
            char *end;
            long long i = strtoll(lit, &end, 10);
            if (errno == 0 && *end == '\0') {
                lua_pushinteger(L, (lua_Integer)i);
                return;
            }
        }
    } else if (rj_is_integral(v) && fabs(v->valuedouble) < 9223372036854775807.0) {
        lua_pushinteger(L, (lua_Integer)v->valuedouble);
        return;
    }
#endif
    lua_pushnumber(L, (lua_Number)v->valuedouble);
}

/* Pushes the Lua value of v.  Arrays get ruddercore.array_mt so that an empty array
 * encodes back as [].  Raises only on memory errors (callers run it under pcall
 * or hold no C memory). */
static void dec_value(lua_State *L, const cJSON *v)
{
    luaL_checkstack(L, 4, "JSON nesting too deep");
    if (cJSON_IsNumber(v)) {
        dec_number(L, v);
    } else if (cJSON_IsString(v)) {
        lua_pushstring(L, v->valuestring ? v->valuestring : "");
    } else if (cJSON_IsTrue(v)) {
        lua_pushboolean(L, 1);
    } else if (cJSON_IsFalse(v)) {
        lua_pushboolean(L, 0);
    } else if (cJSON_IsArray(v)) {
        int n = cJSON_GetArraySize(v), i = 1;
        lua_createtable(L, n, 0);
        for (const cJSON *c = v->child; c; c = c->next) {
            dec_value(L, c);
            lua_rawseti(L, -2, i++);
        }
        lua_pushlightuserdata(L, (void *)&rc_array_mt_key);
        lua_rawget(L, LUA_REGISTRYINDEX);
        lua_setmetatable(L, -2);
    } else if (cJSON_IsObject(v)) {
        lua_createtable(L, 0, cJSON_GetArraySize(v));
        for (const cJSON *c = v->child; c; c = c->next) {
            lua_pushstring(L, c->string ? c->string : "");
            dec_value(L, c);
            lua_rawset(L, -3);
        }
    } else {
        rc_push_null(L);
    }
}

/* Parses JSON text with the core's strict parser and pushes the value.
 * Returns 1 (value pushed) or 0 (err written, nothing pushed).  The cJSON tree is
 * freed before returning; dec_value raises only when Lua itself is out of memory
 * (the tree then leaks: there is nothing better to do at that point). */
static int rc_push_json(lua_State *L, const char *text, size_t len, char *err, size_t errsz)
{
    rudder_err_t code;
    cJSON *v = rj_parse(text, len, 0, &code, err, errsz);
    if (v == NULL)
        return 0;
    dec_value(L, v);
    rj_delete(v);
    return 1;
}

/* Pushes a library-returned JSON text as a value and frees it. */
static int rc_push_owned_json(lua_State *L, char *text)
{
    char err[RC_ERRSTR];
    if (text == NULL)
        return rc_fail(L, "out of memory", RUDDER_ERR_NO_MEMORY);
    rudder_err_t code;
    cJSON *v = rj_parse(text, strlen(text), 0, &code, err, sizeof err);
    rudder_free(text);
    if (v == NULL)
        return rc_fail(L, err, code);
    dec_value(L, v);
    rj_delete(v);
    return 1;
}

/* ------------------------------------------------------------------------- */
/* 4. Callbacks                                                               */
/* ------------------------------------------------------------------------- */

static const char *rc_level_name(rudder_log_level_t l)
{
    switch (l) {
    case RUDDER_LOG_DEBUG: return "debug";
    case RUDDER_LOG_INFO: return "info";
    case RUDDER_LOG_WARN: return "warn";
    default: return "error";
    }
}

static const char *rc_kind_name(rudder_report_kind_t k)
{
    switch (k) {
    case RUDDER_REPORT_DELIVERED: return "delivered";
    case RUDDER_REPORT_FAILED: return "failed";
    case RUDDER_REPORT_DROPPED: return "dropped";
    default: return "log";
    }
}

/* Pushes the handle's callback table (or nil). */
static void rc_push_callbacks(lua_State *L, rc_handle_t *h)
{
    if (h->cbref == LUA_NOREF || h->cbref == LUA_REFNIL)
        lua_pushnil(L);
    else
        lua_rawgeti(L, LUA_REGISTRYINDEX, h->cbref);
}

/* Sets t[field] = decoded JSON text (nil when text is NULL or unparsable). */
static void rc_set_json_field(lua_State *L, const char *field, const char *text)
{
    char err[64];
    if (text && rc_push_json(L, text, strlen(text), err, sizeof err))
        lua_setfield(L, -2, field);
}

/* Protected body of a report callback: (report*, handle*). */
static int rc_report_dispatch(lua_State *L)
{
    const rudder_report_t *r = lua_touserdata(L, 1);
    rc_handle_t *h = lua_touserdata(L, 2);
    const char *field = r->kind == RUDDER_REPORT_DELIVERED ? "onDelivery"
                        : r->kind == RUDDER_REPORT_LOG     ? "onLog"
                                                           : "onFailure";
    rc_push_callbacks(L, h);
    if (!lua_istable(L, -1))
        return 0;
    lua_getfield(L, -1, field);
    if (!lua_isfunction(L, -1))
        return 0;
    if (r->kind == RUDDER_REPORT_LOG) {
        lua_pushstring(L, rc_level_name(r->level));
        lua_pushstring(L, r->message ? r->message : "");
        lua_call(L, 2, 0);
        return 0;
    }
    lua_createtable(L, 0, 8);
    lua_pushstring(L, rc_kind_name(r->kind));
    lua_setfield(L, -2, "kind");
    lua_pushinteger(L, (lua_Integer)r->count);
    lua_setfield(L, -2, "count");
    lua_pushinteger(L, r->http_status);
    lua_setfield(L, -2, "status");
    lua_pushstring(L, r->message ? r->message : "");
    lua_setfield(L, -2, "message");
    if (r->err != RUDDER_OK) {
        lua_pushstring(L, rudder_err_name(r->err));
        lua_setfield(L, -2, "error");
    }
    rc_set_json_field(L, "messageIds", r->message_ids);
    rc_set_json_field(L, "events", r->events);
    lua_call(L, 1, 0);
    return 0;
}

/* The core's report callback: runs only inside poll/flush/close on h->L. */
static void rc_report_cb(const rudder_report_t *report, void *opaque)
{
    rc_handle_t *h = opaque;
    lua_State *L = h->L;
    if (L == NULL)
        return; /* closing from __gc: reports are only counted */
    if (!lua_checkstack(L, 8))
        return;
    lua_pushcfunction(L, rc_report_dispatch);
    lua_pushlightuserdata(L, (void *)report);
    lua_pushlightuserdata(L, h);
    if (lua_pcall(L, 2, 0, 0) != LUA_OK)
        rc_keep_cb_error(h, L, report->kind == RUDDER_REPORT_LOG ? "onLog callback"
                               : report->kind == RUDDER_REPORT_DELIVERED ? "onDelivery callback"
                                                                         : "onFailure callback");
}

typedef struct rc_fn_call {
    rc_fn_t *fn;
    const char *value_json;
    const char *context_json;
    char *result;  /* malloc'd JSON text or NULL */
    char err[RC_ERRSTR];
} rc_fn_call_t;

/* Protected body of a mapping callback: (rc_fn_call_t*). */
static int rc_fn_dispatch(lua_State *L)
{
    rc_fn_call_t *call = lua_touserdata(L, 1);
    rc_push_callbacks(L, call->fn->owner);
    lua_getfield(L, -1, "fns");
    lua_getfield(L, -1, call->fn->name);
    if (!lua_isfunction(L, -1))
        return luaL_error(L, "mapping function '%s' is gone", call->fn->name);
    if (call->value_json == NULL) {
        lua_pushnil(L);
    } else if (!rc_push_json(L, call->value_json, strlen(call->value_json), call->err, sizeof call->err)) {
        return luaL_error(L, "bad value from core: %s", call->err);
    }
    if (!rc_push_json(L, call->context_json, strlen(call->context_json), call->err, sizeof call->err))
        lua_pushnil(L);
    lua_call(L, 2, 1);
    if (lua_isnil(L, -1))
        return 0; /* undefined */
    rbuf_t out = RBUF_INIT;
    if (rc_encode(L, lua_gettop(L), &out, call->err, sizeof call->err) != 0) {
        rbuf_free(&out);
        return luaL_error(L, "result of '%s': %s", call->fn->name, call->err);
    }
    call->result = rbuf_detach(&out);
    return 0;
}

/* The core's mapping callback (fn/condition/validate); runs inside push/map. */
static char *rc_fn_cb(const char *value_json, const char *context_json, void *opaque, int *failed)
{
    rc_fn_t *fn = opaque;
    lua_State *L = fn->owner->L;
    if (L == NULL || !lua_checkstack(L, 8)) {
        *failed = 1;
        return NULL;
    }
    rc_fn_call_t call = {fn, value_json, context_json ? context_json : "null", NULL, {0}};
    lua_pushcfunction(L, rc_fn_dispatch);
    lua_pushlightuserdata(L, &call);
    fn->owner->in_fn++;
    int rc = lua_pcall(L, 1, 0, 0);
    fn->owner->in_fn--;
    if (rc != LUA_OK) {
        lua_pop(L, 1);
        free(call.result);
        *failed = 1;
        return NULL;
    }
    return call.result;
}

/* Registers the function at the top of the stack as mapping callback `name`: stored
 * in callbacks.fns[name] (callbacks table at cbidx) and in conf. */
static int rc_register_fn(lua_State *L, rc_handle_t *h, int cbidx, const char *name,
                          rudder_conf_t *conf, char *err, size_t errsz)
{
    if (h->nfns >= CONF_MAX_FNS) {
        snprintf(err, errsz, "too many mapping functions (at most %d)", CONF_MAX_FNS);
        return -1;
    }
    if (strlen(name) >= sizeof h->fns[0].name) {
        snprintf(err, errsz, "mapping function name '%.40s...' is too long", name);
        return -1;
    }
    rc_fn_t *fn = &h->fns[h->nfns];
    fn->owner = h;
    snprintf(fn->name, sizeof fn->name, "%s", name);
    lua_getfield(L, cbidx, "fns");
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, name);
    lua_pop(L, 1);
    rudder_err_t e = rudder_conf_set_fn(conf, name, rc_fn_cb, fn);
    if (e != RUDDER_OK) {
        snprintf(err, errsz, "mapping function '%s': %s", name, rudder_err2str(e));
        return -1;
    }
    h->nfns++;
    return 0;
}

/* ------------------------------------------------------------------------- */
/* 5. Methods                                                                 */
/* ------------------------------------------------------------------------- */

static int rc_is_closed(lua_State *L, rc_handle_t *h)
{
    return h->closed || h->client == NULL;
}

static int rc_call(lua_State *L, rudder_call_type_t type)
{
    rc_handle_t *h = luaL_checkudata(L, 1, RC_CLIENT_MT);
    char err[RC_ERRSTR] = "";
    char msgid[40] = "";
    rbuf_t local, *buf;
    const char *text;
    size_t len;
    if (rc_is_closed(L, h))
        return rc_fail(L, "client is closed", RUDDER_ERR_CLOSED);
    buf = rc_buf_take(h, &local);
    rj_member_log_t log;
    log.n = log.unusable = 0;
    if (rc_arg_json(L, 2, buf, &log, &text, &len, err, sizeof err) != 0) {
        rc_buf_give(h, buf);
        char msg[RC_ERRSTR + 32];
        snprintf(msg, sizeof msg, "%s: %s", rudder_call_name(type), err);
        return rc_fail(L, msg, RUDDER_ERR_INVALID_ARG);
    }
    rj_member_t members[RJM_MAX];
    int n = rjm_members(&log, text, members);
    rudder_err_t e = n >= 0 ? client_call_members(h->client, type, members, n, err, sizeof err, msgid, sizeof msgid)
                            : rudder_call(h->client, type, text, len, err, sizeof err, msgid, sizeof msgid);
    rc_buf_give(h, buf);
    if (e != RUDDER_OK)
        return rc_fail(L, err, e);
    lua_pushboolean(L, 1);
    lua_pushstring(L, msgid);
    return 2;
}

static int rc_track(lua_State *L) { return rc_call(L, RUDDER_TRACK); }
static int rc_identify(lua_State *L) { return rc_call(L, RUDDER_IDENTIFY); }
static int rc_group(lua_State *L) { return rc_call(L, RUDDER_GROUP); }
static int rc_page(lua_State *L) { return rc_call(L, RUDDER_PAGE); }
static int rc_screen(lua_State *L) { return rc_call(L, RUDDER_SCREEN); }
static int rc_alias(lua_State *L) { return rc_call(L, RUDDER_ALIAS); }

/* client:poll([timeout_ms=0]) -> number of reports served */
static int rc_poll(lua_State *L)
{
    rc_handle_t *h = rc_check_handle(L, 1);
    RC_REFUSE_IN_FN(L, h);
    int timeout = rc_opt_timeout(L, 2, 0);
    if (rc_is_closed(L, h)) {
        lua_pushinteger(L, 0);
        return 1;
    }
    lua_State *saved = h->L;
    h->L = L;
    int n = rudder_poll(h->client, timeout);
    h->L = saved;
    rc_raise_cb_error(h, L);
    lua_pushinteger(L, n);
    return 1;
}

/* client:flush([timeout_ms=-1]) -> true | nil, err, code, remaining */
static int rc_flush(lua_State *L)
{
    rc_handle_t *h = rc_check_handle(L, 1);
    RC_REFUSE_IN_FN(L, h);
    int timeout = rc_opt_timeout(L, 2, -1);
    if (rc_is_closed(L, h))
        return rc_fail(L, "client is closed", RUDDER_ERR_CLOSED);
    size_t remaining = 0;
    lua_State *saved = h->L;
    h->L = L;
    rudder_err_t e = rudder_flush(h->client, timeout, &remaining);
    h->L = saved;
    rc_raise_cb_error(h, L);
    if (e == RUDDER_OK || (timeout == 0 && e == RUDDER_ERR_TIMEOUT)) {
        lua_pushboolean(L, 1); /* timeout 0: the send was triggered, nothing waited for */
        return 1;
    }
    char msg[128];
    if (e == RUDDER_ERR_TIMEOUT)
        snprintf(msg, sizeof msg, "flush timed out with %zu events pending", remaining);
    else
        snprintf(msg, sizeof msg, "flush: %s", rudder_err2str(e));
    rc_fail(L, msg, e);
    lua_pushinteger(L, (lua_Integer)remaining);
    return 4;
}

/* Closes the core object.  run_callbacks: serve reports on L (else only count them). */
static rudder_err_t rc_close_handle(rc_handle_t *h, lua_State *L, int timeout, size_t *lost)
{
    *lost = 0;
    if (h->closed || h->client == NULL)
        return RUDDER_OK;
    lua_State *saved = h->L;
    h->L = L;
    rudder_err_t e = rudder_close(h->client, timeout, lost);
    h->L = saved;
    if (e != RUDDER_ERR_IN_CALLBACK && e != RUDDER_ERR_INVALID_ARG)
        h->closed = 1;
    return e;
}

static int rc_close_timeout(rc_handle_t *h)
{
    if (h->client == NULL)
        return 0;
    return (int)conf_int(client_conf(h->client), "closeTimeout");
}

/* client:close([timeout_ms=closeTimeout]) -> true | nil, err, code, lost */
static int rc_close(lua_State *L)
{
    rc_handle_t *h = rc_check_handle(L, 1);
    RC_REFUSE_IN_FN(L, h);
    int timeout = rc_opt_timeout(L, 2, rc_close_timeout(h));
    size_t lost = 0;
    rudder_err_t e = rc_close_handle(h, L, timeout, &lost);
    rc_raise_cb_error(h, L);
    if (e == RUDDER_OK && lost == 0) {
        lua_pushboolean(L, 1);
        return 1;
    }
    char msg[128];
    snprintf(msg, sizeof msg, "close: %zu events were not delivered", lost);
    rc_fail(L, msg, e != RUDDER_OK ? e : RUDDER_ERR_SHUTDOWN);
    lua_pushinteger(L, (lua_Integer)lost);
    return 4;
}

/* __close (5.4): like close() with the default timeout, never raises. */
static int rc_mm_close(lua_State *L)
{
    rc_handle_t *h = rc_check_handle(L, 1);
    size_t lost;
    rc_close_handle(h, L, rc_close_timeout(h), &lost);
    free(h->cb_err);
    h->cb_err = NULL;
    return 0;
}

/* __gc: close without running Lua callbacks (reports are counted), then free. */
static int rc_mm_gc(lua_State *L)
{
    rc_handle_t *h = rc_check_handle(L, 1);
    h->L = NULL;
    if (h->dest)
        rudder_dest_destroy(h->dest);
    else
        rudder_client_destroy(h->client);
    h->dest = NULL;
    h->client = NULL;
    h->closed = 1;
    free(h->cb_err);
    h->cb_err = NULL;
    rbuf_free(&h->scratch);
    if (h->cbref != LUA_NOREF) {
        luaL_unref(L, LUA_REGISTRYINDEX, h->cbref);
        h->cbref = LUA_NOREF;
    }
    return 0;
}

/* client:stats() -> table */
static int rc_stats(lua_State *L)
{
    rc_handle_t *h = rc_check_handle(L, 1);
    RC_REFUSE_IN_FN(L, h);
    if (h->client == NULL)
        return rc_fail(L, "client is gone", RUDDER_ERR_CLOSED);
    return rc_push_owned_json(L, h->dest ? rudder_dest_stats(h->dest) : rudder_stats(h->client));
}

/* client:queue_length() -> events accepted and not yet final */
static int rc_queue_length(lua_State *L)
{
    rc_handle_t *h = rc_check_handle(L, 1);
    lua_pushinteger(L, h->client ? (lua_Integer)rudder_queue_length(h->client) : 0);
    return 1;
}

static int rc_tostring(lua_State *L)
{
    rc_handle_t *h = rc_check_handle(L, 1);
    lua_pushfstring(L, "%s (%s): %p", h->dest ? RC_DEST_MT : RC_CLIENT_MT,
                    h->closed ? "closed" : "open", (void *)h);
    return 1;
}

/* dest:push(event) -> true | nil, err, code */
static int rc_dest_push(lua_State *L)
{
    rc_handle_t *h = luaL_checkudata(L, 1, RC_DEST_MT);
    RC_REFUSE_IN_FN(L, h);
    char err[RC_ERRSTR] = "";
    rbuf_t local, *buf;
    const char *text;
    size_t len;
    if (rc_is_closed(L, h))
        return rc_fail(L, "destination is closed", RUDDER_ERR_CLOSED);
    if (lua_type(L, 2) == LUA_TTABLE) {
        rudder_err_t e = RUDDER_OK;
        rj_scope_t scope = rj_scope_open();
        cJSON *event = rc_event_tree(L, 2, h->dest, err, sizeof err, &e);
        if (event) {
            lua_State *saved = h->L;
            h->L = L;
            e = dest_push_tree(h->dest, event, err, sizeof err);
            h->L = saved;
        }
        rj_scope_close(scope);
        if (e != RUDDER_OK && e != RUDDER_ERR_IGNORED)
            return rc_fail(L, err, e);
        lua_pushboolean(L, 1);
        return 1;
    }
    buf = rc_buf_take(h, &local);
    if (rc_arg_json(L, 2, buf, NULL, &text, &len, err, sizeof err) != 0) {
        rc_buf_give(h, buf);
        char msg[RC_ERRSTR + 16];
        snprintf(msg, sizeof msg, "event: %s", err);
        return rc_fail(L, msg, RUDDER_ERR_EVENT);
    }
    lua_State *saved = h->L;
    h->L = L;
    rudder_err_t e = rudder_dest_push(h->dest, text, len, err, sizeof err);
    h->L = saved;
    rc_buf_give(h, buf);
    if (e != RUDDER_OK && e != RUDDER_ERR_IGNORED)
        return rc_fail(L, err, e);
    lua_pushboolean(L, 1);
    return 1;
}

/* dest:map(event) -> { {method, params}, ... } | nil, err, code  (dry run, sends nothing) */
static int rc_dest_map(lua_State *L)
{
    rc_handle_t *h = luaL_checkudata(L, 1, RC_DEST_MT);
    RC_REFUSE_IN_FN(L, h);
    char err[RC_ERRSTR] = "";
    rbuf_t buf = RBUF_INIT;
    const char *text;
    size_t len;
    if (h->dest == NULL)
        return rc_fail(L, "destination is gone", RUDDER_ERR_CLOSED);
    if (lua_type(L, 2) == LUA_TTABLE) {
        rudder_err_t e = RUDDER_OK;
        char *calls = NULL;
        rj_scope_t scope = rj_scope_open();
        cJSON *event = rc_event_tree(L, 2, h->dest, err, sizeof err, &e);
        if (event) {
            lua_State *saved = h->L;
            h->L = L;
            calls = dest_map_tree(h->dest, event, &e, err, sizeof err);
            h->L = saved;
        }
        rj_scope_close(scope);
        if (calls == NULL)
            return rc_fail(L, err, e != RUDDER_OK ? e : RUDDER_ERR_NO_MEMORY);
        return rc_push_owned_json(L, calls);
    }
    if (rc_arg_json(L, 2, &buf, NULL, &text, &len, err, sizeof err) != 0) {
        rbuf_free(&buf);
        char msg[RC_ERRSTR + 16];
        snprintf(msg, sizeof msg, "event: %s", err);
        return rc_fail(L, msg, RUDDER_ERR_EVENT);
    }
    rudder_err_t e = RUDDER_OK;
    lua_State *saved = h->L;
    h->L = L;
    char *calls = rudder_dest_map(h->dest, text, len, &e, err, sizeof err);
    h->L = saved;
    rbuf_free(&buf);
    if (calls == NULL)
        return rc_fail(L, err, e != RUDDER_OK ? e : RUDDER_ERR_NO_MEMORY);
    return rc_push_owned_json(L, calls);
}

/* dest:command(name, data) -> true | nil, err, code   (e.g. "consent", {marketing=true}) */
static int rc_dest_command(lua_State *L)
{
    rc_handle_t *h = luaL_checkudata(L, 1, RC_DEST_MT);
    RC_REFUSE_IN_FN(L, h);
    const char *name = luaL_checkstring(L, 2);
    char err[RC_ERRSTR] = "";
    rbuf_t buf = RBUF_INIT;
    const char *text = "null";
    size_t len = 4;
    if (h->dest == NULL)
        return rc_fail(L, "destination is gone", RUDDER_ERR_CLOSED);
    if (!lua_isnoneornil(L, 3) && rc_arg_json(L, 3, &buf, NULL, &text, &len, err, sizeof err) != 0) {
        rbuf_free(&buf);
        return rc_fail(L, err, RUDDER_ERR_INVALID_ARG);
    }
    lua_State *saved = h->L;
    h->L = L;
    rudder_err_t e = rudder_dest_command(h->dest, name, text, len, err, sizeof err);
    h->L = saved;
    rbuf_free(&buf);
    if (e != RUDDER_OK)
        return rc_fail(L, err, e);
    lua_pushboolean(L, 1);
    return 1;
}

/* ------------------------------------------------------------------------- */
/* 6. Constructors and the module                                             */
/* ------------------------------------------------------------------------- */

static const char *const rc_callback_names[] = {"onDelivery", "onFailure", "onLog", NULL};

static int rc_is_callback_name(const char *k)
{
    for (int i = 0; rc_callback_names[i]; i++)
        if (strcmp(k, rc_callback_names[i]) == 0)
            return 1;
    return 0;
}

/* Creates the handle userdata (pushed) with an empty callback table. */
static rc_handle_t *rc_new_handle(lua_State *L, const char *mt)
{
    rc_handle_t *h = rc_newuserdata(L, sizeof *h);
    memset(h, 0, sizeof *h);
    h->cbref = LUA_NOREF;
    luaL_getmetatable(L, mt);
    lua_setmetatable(L, -2);
    lua_createtable(L, 0, 4);
    lua_newtable(L);
    lua_setfield(L, -2, "fns");
    h->cbref = luaL_ref(L, LUA_REGISTRYINDEX);
    return h;
}

/* The property table row for a setting name (camelCase or snake_case), or NULL. */
static const rudder_property_t *rc_find_property(const char *name)
{
    size_t n = 0;
    const rudder_property_t *p = rudder_properties(&n);
    for (size_t i = 0; p && i < n; i++)
        if (strcmp(p[i].name, name) == 0 || (p[i].snake_name && strcmp(p[i].snake_name, name) == 0))
            return &p[i];
    return NULL;
}

/* Applies one setting (value at vidx) with rudder_conf_set, value as text. */
static int rc_apply_setting(lua_State *L, rudder_conf_t *conf, const char *name, int vidx,
                            char *err, size_t errsz)
{
    const rudder_property_t *p = rc_find_property(name);
    rbuf_t buf = RBUF_INIT;
    char tmp[64];
    const char *text = NULL;
    int t = lua_type(L, vidx);
    if (p && p->type == RUDDER_PROP_JSON) {
        char eerr[RC_ERRSTR - 128];
        if (rc_encode(L, vidx, &buf, eerr, sizeof eerr) != 0) {
            snprintf(err, errsz, "setting '%s': %s", name, eerr);
            rbuf_free(&buf);
            return -1;
        }
        text = rbuf_cstr(&buf);
    } else if (t == LUA_TSTRING) {
        text = lua_tostring(L, vidx);
    } else if (t == LUA_TBOOLEAN) {
        text = lua_toboolean(L, vidx) ? "true" : "false";
    } else if (t == LUA_TNUMBER) {
        if (rc_isinteger(L, vidx))
            snprintf(tmp, sizeof tmp, "%lld", (long long)lua_tointeger(L, vidx));
        else
            snprintf(tmp, sizeof tmp, "%.17g", (double)lua_tonumber(L, vidx));
        text = tmp;
    } else {
        snprintf(err, errsz, "setting '%s' can't be a %s", name, luaL_typename(L, vidx));
        return -1;
    }
    rudder_err_t e = rudder_conf_set(conf, name, text, err, errsz);
    rbuf_free(&buf);
    if (e != RUDDER_OK && err[0] == '\0')
        snprintf(err, errsz, "setting '%s': %s", name, rudder_err2str(e));
    return e == RUDDER_OK ? 0 : -1;
}

/* A new conf with the Lua suffix and the report callback (when any is given). */
static rudder_conf_t *rc_new_conf(rc_handle_t *h)
{
    rudder_conf_t *conf = rudder_conf_new();
    if (conf)
        conf_set_library_suffix(conf, RC_LIBRARY_SUFFIX);
    return conf;
}

/* Stores a report callback (function at vidx) in the handle's callback table. */
static void rc_store_callback(lua_State *L, rc_handle_t *h, const char *name, int vidx)
{
    rc_push_callbacks(L, h);
    lua_pushvalue(L, vidx);
    lua_setfield(L, -2, name);
    lua_pop(L, 1);
}

#define RC_NGINX_INIT_ERR                                                                     \
    "ruddercore: clients can't be created in init_by_lua*, which runs in the nginx master "   \
    "before it forks the workers; create them in init_worker_by_lua* (see resty.ruddercore)"

/* 1 inside nginx's init_by_lua* (ngx.get_phase() == "init"): a sender made there would
 * belong to the master, not to the workers that push. */
static int rc_in_nginx_init(lua_State *L)
{
    int top = lua_gettop(L), in_init = 0;
    lua_getglobal(L, "ngx");
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "get_phase");
        if (lua_isfunction(L, -1) && lua_pcall(L, 0, 1, 0) == LUA_OK) {
            const char *phase = lua_tostring(L, -1);
            in_init = phase != NULL && strcmp(phase, "init") == 0;
        }
    }
    lua_settop(L, top);
    return in_init;
}

/* ruddercore.client(settings) -> client | nil, err, code */
static int rc_client_new(lua_State *L)
{
    if (lua_type(L, 1) != LUA_TTABLE)
        return rc_fail(L, "ruddercore.client: expected a settings table", RUDDER_ERR_INVALID_ARG);
    if (rc_in_nginx_init(L))
        return rc_fail(L, RC_NGINX_INIT_ERR, RUDDER_ERR_INVALID_ARG);
    lua_settop(L, 1);
    char err[RC_ERRSTR] = "";
    rc_handle_t *h = rc_new_handle(L, RC_CLIENT_MT); /* index 2 */
    rudder_conf_t *conf = rc_new_conf(h);
    if (conf == NULL)
        return rc_fail(L, "out of memory", RUDDER_ERR_NO_MEMORY);
    int have_cb = 0;
    lua_pushnil(L);
    while (lua_next(L, 1) != 0) {
        int vidx = lua_gettop(L);
        if (lua_type(L, vidx - 1) != LUA_TSTRING) {
            rudder_conf_destroy(conf);
            return rc_fail(L, "settings: keys must be setting names (strings)", RUDDER_ERR_CONFIG);
        }
        const char *k = lua_tostring(L, vidx - 1);
        if (rc_is_callback_name(k)) {
            if (!lua_isfunction(L, vidx)) {
                snprintf(err, sizeof err, "setting '%s' must be a function", k);
                rudder_conf_destroy(conf);
                return rc_fail(L, err, RUDDER_ERR_CONFIG);
            }
            rc_store_callback(L, h, k, vidx);
            have_cb = 1;
        } else if (rc_apply_setting(L, conf, k, vidx, err, sizeof err) != 0) {
            rudder_conf_destroy(conf);
            return rc_fail(L, err, RUDDER_ERR_CONFIG);
        }
        lua_pop(L, 1);
    }
    if (have_cb)
        rudder_conf_set_report_cb(conf, rc_report_cb, h);
    h->client = rudder_client_new(conf, err, sizeof err);
    rudder_conf_destroy(conf);
    if (h->client == NULL)
        return rc_fail(L, err, RUDDER_ERR_CONFIG);
    lua_settop(L, 2);
    return 1;
}

/* Encoding hook for a destination config given as a table: report callbacks in
 * settings are taken out; functions under fn/condition/validate become registered
 * mapping callbacks referenced as "$fn:lua<N>". */
typedef struct rc_dest_hook {
    rc_handle_t *h;
    rudder_conf_t *conf;
    int cbidx;
    int have_report_cb;
} rc_dest_hook_t;

static int rc_dest_function_hook(encoder_t *e, int idx, const char *key)
{
    rc_dest_hook_t *d = e->hook_ud;
    lua_State *L = e->L;
    if (key && e->npath == 2 && e->path[0].key && e->path[0].keylen == 8 &&
        memcmp(e->path[0].key, "settings", 8) == 0 && rc_is_callback_name(key)) {
        rc_store_callback(L, d->h, key, idx);
        d->have_report_cb = 1;
        return 0;
    }
    if (key && (strcmp(key, "fn") == 0 || strcmp(key, "condition") == 0 || strcmp(key, "validate") == 0)) {
        char name[32], ref[40], err[128];
        snprintf(name, sizeof name, "lua%d", d->h->nfns + 1);
        lua_pushvalue(L, idx);
        int rc = rc_register_fn(L, d->h, d->cbidx, name, d->conf, err, sizeof err);
        lua_pop(L, 1);
        if (rc != 0)
            return enc_fail(e, "%s", err);
        snprintf(ref, sizeof ref, "$fn:%s", name);
        rbuf_json_string(e->out, ref, strlen(ref));
        return 1;
    }
    return enc_fail(e, "a function can't be converted to JSON (functions are allowed as "
                       "fn/condition/validate and settings.onDelivery/onFailure/onLog)");
}

/* ruddercore.destination(config [, fns]) -> dest | nil, err, code
 * config: table or JSON text {settings=..., mapping=..., data=..., policy=..., consent=...}
 * fns: { name = function(value, context) ... end } for "$fn:name" references. */
static int rc_dest_new(lua_State *L)
{
    int ct = lua_type(L, 1);
    if (ct != LUA_TTABLE && ct != LUA_TSTRING)
        return rc_fail(L, "ruddercore.destination: expected a config table or JSON text",
                       RUDDER_ERR_INVALID_ARG);
    if (!lua_isnoneornil(L, 2) && !lua_istable(L, 2))
        return rc_fail(L, "ruddercore.destination: fns must be a table { name = function }",
                       RUDDER_ERR_INVALID_ARG);
    if (rc_in_nginx_init(L))
        return rc_fail(L, RC_NGINX_INIT_ERR, RUDDER_ERR_INVALID_ARG);
    lua_settop(L, 2);
    char err[RC_ERRSTR] = "";
    rc_handle_t *h = rc_new_handle(L, RC_DEST_MT); /* index 3 */
    rc_push_callbacks(L, h);                       /* index 4 */
    rudder_conf_t *conf = rc_new_conf(h);
    if (conf == NULL)
        return rc_fail(L, "out of memory", RUDDER_ERR_NO_MEMORY);

    /* Named mapping callbacks. */
    if (lua_istable(L, 2)) {
        lua_pushnil(L);
        while (lua_next(L, 2) != 0) {
            if (lua_type(L, -2) != LUA_TSTRING || !lua_isfunction(L, -1)) {
                rudder_conf_destroy(conf);
                return rc_fail(L, "fns: expected { name = function, ... }", RUDDER_ERR_CONFIG);
            }
            if (rc_register_fn(L, h, 4, lua_tostring(L, -2), conf, err, sizeof err) != 0) {
                rudder_conf_destroy(conf);
                return rc_fail(L, err, RUDDER_ERR_CONFIG);
            }
            lua_pop(L, 1);
        }
    }

    rbuf_t buf = RBUF_INIT;
    const char *text;
    size_t len;
    rc_dest_hook_t hook = {h, conf, 4, 0};
    if (ct == LUA_TSTRING) {
        text = lua_tolstring(L, 1, &len);
    } else {
        encoder_t e;
        enc_init(&e, L, &buf);
        e.on_function = rc_dest_function_hook;
        e.hook_ud = &hook;
        int rc = enc_value(&e, 1);
        lua_settop(L, 4);
        if (rc == 0 && rbuf_reserve(&buf, 0) == 0)
            buf.data[buf.len] = '\0';
        if (rc != 0 || buf.oom) {
            rbuf_free(&buf);
            rudder_conf_destroy(conf);
            snprintf(err, sizeof err, "config%s%.*s", rc != 0 && e.err_has_path ? "." : ": ",
                     (int)sizeof err - 16, rc != 0 ? e.err : "out of memory");
            return rc_fail(L, err, RUDDER_ERR_CONFIG);
        }
        text = rbuf_cstr(&buf);
        len = buf.len;
    }
    if (hook.have_report_cb)
        rudder_conf_set_report_cb(conf, rc_report_cb, h);
    h->L = L;
    h->dest = rudder_dest_new(text, len, conf, err, sizeof err);
    h->L = NULL;
    rbuf_free(&buf);
    rudder_conf_destroy(conf);
    if (h->dest == NULL)
        return rc_fail(L, err, RUDDER_ERR_CONFIG);
    h->client = rudder_dest_client(h->dest);
    lua_settop(L, 3);
    return 1;
}

/* ruddercore.encode(value) -> JSON text | nil, err */
static int rc_encode_fn(lua_State *L)
{
    luaL_checkany(L, 1);
    char err[RC_ERRSTR];
    rbuf_t buf = RBUF_INIT;
    if (rc_encode(L, 1, &buf, err, sizeof err) != 0) {
        rbuf_free(&buf);
        return rc_fail(L, err, RUDDER_ERR_INVALID_ARG);
    }
    lua_pushlstring(L, rbuf_cstr(&buf), buf.len);
    rbuf_free(&buf);
    return 1;
}

/* ruddercore.decode(text) -> value | nil, err */
static int rc_decode_fn(lua_State *L)
{
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    char err[RC_ERRSTR];
    rudder_err_t code;
    cJSON *v = rj_parse(text, len, 0, &code, err, sizeof err);
    if (v == NULL)
        return rc_fail(L, err, code);
    dec_value(L, v);
    rj_delete(v);
    return 1;
}

static const char *const rc_call_names[] = {"track", "identify", "group", "page", "screen", "alias", NULL};

/* ruddercore.build_message(call, msg) -> envelope table | nil, err, code  (what a call would queue) */
static int rc_build_message(lua_State *L)
{
    int type = luaL_checkoption(L, 1, NULL, rc_call_names);
    char err[RC_ERRSTR] = "";
    rbuf_t buf = RBUF_INIT;
    const char *text;
    size_t len;
    if (rc_arg_json(L, 2, &buf, NULL, &text, &len, err, sizeof err) != 0) {
        rbuf_free(&buf);
        return rc_fail(L, err, RUDDER_ERR_INVALID_ARG);
    }
    rudder_err_t e = RUDDER_OK;
    char *msg = rudder_build_message((rudder_call_type_t)type, text, len, RC_LIBRARY_SUFFIX, 0, &e,
                                     err, sizeof err);
    rbuf_free(&buf);
    if (msg == NULL)
        return rc_fail(L, err, e != RUDDER_OK ? e : RUDDER_ERR_NO_MEMORY);
    return rc_push_owned_json(L, msg);
}

/* client:create_persistence_queue(queue_opts) -> true | nil, err, code
 * The Node SDK's createPersistenceQueue (docs/REDIS.md): queue_opts is a table (queueName,
 * prefix, isMultiProcessor, redisOpts {host, port, db, password}, jobOpts {maxAttempts}, or
 * flat host/port/...) or a redis:// URL.  Before the first call only; an unreachable Redis
 * is an error the caller may retry with backoff. */
static int rc_create_persistence_queue(lua_State *L)
{
    rc_handle_t *h = luaL_checkudata(L, 1, RC_CLIENT_MT);
    if (rc_is_closed(L, h))
        return rc_fail(L, "client is closed", RUDDER_ERR_CLOSED);
    char err[RC_ERRSTR] = "";
    rbuf_t buf = RBUF_INIT;
    if (lua_type(L, 2) == LUA_TSTRING) {
        size_t n;
        const char *s = lua_tolstring(L, 2, &n);
        rbuf_append(&buf, s, n);
    } else if (lua_type(L, 2) == LUA_TTABLE) {
        lua_getfield(L, 2, "type");
        int has_type = !lua_isnil(L, -1);
        lua_pop(L, 1);
        rbuf_t body = RBUF_INIT;
        if (rc_encode(L, 2, &body, err, sizeof err) != 0) {
            rbuf_free(&body);
            return rc_fail(L, err, RUDDER_ERR_CONFIG);
        }
        const char *t = rbuf_cstr(&body);
        if (has_type || t[0] != '{') {
            rbuf_append(&buf, t, body.len);
        } else { /* the backend this method is named after */
            rbuf_puts(&buf, "{\"type\":\"redis\"");
            if (body.len > 2) rbuf_putc(&buf, ',');
            rbuf_append(&buf, t + 1, body.len - 1);
        }
        rbuf_free(&body);
    } else {
        return rc_fail(L, "create_persistence_queue: expected a table of queue options or a redis:// URL",
                       RUDDER_ERR_INVALID_ARG);
    }
    rudder_client_t *fresh = client_with_persistence(h->client, rbuf_cstr(&buf), err, sizeof err);
    rbuf_free(&buf);
    if (fresh == NULL)
        return rc_fail(L, err, RUDDER_ERR_CONFIG);
    rudder_client_t *old = h->client;
    h->client = fresh;
    rudder_client_destroy(old); /* accepted nothing: nothing to send or report */
    lua_pushboolean(L, 1);
    return 1;
}

static const luaL_Reg rc_client_methods[] = {
    {"create_persistence_queue", rc_create_persistence_queue},
    {"createPersistenceQueue", rc_create_persistence_queue},
    {"track", rc_track},
    {"identify", rc_identify},
    {"group", rc_group},
    {"page", rc_page},
    {"screen", rc_screen},
    {"alias", rc_alias},
    {"poll", rc_poll},
    {"flush", rc_flush},
    {"close", rc_close},
    {"stats", rc_stats},
    {"queue_length", rc_queue_length},
    {NULL, NULL},
};

static const luaL_Reg rc_dest_methods[] = {
    {"push", rc_dest_push},
    {"map", rc_dest_map},
    {"command", rc_dest_command},
    {"poll", rc_poll},
    {"flush", rc_flush},
    {"close", rc_close},
    {"stats", rc_stats},
    {"queue_length", rc_queue_length},
    {NULL, NULL},
};

static const luaL_Reg rc_functions[] = {
    {"client", rc_client_new},
    {"destination", rc_dest_new},
    {"encode", rc_encode_fn},
    {"decode", rc_decode_fn},
    {"build_message", rc_build_message},
    {NULL, NULL},
};

static void rc_new_metatable(lua_State *L, const char *name, const luaL_Reg *methods)
{
    luaL_newmetatable(L, name);
    lua_createtable(L, 0, 12);
    rc_setfuncs(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, rc_mm_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, rc_mm_close);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, rc_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, "ruddercore");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
}

__attribute__((visibility("default"))) int luaopen_ruddercore(lua_State *L)
{
    rc_new_metatable(L, RC_CLIENT_MT, rc_client_methods);
    rc_new_metatable(L, RC_DEST_MT, rc_dest_methods);

    /* ruddercore.array_mt: tables carrying it encode as arrays (empty -> []). */
    lua_pushlightuserdata(L, (void *)&rc_array_mt_key);
    lua_rawget(L, LUA_REGISTRYINDEX);
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        lua_createtable(L, 0, 1);
        lua_pushliteral(L, "array");
        lua_setfield(L, -2, "__name");
        lua_pushlightuserdata(L, (void *)&rc_array_mt_key);
        lua_pushvalue(L, -2);
        lua_rawset(L, LUA_REGISTRYINDEX);
    }
    int array_mt = lua_gettop(L);

    lua_createtable(L, 0, 16);
    rc_setfuncs(L, rc_functions);
    lua_pushvalue(L, array_mt);
    lua_setfield(L, -2, "array_mt");
    rc_push_null(L);
    lua_setfield(L, -2, "null");
    lua_pushlightuserdata(L, (void *)&rc_empty_array_key);
    lua_setfield(L, -2, "empty_array");
    lua_pushstring(L, rudder_version());
    lua_setfield(L, -2, "version");
    lua_pushliteral(L, RC_LIBRARY_SUFFIX);
    lua_setfield(L, -2, "library");
    lua_pushinteger(L, RC_MAX_DEPTH);
    lua_setfield(L, -2, "max_depth");
    lua_remove(L, array_mt);
    return 1;
}
