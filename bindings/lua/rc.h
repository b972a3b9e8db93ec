/* rc.h — what the files of the Lua module `ruddercore` share (Lua 5.4 and LuaJIT/OpenResty,
 * one source).  The files have the jobs, and the names, of bindings/python's:
 *
 *   module.c       luaopen_ruddercore, encode / decode / build_message
 *   client.c       ruddercore.client and the six calls
 *   dest.c         ruddercore.destination, dest:push / map / command
 *   host.c         the handle, report and mapping callbacks, poll / flush / close
 *   encode.c       Lua -> JSON text or the core's tree      decode.c   JSON -> Lua
 *   settings.c     settings tables -> rudder_conf_t         errors.c   nil, err, code
 *   persistence.c  client:create_persistence_queue          compat.h   Lua 5.1 / 5.4
 *
 * Rules that keep the host safe:
 *   - Encoding uses raw table access only, so no Lua code runs while C memory is held;
 *     every failure is returned as `nil, err`, and C buffers are freed before any
 *     lua_error.
 *   - Host callbacks run only inside poll/flush/close (and, for mapping fns, inside
 *     push/map) on the Lua state that made the call; the sender thread never sees Lua.
 *   - A callback body runs under lua_pcall, so a Lua error never unwinds through core
 *     frames.  Report-callback errors are re-raised after the core call returned. */
#ifndef RUDDERCORE_LUA_RC_H
#define RUDDERCORE_LUA_RC_H
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include "ruddercore.h"
#include "base/base.h"
#include "client/client_internal.h"
#include "conf/conf.h"
#include "destination/destination.h"
#include "json/json.h"
#include "json/json_build.h"
#include "json/member_log.h"
#include "compat.h"

#define RC_CLIENT_MT "ruddercore.client"
#define RC_DEST_MT "ruddercore.destination"
#define RC_LIBRARY_SUFFIX "ruddercore-lua"
#define RC_MAX_DEPTH RJ_DEFAULT_MAX_DEPTH
#define RC_ERRSTR 512

/* Addresses used as unique lightuserdata values and registry keys (module.c). */
extern const char rc_null_key;        /* ruddercore.null  -> JSON null */
extern const char rc_empty_array_key; /* ruddercore.empty_array -> [] */
extern const char rc_array_mt_key;    /* registry: ruddercore.array_mt */

#define RC_NGINX_INIT_ERR                                                                     \
    "ruddercore: clients can't be created in init_by_lua*, which runs in the nginx master "   \
    "before it forks the workers; create them in init_worker_by_lua* (see resty.ruddercore)"

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
static inline rbuf_t *rc_buf_take(rc_handle_t *h, rbuf_t *local)
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

static inline void rc_buf_give(rc_handle_t *h, rbuf_t *b)
{
    if (b != &h->scratch) {
        rbuf_free(b);
        return;
    }
    if (b->cap > RC_SCRATCH_KEEP || b->oom)
        rbuf_free(b);
    h->scratch_busy = 0;
}

/* Methods of a destination can't run inside its own mapping callbacks: the core holds
 * the destination's lock there, and re-entering it would deadlock. */
#define RC_REFUSE_IN_FN(L, h)                                                                \
    do {                                                                                     \
        if ((h)->in_fn > 0)                                                                  \
            return rc_fail((L), "not allowed inside a mapping callback (fn/condition/validate) " \
                                "of the same destination", RUDDER_ERR_IN_CALLBACK);          \
    } while (0)

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

/* ---- errors.c -------------------------------------------------------------- */
int rc_fail(lua_State *L, const char *msg, rudder_err_t code);
void rc_keep_cb_error(rc_handle_t *h, lua_State *L, const char *what);
void rc_raise_cb_error(rc_handle_t *h, lua_State *L);

/* ---- settings.c ------------------------------------------------------------ */
int rc_opt_timeout(lua_State *L, int idx, int def);
int rc_is_callback_name(const char *k);
int rc_apply_setting(lua_State *L, rudder_conf_t *conf, const char *name, int vidx, char *err, size_t errsz);
rudder_conf_t *rc_new_conf(rc_handle_t *h);

/* ---- host.c ---------------------------------------------------------------- */
void rc_push_callbacks(lua_State *L, rc_handle_t *h);
void rc_report_cb(const rudder_report_t *report, void *opaque);
int rc_register_fn(lua_State *L, rc_handle_t *h, int cbidx, const char *name, rudder_conf_t *conf, char *err, size_t errsz);
int rc_is_closed(lua_State *L, rc_handle_t *h);
int rc_poll(lua_State *L);
int rc_flush(lua_State *L);
int rc_close(lua_State *L);
int rc_mm_close(lua_State *L);
int rc_mm_gc(lua_State *L);
int rc_stats(lua_State *L);
int rc_queue_length(lua_State *L);
int rc_close_timeout_ms(lua_State *L);
int rc_tostring(lua_State *L);
rc_handle_t *rc_new_handle(lua_State *L, const char *mt);
void rc_store_callback(lua_State *L, rc_handle_t *h, const char *name, int vidx);
int rc_in_nginx_init(lua_State *L);

/* ---- encode.c -------------------------------------------------------------- */
void enc_init(encoder_t *e, lua_State *L, rbuf_t *out);
int enc_fail(encoder_t *e, const char *fmt, ...);
int enc_value(encoder_t *e, int idx);
int rc_encode(lua_State *L, int idx, rbuf_t *out, char *err, size_t errsz);
cJSON *rc_event_tree(lua_State *L, int idx, rudder_dest_t *dest, char *err, size_t errsz, rudder_err_t *code);
int rc_arg_json(lua_State *L, int idx, rbuf_t *buf, rj_member_log_t *members, const char **text, size_t *len, char *err, size_t errsz);

/* ---- decode.c -------------------------------------------------------------- */
void rc_push_null(lua_State *L);
void dec_value(lua_State *L, const cJSON *v);
int rc_push_json(lua_State *L, const char *text, size_t len, char *err, size_t errsz);
int rc_push_owned_json(lua_State *L, char *text);

/* ---- client.c -------------------------------------------------------------- */
int rc_track(lua_State *L);
int rc_identify(lua_State *L);
int rc_group(lua_State *L);
int rc_page(lua_State *L);
int rc_screen(lua_State *L);
int rc_alias(lua_State *L);
int rc_client_new(lua_State *L);

/* ---- dest.c ---------------------------------------------------------------- */
int rc_dest_push(lua_State *L);
int rc_dest_map(lua_State *L);
int rc_dest_command(lua_State *L);
int rc_dest_new(lua_State *L);

/* ---- persistence.c --------------------------------------------------------- */
int rc_create_persistence_queue(lua_State *L);

#endif
