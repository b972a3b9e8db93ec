-- Callbacks: delivery/failure/log reports run only inside poll/flush/close, on the Lua
-- state (coroutine) that called them; mapping fn/condition/validate run inside push/map.
local ruddercore = require "ruddercore"
local helper = require "helper"

local function walker_event(name, data, extra)
    local entity, action = name:match("^(%S+) (%S+)")
    local ev = {
        name = name, data = data or {}, context = {}, globals = {}, custom = {},
        user = { id = "us3r", session = "s3ss10n" }, nested = ruddercore.empty_array,
        consent = { functional = true }, id = "0000000000000001", trigger = "test",
        entity = entity, action = action, timestamp = 1700000000000, timing = 1,
        source = { type = "collector", schema = "4" },
    }
    for k, v in pairs(extra or {}) do ev[k] = v end
    return ev
end

describe("report callbacks", function()
    local dp
    setup(function() dp = helper.start_dataplane() end)
    teardown(function() if dp then dp:stop() end end)
    before_each(function() dp:reset() dp:control({}) end)

    it("onDelivery runs only inside poll/flush, with the messageIds", function()
        local delivered = {}
        local c = assert(ruddercore.client(helper.settings(dp, {
            onDelivery = function(report) delivered[#delivered + 1] = report end,
        })))
        local _, id = assert(c:track({ userId = "u", event = "e" }))
        assert.is_true(c:flush(0))
        dp:wait_events(1)
        -- the sender has delivered, but no Lua ran: nothing called yet
        assert.equal(0, #delivered)
        helper.wait_until(function()
            c:poll(100)
            return #delivered > 0
        end, "the delivery report")
        local r = delivered[1]
        assert.equal("delivered", r.kind)
        assert.equal(1, r.count)
        assert.equal(200, r.status)
        assert.same({ id }, r.messageIds)
        assert.is_true(c:close())
    end)

    it("runs callbacks on the coroutine that polls", function()
        local seen
        local c = assert(ruddercore.client(helper.settings(dp, {
            onDelivery = function() seen = coroutine.running() end,
        })))
        assert.is_true(c:track({ userId = "u", event = "e" }))
        local co = coroutine.create(function() assert(c:flush(10000)) end)
        assert(coroutine.resume(co))
        assert.equal(co, seen)
        assert.is_true(c:close())
    end)

    it("onFailure gets rejected batches with the events", function()
        dp:control({ status = 400 })
        local failed = {}
        local c = assert(ruddercore.client(helper.settings(dp, {
            onFailure = function(report) failed[#failed + 1] = report end,
        })))
        assert.is_true(c:track({ userId = "u", event = "Rejected" }))
        c:flush(10000)
        assert.equal(1, #failed)
        local r = failed[1]
        assert.equal("failed", r.kind)
        assert.equal(400, r.status)
        assert.equal(1, r.count)
        assert.equal("RUDDER_ERR_HTTP", r.error)
        assert.equal("Rejected", r.events[1].event)
        assert.is_true(c:close())
        dp:control({})
    end)

    it("onFailure reports events dropped at close", function()
        local failed, lost = {}, 0
        local c = assert(ruddercore.client({
            writeKey = "k", dataPlaneUrl = "http://127.0.0.1:9", retryCount = 100, logLevel = "off",
            onFailure = function(report)
                failed[#failed + 1] = report
                lost = lost + report.count
            end,
        }))
        assert.is_true(c:track({ userId = "u", event = "never sent" }))
        local ok, _, code, n = c:close(0)
        assert.is_nil(ok)
        assert.equal(1, n)
        assert.is_string(code)
        assert.equal(1, lost)
        assert.truthy(failed[1].kind == "dropped" or failed[1].kind == "failed")
    end)

    it("onLog gets level and line", function()
        local lines = {}
        local c = assert(ruddercore.client({
            writeKey = "k", dataPlaneUrl = "http://127.0.0.1:9", retryCount = 0, logLevel = "debug",
            onLog = function(level, line) lines[#lines + 1] = { level, line } end,
        }))
        assert.is_true(c:track({ userId = "u", event = "e" }))
        c:flush(10000)
        c:close(0)
        assert.is_true(#lines > 0)
        for _, l in ipairs(lines) do
            assert.truthy(({ debug = 1, info = 1, warn = 1, error = 1 })[l[1]])
            assert.is_string(l[2])
            assert.is_nil(l[2]:find("\"k\"", 1, true))
        end
    end)

    it("re-raises a callback error after the core call and stays usable", function()
        local calls = 0
        local c = assert(ruddercore.client(helper.settings(dp, {
            onDelivery = function()
                calls = calls + 1
                error("boom in callback")
            end,
        })))
        assert.is_true(c:track({ userId = "u", event = "e" }))
        local ok, err = pcall(c.flush, c, 10000)
        assert.is_false(ok)
        assert.matches("onDelivery callback: .*boom in callback", err)
        assert.equal(1, calls)
        -- still usable
        assert.is_true(c:track({ userId = "u", event = "e2" }))
        local ok2, err2 = pcall(c.flush, c, 10000)
        assert.is_false(ok2)
        assert.equal(2, calls)
        assert.matches("onDelivery callback: .*boom in callback", err2)
        assert.is_true(c:close())
    end)

    it("lets callbacks queue events but not flush or close", function()
        local inner = {}
        local c
        c = assert(ruddercore.client(helper.settings(dp, {
            onDelivery = function(report)
                if not inner.track then
                    inner.track = { c:track({ userId = "u", event = "from callback" }) }
                    inner.flush = { c:flush(100) }
                    inner.close = { c:close(100) }
                end
            end,
        })))
        assert.is_true(c:track({ userId = "u", event = "first" }))
        assert.is_true(c:flush(10000))
        assert.is_true(inner.track[1])
        assert.is_nil(inner.flush[1])
        assert.equal("RUDDER_ERR_IN_CALLBACK", inner.flush[3])
        assert.is_nil(inner.close[1])
        assert.is_true(c:flush(10000))
        assert.is_true(c:close())
        assert.equal(2, dp:stats().events)
    end)
end)

describe("destination report callbacks", function()
    local dp
    setup(function() dp = helper.start_dataplane() end)
    teardown(function() if dp then dp:stop() end end)

    it("may push to their destination", function()
        local dest
        local pushed = false
        dest = assert(ruddercore.destination({
            settings = helper.settings(dp, {
                onDelivery = function()
                    if not pushed then
                        pushed = true
                        assert(dest:push(walker_event("page view", { second = true })))
                    end
                end,
            }),
        }))
        assert.is_true(dest:push(walker_event("page view", { first = true })))
        assert.is_true(dest:flush(10000))
        assert.is_true(pushed)
        assert.is_true(dest:flush(10000))
        assert.is_true(dest:close())
        assert.equal(2, dp:stats().events)
    end)
end)

describe("mapping callbacks (fn, condition, validate)", function()
    local settings = { writeKey = "k", dataPlaneUrl = "http://127.0.0.1:9", logLevel = "off" }

    local function track_props(dest, ev)
        local calls = assert(dest:map(ev))
        for _, call in ipairs(calls) do
            if call[1] == "track" then return call[2].properties, call[2] end
        end
    end

    it("calls named fns with (value, context)", function()
        local seen_ctx
        local dest = assert(ruddercore.destination({
            settings = settings,
            mapping = { product = { view = { data = { map = {
                doubled = { fn = "$fn:double" },
                plain = "data.price",
            } } } } },
        }, {
            double = function(event, ctx)
                seen_ctx = ctx
                return event.data.price * 2
            end,
        }))
        local props = track_props(dest, walker_event("product view", { price = 21 }))
        assert.equal(42, props.doubled)
        assert.equal(21, props.plain)
        assert.equal("product view", seen_ctx.event.name)
        dest:close(0)
    end)

    it("accepts Lua functions inline as fn / condition / validate", function()
        local dest = assert(ruddercore.destination({
            settings = settings,
            mapping = { product = { view = { data = { map = {
                lower = { key = "data.email", fn = function() return "ignored: key wins" end },
                shout = { fn = function(ev) return ev.data.name:upper() end },
                hidden = { key = "data.name", condition = function() return false end },
                shown = { key = "data.name", condition = function() return true end },
                valid = { key = "data.email", validate = function(v) return v:find("@") ~= nil end },
                invalid = { key = "data.name", validate = function(v) return v:find("@") ~= nil end },
            } } } } },
        }))
        local props = track_props(dest, walker_event("product view", { name = "cap", email = "a@b.c" }))
        assert.equal("a@b.c", props.lower)
        assert.equal("CAP", props.shout)
        assert.is_nil(props.hidden)
        assert.equal("cap", props.shown)
        assert.equal("a@b.c", props.valid)
        assert.is_nil(props.invalid)
        dest:close(0)
    end)

    it("picks rules with a condition", function()
        local dest = assert(ruddercore.destination({
            settings = settings,
            mapping = { order = { complete = {
                { condition = function(ev) return ev.data.total > 50 end, name = "High Value Order" },
                { name = "Order" },
            } } },
        }))
        local _, call = track_props(dest, walker_event("order complete", { total = 555 }))
        assert.equal("High Value Order", call.event)
        _, call = track_props(dest, walker_event("order complete", { total = 5 }))
        assert.equal("Order", call.event)
        dest:close(0)
    end)

    it("treats a failing fn as undefined, like a throwing JS function", function()
        local dest = assert(ruddercore.destination({
            settings = settings,
            mapping = { product = { view = { data = { map = {
                broken = { fn = function() error("fn failed") end },
                fallback = { fn = function() error("fn failed") end, value = "static" },
                bad_result = { fn = function() return print end },
                ok = { value = 1 },
            } } } } },
        }))
        local props = track_props(dest, walker_event("product view", {}))
        assert.is_nil(props.broken)
        assert.is_nil(props.bad_result)
        assert.equal(1, props.ok)
        dest:close(0)
    end)

    it("refuses re-entering the same destination from a mapping callback (no deadlock)", function()
        local dest
        local inner = {}
        dest = assert(ruddercore.destination({
            settings = settings,
            mapping = { product = { view = { data = { map = {
                x = { fn = function()
                    inner.push = { dest:push({ name = "product view" }) }
                    inner.map = { dest:map({ name = "product view" }) }
                    inner.stats = { dest:stats() }
                    inner.flush = { dest:flush(0) }
                    return 1
                end },
            } } } } },
        }))
        local props = track_props(dest, walker_event("product view", {}))
        assert.equal(1, props.x)
        for _, k in ipairs({ "push", "map", "stats", "flush" }) do
            assert.is_nil(inner[k][1], k)
            assert.equal("RUDDER_ERR_IN_CALLBACK", inner[k][3], k)
        end
        assert.is_table(dest:stats())
        dest:close(0)
    end)

    it("refuses a config naming an unknown fn", function()
        local dest, err = ruddercore.destination({
            settings = settings,
            mapping = { product = { view = { data = { fn = "$fn:nope" } } } },
        })
        assert.is_nil(dest)
        assert.matches("nope", err)
    end)

    it("refuses functions in other places, naming the path", function()
        local dest, err = ruddercore.destination({
            settings = settings,
            mapping = { product = { view = { name = function() end } } },
        })
        assert.is_nil(dest)
        assert.matches("mapping%.product%.view%.name", err)
    end)
end)
