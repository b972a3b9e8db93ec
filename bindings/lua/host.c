/* host.c — what client and destination share: the handle userdata, reports to Lua
 * callbacks and mapping fns (always under pcall, on the state that made the call), and
 * the poll / flush / close / stats / gc methods. */
#include "rc.h"

static rc_handle_t *rc_check_handle(lua_State *L, int idx)
{
    rc_handle_t *h = rc_testudata(L, idx, RC_CLIENT_MT);
    if (h == NULL)
        h = rc_testudata(L, idx, RC_DEST_MT);
    if (h == NULL)
        luaL_argerror(L, idx, "ruddercore client or destination expected");
    return h;
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
void rc_push_callbacks(lua_State *L, rc_handle_t *h)
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
        lua_pushstring(L, client_log_level_name(r->level));
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
void rc_report_cb(const rudder_report_t *report, void *opaque)
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
int rc_register_fn(lua_State *L, rc_handle_t *h, int cbidx, const char *name,
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

int rc_is_closed(lua_State *L, rc_handle_t *h)
{
    return h->closed || h->client == NULL;
}

/* client:poll([timeout_ms=0]) -> number of reports served */
int rc_poll(lua_State *L)
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
int rc_flush(lua_State *L)
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
    return h->client == NULL ? 0 : (int)client_close_timeout_ms(h->client);
}

/* client:close([timeout_ms=closeTimeout]) -> true | nil, err, code, lost */
int rc_close(lua_State *L)
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
int rc_mm_close(lua_State *L)
{
    rc_handle_t *h = rc_check_handle(L, 1);
    size_t lost;
    rc_close_handle(h, L, rc_close_timeout(h), &lost);
    free(h->cb_err);
    h->cb_err = NULL;
    return 0;
}

/* __gc: close without running Lua callbacks (reports are counted), then free. */
int rc_mm_gc(lua_State *L)
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
int rc_stats(lua_State *L)
{
    rc_handle_t *h = rc_check_handle(L, 1);
    RC_REFUSE_IN_FN(L, h);
    if (h->client == NULL)
        return rc_fail(L, "client is gone", RUDDER_ERR_CLOSED);
    return rc_push_owned_json(L, h->dest ? rudder_dest_stats(h->dest) : rudder_stats(h->client));
}

/* client:close_timeout() -> the closeTimeout setting in ms (what close() waits by default) */
int rc_close_timeout_ms(lua_State *L)
{
    lua_pushinteger(L, rc_close_timeout(rc_check_handle(L, 1)));
    return 1;
}

/* client:queue_length() -> events accepted and not yet final */
int rc_queue_length(lua_State *L)
{
    rc_handle_t *h = rc_check_handle(L, 1);
    lua_pushinteger(L, h->client ? (lua_Integer)rudder_queue_length(h->client) : 0);
    return 1;
}

int rc_tostring(lua_State *L)
{
    rc_handle_t *h = rc_check_handle(L, 1);
    lua_pushfstring(L, "%s (%s): %p", h->dest ? RC_DEST_MT : RC_CLIENT_MT,
                    h->closed ? "closed" : "open", (void *)h);
    return 1;
}

/* Creates the handle userdata (pushed) with an empty callback table. */
rc_handle_t *rc_new_handle(lua_State *L, const char *mt)
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

/* Stores a report callback (function at vidx) in the handle's callback table. */
void rc_store_callback(lua_State *L, rc_handle_t *h, const char *name, int vidx)
{
    rc_push_callbacks(L, h);
    lua_pushvalue(L, vidx);
    lua_setfield(L, -2, name);
    lua_pop(L, 1);
}

/* 1 inside nginx's init_by_lua* (ngx.get_phase() == "init"): a sender made there would
 * belong to the master, not to the workers that push. */
int rc_in_nginx_init(lua_State *L)
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
