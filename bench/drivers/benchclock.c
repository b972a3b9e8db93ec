/* benchclock — a monotonic clock and a short sleep for the Lua benchmark driver.
 * Lua has neither (os.clock is process CPU time, which includes the sender thread).
 * Built by bench/run.py for Lua 5.4 and LuaJIT:  benchclock.now() -> seconds (double),
 * benchclock.sleep(seconds). */
#define _POSIX_C_SOURCE 200809L
#include <time.h>
#include "lua.h"
#include "lauxlib.h"

static int bc_now(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
    return 1;
}

static int bc_sleep(lua_State *L)
{
    double s = luaL_checknumber(L, 1);
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
    return 0;
}

static const luaL_Reg bc_fns[] = {{"now", bc_now}, {"sleep", bc_sleep}, {NULL, NULL}};

int luaopen_benchclock(lua_State *L)
{
#if LUA_VERSION_NUM >= 502
    luaL_newlib(L, bc_fns);
#else
    lua_newtable(L);
    luaL_register(L, NULL, bc_fns);
#endif
    return 1;
}
