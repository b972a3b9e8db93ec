-- dest:push from Lua with the network off: the benchmark's walkerOS events and config
-- (drivers/walkeros_config.json), nothing sent.  For bench/push_instructions.sh, which
-- counts the instructions of each push under callgrind.  With "track": client:track of the
-- benchmark's plain event (bench_events.event_fields) instead.
--
--   LUA_CPATH=<dir of ruddercore.so>/?.so lua5.4 lua_push_offline.lua [EVENTS] [track]
local ruddercore = require "ruddercore"

local n = tonumber(arg[1] or "20000")
local script_dir = (arg[0]:match("^(.*)/[^/]*$") or ".")
package.path = script_dir .. "/?.lua;" .. package.path
local events = require("bench_events")

-- nothing is sent: the port is never contacted (flushAt/flushInterval out of reach)
local offline = { writeKey = "bench-key", dataPlaneUrl = "http://127.0.0.1:9", maxInternalQueueSize = n + 100,
                  maxInternalQueueBytes = (n + 100) * 2048, flushAt = 20000, flushInterval = 86400000,
                  logLevel = "off" }
local pool = {}
if arg[2] == "track" then
  local client = assert(ruddercore.client(offline))
  for k = 0, 1023 do pool[k] = events.event_fields(k) end
  for k = 0, n - 1 do assert(client:track(pool[k % 1024])) end
  client:close(0)
  return
end
local f = assert(io.open(script_dir .. "/walkeros_config.json"))
local text = f:read("a")
f:close()
local extra = {}
for key, v in pairs(offline) do extra[#extra + 1] = string.format("%q:%s", key, type(v) == "string" and string.format("%q", v) or tostring(v)) end
text = text:gsub('"settings"%s*:%s*{', '"settings": {' .. table.concat(extra, ",") .. ",", 1)
local dest = assert(ruddercore.destination(text))
for k = 0, 1023 do pool[k] = events.walker_event(k) end
for k = 0, n - 1 do assert(dest:push(pool[k % 1024])) end
dest:close(0)
