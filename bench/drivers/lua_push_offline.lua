-- dest:push from Lua with the network off: the benchmark's walkerOS events and config
-- (drivers/walkeros_config.json), nothing sent.  For bench/push_instructions.sh, which
-- counts the instructions of each push under callgrind.
--
--   LUA_CPATH=<dir of ruddercore.so>/?.so lua5.4 lua_push_offline.lua [EVENTS]
local ruddercore = require "ruddercore"

local n = tonumber(arg[1] or "20000")
local script_dir = (arg[0]:match("^(.*)/[^/]*$") or ".")
package.path = script_dir .. "/?.lua;" .. package.path
local walker_event = require("bench_events").walker_event

local f = assert(io.open(script_dir .. "/walkeros_config.json"))
local text = f:read("a")
f:close()
-- nothing is sent: the port is never contacted (flushAt/flushInterval out of reach)
local extra = string.format('"writeKey":"bench-key","dataPlaneUrl":"http://127.0.0.1:9","maxInternalQueueSize":%d,'
  .. '"maxInternalQueueBytes":%d,"flushAt":20000,"flushInterval":86400000,"logLevel":"off",', n + 100, (n + 100) * 2048)
text = text:gsub('"settings"%s*:%s*{', '"settings": {' .. extra, 1)
local dest = assert(ruddercore.destination(text))
local pool = {}
for k = 0, 1023 do pool[k] = walker_event(k) end
for k = 0, n - 1 do assert(dest:push(pool[k % 1024])) end
dest:close(0)
