/* dest.c — ruddercore.destination(config [, fns]): the walkerOS RudderStack destination of
 * the core, and dest:push / dest:map / dest:command.  Functions in the config become
 * registered mapping callbacks referenced as "$fn:lua<N>". */
#include "rc.h"

/* dest:push(event) -> true | nil, err, code */
int rc_dest_push(lua_State *L)
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
int rc_dest_map(lua_State *L)
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
int rc_dest_command(lua_State *L)
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
int rc_dest_new(lua_State *L)
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
