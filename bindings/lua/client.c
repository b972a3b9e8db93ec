/* client.c — ruddercore.client(settings) and the six calls.  Each call writes its table as
 * JSON text (members logged) and hands it to client_call_members; validation and the
 * envelope are the core's. */
#include "rc.h"

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

int rc_track(lua_State *L) { return rc_call(L, RUDDER_TRACK); }
int rc_identify(lua_State *L) { return rc_call(L, RUDDER_IDENTIFY); }
int rc_group(lua_State *L) { return rc_call(L, RUDDER_GROUP); }
int rc_page(lua_State *L) { return rc_call(L, RUDDER_PAGE); }
int rc_screen(lua_State *L) { return rc_call(L, RUDDER_SCREEN); }
int rc_alias(lua_State *L) { return rc_call(L, RUDDER_ALIAS); }

/* ruddercore.client(settings) -> client | nil, err, code */
int rc_client_new(lua_State *L)
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
