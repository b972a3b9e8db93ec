/* compat.h — the Lua 5.1 (LuaJIT) / 5.4 differences the ruddercore module needs.
 *
 * Everything is a static inline helper with an rc_ prefix, so nothing collides with the
 * 5.2-style functions LuaJIT 2.1 already exports (luaL_setfuncs, luaL_testudata, ...).
 */
#ifndef RUDDERCORE_LUA_COMPAT_H
#define RUDDERCORE_LUA_COMPAT_H

#include <lua.h>
#include <lauxlib.h>

#ifndef LUA_OK
#define LUA_OK 0
#endif

#if LUA_VERSION_NUM >= 502

#define rc_rawlen(L, i) lua_rawlen((L), (i))
#define rc_setfuncs(L, l) luaL_setfuncs((L), (l), 0)
#define rc_testudata(L, i, tname) luaL_testudata((L), (i), (tname))

#else /* Lua 5.1 / LuaJIT */

#define rc_rawlen(L, i) lua_objlen((L), (i))

static inline void rc_setfuncs(lua_State *L, const luaL_Reg *l)
{
    for (; l->name != NULL; l++) {
        lua_pushcfunction(L, l->func);
        lua_setfield(L, -2, l->name);
    }
}

static inline void *rc_testudata(lua_State *L, int i, const char *tname)
{
    void *p = lua_touserdata(L, i);
    if (p == NULL || !lua_getmetatable(L, i))
        return NULL;
    luaL_getmetatable(L, tname);
    if (!lua_rawequal(L, -1, -2))
        p = NULL;
    lua_pop(L, 2);
    return p;
}

#endif

/* 1 when the value at i is a Lua 5.3+ integer subtype (always 0 on 5.1/LuaJIT,
 * where every number is a double). */
static inline int rc_isinteger(lua_State *L, int i)
{
#if LUA_VERSION_NUM >= 503
    return lua_isinteger(L, i);
#else
    (void)L;
    (void)i;
    return 0;
#endif
}


/* Creates a new userdata block (5.4 takes a user-value count; we need none). */
static inline void *rc_newuserdata(lua_State *L, size_t size)
{
#if LUA_VERSION_NUM >= 504
    return lua_newuserdatauv(L, size, 0);
#else
    return lua_newuserdata(L, size);
#endif
}

#endif /* RUDDERCORE_LUA_COMPAT_H */
