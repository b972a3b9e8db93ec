-- ruddercore from Lua (5.4 or LuaJIT): client:track, or dest:push with --destination.
--
--   LUA_CPATH=<dir of ruddercore.so and benchclock.so>/?.so \
--     lua5.4 lua_ruddercore.lua URL EVENTS [--flush-at F] [--destination]
--
-- Same event as bench/bench_client.c; one JSON result line like the other drivers.
-- A full queue (RUDDER_ERR_QUEUE_FULL) is retried after 20 us, as bench_client.c does.
local ruddercore = require "ruddercore"
local clock = require "benchclock"

local url, n = arg[1], tonumber(arg[2])
local flush_at, destination = nil, false
local i = 3
while arg[i] do
  if arg[i] == "--flush-at" then flush_at = tonumber(arg[i + 1]); i = i + 1
  elseif arg[i] == "--destination" then destination = true end
  i = i + 1
end

local script_dir = (arg[0]:match("^(.*)/[^/]*$") or ".")
local interp = jit and jit.version or _VERSION

package.path = script_dir .. "/?.lua;" .. package.path
local bench_events = require "bench_events"
local event_fields, walker_event = bench_events.event_fields, bench_events.walker_event

local handle, err, label, call
if destination then
  local f = assert(io.open(script_dir .. "/walkeros_config.json"))
  local text = f:read("a")
  f:close()
  -- Settings are added to the JSON text, so no JSON library is needed here.
  local extra = string.format('"writeKey":"bench-key","dataPlaneUrl":"%s","maxInternalQueueSize":200000%s,', url,
    flush_at and (',"flushAt":' .. flush_at) or "")
  text = text:gsub('"settings"%s*:%s*{', '"settings": {' .. extra, 1)
  handle, err = ruddercore.destination(text)
  label = "ruddercore Lua dest:push (" .. interp .. ")"
  call = function(ev) return handle:push(ev) end
else
  handle, err = ruddercore.client{ writeKey = "bench-key", dataPlaneUrl = url,
    maxInternalQueueSize = 200000, flushAt = flush_at }
  label = "ruddercore Lua client:track (" .. interp .. ")"
  call = function(ev) return handle:track(ev) end
end
if not handle then io.stderr:write("ruddercore: ", tostring(err), "\n") os.exit(1) end

local lat = {}
local retries = 0
local now = clock.now
-- 1024 distinct events built before the clock starts, then cycled: the timed loop measures
-- the SDK, not Lua building tables (the module copies what it is given).
local make = destination and walker_event or event_fields
local pool = {}
for k = 0, 1023 do pool[k] = make(k) end
local t_start = now()
for k = 0, n - 1 do
  local ev = pool[k % 1024]
  local t0 = now()
  while true do
    local ok, e, code = call(ev)
    if ok then break end
    if code ~= "RUDDER_ERR_QUEUE_FULL" then io.stderr:write("call: ", tostring(e), "\n") os.exit(1) end
    retries = retries + 1
    clock.sleep(0.00002)
  end
  lat[k + 1] = now() - t0
end
local t_calls = now() - t_start
local ok, ferr = handle:flush(120000)
local t_total = now() - t_start
handle:close()
if not ok then io.stderr:write("flush: ", tostring(ferr), "\n") end

table.sort(lat)
local function pct(q) return lat[math.min(#lat, math.floor(#lat * q) + 1)] * 1e6 end
io.write(string.format('{"contender":"%s","events":%d,"seconds":%.4f,"eventsPerSec":%d,"callSeconds":%.4f,'
  .. '"callMedianUs":%.3f,"callP99Us":%.3f,"callMaxUs":%.1f,"threads":1,"flushAt":"%s","queueFullRetries":%d,"left":%d}\n',
  label, n, t_total, math.floor(n / t_total + 0.5), t_calls, pct(0.5), pct(0.99), lat[#lat] * 1e6,
  tostring(flush_at or "default"), retries, ok and 0 or -1))
os.exit(ok and 0 or 1)
