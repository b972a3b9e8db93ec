-- luarocks make lua/ruddercore-0.1.0-1.rockspec        (from the repository root)
-- Builds ruddercore.so (the core linked in statically, never liblua) for the Lua that
-- luarocks runs for (--lua-version 5.4; 5.1 for LuaJIT/OpenResty, with
-- LUA_INCDIR=/usr/include/luajit-2.1 for LuaJIT's own headers) and installs
-- resty/ruddercore.lua next to it.  Needs cmake, a C compiler and the development
-- files of libcurl, cJSON and zlib (Debian: libcurl4-openssl-dev libcjson-dev zlib1g-dev).
rockspec_format = "3.0"
package = "ruddercore"
version = "0.1.0-1"
source = {
   url = "git+https://github.com/ruddercore/ruddercore.git",
   tag = "v0.1.0",
}
description = {
   summary = "RudderStack client and walkerOS destination in C, for Lua 5.4, LuaJIT and OpenResty",
   detailed = [[
ruddercore sends product events to a RudderStack data plane: the six Segment-spec
calls with batching, gzip, retries and a sender thread, plus the walkerOS RudderStack
destination (mapping, identity, identify/group dedup).  `require "ruddercore"` from
Lua 5.4 or LuaJIT; `require "resty.ruddercore"` in OpenResty / lua-nginx-module.
]],
   homepage = "https://github.com/ruddercore/ruddercore",
   license = "MIT",
}
dependencies = {
   "lua >= 5.1, < 5.5",
}
-- libcurl, cJSON and zlib are found by CMake through pkg-config (Debian keeps curl's
-- headers in a multiarch dir that luarocks' external_dependencies does not search).
build = {
   type = "cmake",
   variables = {
      CMAKE_BUILD_TYPE = "Release",
      -- the C library, header and .pc go to a dir luarocks does not deploy
      CMAKE_INSTALL_PREFIX = "$(PREFIX)/c",
      RUDDERCORE_LUA = "luarocks",
      RUDDERCORE_LUA_INCDIR = "$(LUA_INCDIR)",
      RUDDERCORE_LUA_CMOD_DIR = "$(LIBDIR)",
      RUDDERCORE_LUA_LMOD_DIR = "$(LUADIR)",
      RUDDERCORE_TESTS = "OFF",
      RUDDERCORE_TOOLS = "OFF",
      RUDDERCORE_BENCH = "OFF",
   },
}
