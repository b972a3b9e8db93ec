/* module.c — luaopen_ruddercore: the metatables, the module table, and the small
 * module-level functions (encode, decode, build_message). */
#include "rc.h"

/* Addresses used as unique lightuserdata values and registry keys. */
const char rc_null_key = 'n';        /* ruddercore.null  -> JSON null */
const char rc_empty_array_key = 'e'; /* ruddercore.empty_array -> [] */
const char rc_array_mt_key = 'a';    /* registry: ruddercore.array_mt */

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

/* What client and destination both have (host.c). */
static const luaL_Reg rc_handle_methods[] = {
    {"poll", rc_poll},
    {"flush", rc_flush},
    {"close", rc_close},
    {"stats", rc_stats},
    {"queue_length", rc_queue_length},
    {"close_timeout", rc_close_timeout_ms},
    {NULL, NULL},
};

static const luaL_Reg rc_client_methods[] = {
    {"create_persistence_queue", rc_create_persistence_queue},
    {"createPersistenceQueue", rc_create_persistence_queue},
    {"track", rc_track},
    {"identify", rc_identify},
    {"group", rc_group},
    {"page", rc_page},
    {"screen", rc_screen},
    {"alias", rc_alias},
    {NULL, NULL},
};

static const luaL_Reg rc_dest_methods[] = {
    {"push", rc_dest_push},
    {"map", rc_dest_map},
    {"command", rc_dest_command},
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
    rc_setfuncs(L, rc_handle_methods);
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
