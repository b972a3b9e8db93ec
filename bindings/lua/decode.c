/* decode.c — JSON back to Lua values: walks the core's cJSON tree (rj_parse); integers
 * stay integers where the Lua version has them, null is ruddercore.null. */
#include "rc.h"

void rc_push_null(lua_State *L)
{
    lua_pushlightuserdata(L, (void *)&rc_null_key);
}

/* Numbers: on 5.3+ a literal without '.', 'e' that fits in 64 bits is an integer. */
static void dec_number(lua_State *L, const cJSON *v)
{
#if LUA_VERSION_NUM >= 503
    const char *lit = v->valuestring;
    if (lit != NULL) {
        if (rj_literal_is_integer(lit)) {
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
void dec_value(lua_State *L, const cJSON *v)
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
int rc_push_json(lua_State *L, const char *text, size_t len, char *err, size_t errsz)
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
int rc_push_owned_json(lua_State *L, char *text)
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
