/* settings.c — Lua settings tables to the core's property table.  No list of settings
 * here: each key is looked up in the core (conf_property, camelCase or snake_case) only to
 * learn its type; the core validates the value and names the setting when it is wrong.
 * Also the timeout arguments and which keys are report callbacks. */
#include "rc.h"

/* Lua integer argument with a default (timeouts). */
int rc_opt_timeout(lua_State *L, int idx, int def)
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

static const char *const rc_callback_names[] = {"onDelivery", "onFailure", "onLog", NULL};

int rc_is_callback_name(const char *k)
{
    for (int i = 0; rc_callback_names[i]; i++)
        if (strcmp(k, rc_callback_names[i]) == 0)
            return 1;
    return 0;
}

/* Applies one setting (value at vidx) with rudder_conf_set, value as text. */
int rc_apply_setting(lua_State *L, rudder_conf_t *conf, const char *name, int vidx,
                     char *err, size_t errsz)
{
    const rudder_property_t *p = conf_property(name);
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
rudder_conf_t *rc_new_conf(rc_handle_t *h)
{
    rudder_conf_t *conf = rudder_conf_new();
    if (conf)
        conf_set_library_suffix(conf, RC_LIBRARY_SUFFIX);
    return conf;
}
