-- Lua benchmark: client:track and dest:push from one Lua state against the local data
-- plane (started here with --no-store).  Runs on Lua 5.4 and LuaJIT; bench/bench_lua.sh
-- runs it on both and adds the nginx numbers.
--
--   RUDDER_DATAPLANE=build/tools/dataplane/rudder-dataplane RUDDER_SOURCE_DIR=. \
--   LUA_CPATH='build/bindings/lua/?.so;;' LUA_PATH='tests/lua/?.lua;;' lua5.4 bench/bench_lua.lua [events] [rounds]
--
-- "calls" is the rate of returning from the calls; "end to end" runs until flush()
-- returned with every event accepted by the data plane.  Each measurement is the best
-- of `rounds` runs (default 3): the machine is shared, the best run is the least
-- disturbed one.  Target: >= 200,000 events/s.
local ruddercore = require "ruddercore"
local helper = require "helper"

local N = tonumber(arg and arg[1]) or 200000
local ROUNDS = tonumber(arg and arg[2]) or 3

-- Wall clock in seconds (Lua has none finer than os.time): /proc/uptime has 10 ms
-- resolution, which is 1 % of a one-second run; runs are sized to last longer.
local function now()
    local f = io.open("/proc/uptime", "r")
    if f then
        local s = f:read("*n")
        f:close()
        if s then return s end
    end
    return os.time()
end

local PROPS = { plan = "pro", price = 9.99, items = 3, sku = "SKU-12345", currency = "EUR" }

local function run_once(label, dp, make, call)
    dp:reset()
    local h = assert(make())
    local t0 = now()
    for i = 1, N do
        local ok, err = call(h, i)
        if not ok then error(label .. ": call " .. i .. " failed: " .. tostring(err)) end
    end
    local t1 = now()
    assert(h:flush(120000))
    local t2 = now()
    local st = dp:stats()
    assert(h:close())
    h = nil
    collectgarbage()
    if st.events ~= N then
        error(label .. ": the data plane has " .. st.events .. " events, expected " .. N)
    end
    return N / math.max(t1 - t0, 0.01), N / math.max(t2 - t0, 0.01)
end

local runtime = _VERSION == "Lua 5.1" and (jit and jit.version or "Lua 5.1") or _VERSION

local function run(label, dp, make, call)
    local best_calls, best_e2e = 0, 0
    for _ = 1, ROUNDS do
        local calls, e2e = run_once(label, dp, make, call)
        if e2e > best_e2e then best_calls, best_e2e = calls, e2e end
    end
    print(string.format("%-20s %-13s %9.0f events/s end to end  (%9.0f calls/s)  best of %d x %d events",
        runtime, label, best_e2e, best_calls, ROUNDS, N))
    return best_e2e
end

local dp = helper.start_dataplane({ "--no-store" })
local ok, err = pcall(function()
    local settings = {
        writeKey = "bench-write-key", dataPlaneUrl = dp.url, logLevel = "error",
        maxInternalQueueSize = N + 10, maxInternalQueueBytes = 1024 * 1024 * 1024,
    }
    run("client:track", dp, function() return ruddercore.client(settings) end, function(c, i)
        return c:track({ userId = "user-123", event = "Product Viewed", properties = PROPS })
    end)
    local event = {
        name = "product view", data = PROPS, context = { shopping = { "detail", 0 } },
        globals = { pagegroup = "shop" }, custom = {}, user = { id = "user-123", session = "s3ss10n" },
        nested = ruddercore.empty_array, consent = { functional = true }, id = "4f1c2a9e7b3d5c60",
        trigger = "load", entity = "product", action = "view", timestamp = 1732320817000,
        timing = 3.14, source = { type = "server", schema = "4" },
    }
    run("dest:push", dp, function()
        return ruddercore.destination({
            settings = settings,
            mapping = { product = { view = { name = "Product Viewed", data = "data" } } },
        })
    end, function(d) return d:push(event) end)
end)
dp:stop()
if not ok then
    io.stderr:write(tostring(err), "\n")
    os.exit(1)
end
