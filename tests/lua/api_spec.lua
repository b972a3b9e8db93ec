-- The client API against the local data plane: create, the six calls, flush, poll,
-- stats, close, __gc and (5.4) __close.
local ruddercore = require "ruddercore"
local helper = require "helper"

describe("ruddercore module", function()
    it("exposes the API", function()
        assert.is_function(ruddercore.client)
        assert.is_function(ruddercore.destination)
        assert.is_string(ruddercore.version)
        assert.truthy(ruddercore.version:match("^%d+%.%d+%.%d+"))
        assert.equal("userdata", type(ruddercore.null))
        assert.is_table(ruddercore.array_mt)
    end)
end)

describe("ruddercore.client", function()
    local dp
    setup(function() dp = helper.start_dataplane() end)
    teardown(function() if dp then dp:stop() end end)
    before_each(function() dp:reset() end)

    it("refuses bad settings with an error naming the setting", function()
        local c, err, code = ruddercore.client(helper.settings(dp, { flushAt = 0 }))
        assert.is_nil(c)
        assert.matches("flushAt", err)
        assert.equal("RUDDER_ERR_CONFIG", code)

        c, err = ruddercore.client(helper.settings(dp, { noSuchSetting = 1 }))
        assert.is_nil(c)
        assert.matches("noSuchSetting", err)

        c, err = ruddercore.client(helper.settings(dp, { flushAt = {} }))
        assert.is_nil(c)
        assert.matches("flushAt", err)

        c, err = ruddercore.client({ dataPlaneUrl = dp.url })
        assert.is_nil(c)
        assert.matches("writeKey", err)
    end)

    it("returns nil, err for arguments of the wrong type", function()
        local c, err, code = ruddercore.client("writeKey=x")
        assert.is_nil(c)
        assert.matches("settings table", err)
        assert.equal("RUDDER_ERR_INVALID_ARG", code)
        c, err = ruddercore.client(helper.settings(dp, { onDelivery = "not a function" }))
        assert.is_nil(c)
        assert.matches("onDelivery", err)
        c, err = ruddercore.client(helper.settings(dp, { integrations = { bad = 0 / 0 } }))
        assert.is_nil(c)
        assert.matches("integrations", err)
    end)

    it("never echoes the write key in errors", function()
        local c, err = ruddercore.client({ writeKey = "s3cr3t-key-value", dataPlaneUrl = dp.url, flushAt = -5 })
        assert.is_nil(c)
        assert.matches("flushAt", err)
        assert.is_nil(err:find("s3cr3t", 1, true))
    end)

    it("sends all six calls and returns true", function()
        local c = assert(ruddercore.client(helper.settings(dp)))
        local ok, id = c:track({ userId = "u1", event = "Order Completed", properties = { total = 5 } })
        assert.is_true(ok)
        assert.matches("^%x+%-%x+%-%x+%-%x+%-%x+$", id)
        assert.is_true(c:identify({ userId = "u1", traits = { email = "a@example.com" } }))
        assert.is_true(c:group({ userId = "u1", groupId = "g1", traits = { plan = "pro" } }))
        assert.is_true(c:page({ anonymousId = "a1", name = "Home", properties = { path = "/" } }))
        assert.is_true(c:screen({ userId = "u1", name = "Settings" }))
        assert.is_true(c:alias({ userId = "u1", previousId = "a1" }))
        assert.is_true(c:flush(10000))
        local st = dp:wait_events(6)
        assert.equal(6, st.events)
        local evs = dp:events()
        local types = {}
        for _, e in ipairs(evs) do types[#types + 1] = e.type end
        assert.same({ "track", "identify", "group", "page", "screen", "alias" }, types)
        assert.equal(id, evs[1].messageId)
        assert.equal("Order Completed", evs[1].event)
        assert.equal("ruddercore", evs[1].context.library.name)
        assert.truthy(ruddercore.encode(evs[1].context.library):find("ruddercore-lua", 1, true))
        assert.equal(5, evs[1].properties.total)
        assert.is_true(c:close())
    end)

    it("accepts JSON text as a message", function()
        local c = assert(ruddercore.client(helper.settings(dp)))
        assert.is_true(c:track('{"userId":"u2","event":"From JSON","properties":{"big":12345678901234567}}'))
        assert.is_true(c:flush(10000))
        dp:wait_events(1)
        local evs = dp:events()
        assert.equal("From JSON", evs[1].event)
        assert.is_true(c:close())
    end)

    it("sends a table exactly as its JSON text, whatever its top-level keys", function()
        -- tables reach the envelope by their members as written, text by the core's scan:
        -- the same message either way
        local c = assert(ruddercore.client(helper.settings(dp)))
        local msg = { userId = 7, event = "Odd Keys", messageId = "m-table", ['we"ird\\key'] = { 1, "two" },
                      ["caf\195\169"] = ruddercore.null, flag = false, properties = {},
                      context = { library = "theirs", page = { path = "/" } } }
        assert.is_true(c:track(msg))
        msg.messageId = "m-text"
        assert.is_true(c:track(ruddercore.encode(msg)))
        local ok, err = c:track({ 1, 2 })
        assert.is_nil(ok)
        assert.matches("JSON object", err)
        assert.is_true(c:flush(10000))
        dp:wait_events(2)
        local evs = dp:events()
        local by = {}
        for _, e in ipairs(evs) do by[e.messageId] = e end
        local t, x = by["m-table"], by["m-text"]
        assert.equal("7", t.userId)
        assert.same({ 1, "two" }, t['we"ird\\key'])
        assert.equal(ruddercore.null, t["caf\195\169"])
        assert.is_false(t.flag)
        assert.equal("/", t.context.page.path)
        assert.equal("ruddercore", t.context.library.name)
        t.messageId, x.messageId = nil, nil
        t.originalTimestamp, x.originalTimestamp = nil, nil
        t.sentAt, x.sentAt = nil, nil
        assert.same(x, t)
        assert.is_true(c:close())
    end)

    it("returns nil, err for invalid messages and queues nothing", function()
        local c = assert(ruddercore.client(helper.settings(dp)))
        local ok, err, code = c:track({ event = "No identity" })
        assert.is_nil(ok)
        assert.matches("userId", err)
        assert.equal("RUDDER_ERR_MISSING_IDENTITY", code)
        ok, err = c:track({ userId = "u" })
        assert.is_nil(ok)
        assert.matches("event", err)
        ok, err = c:group({ userId = "u" })
        assert.is_nil(ok)
        assert.matches("groupId", err)
        ok, err = c:alias({ userId = "u" })
        assert.is_nil(ok)
        assert.matches("previousId", err)
        ok, err = c:track("not json")
        assert.is_nil(ok)
        ok, err = c:track(42)
        assert.is_nil(ok)
        assert.matches("table or JSON text", err)
        assert.equal(0, c:queue_length())
        local stats = c:stats()
        assert.equal(0, stats.accepted)
        assert.is_true(stats.rejected >= 5)
        assert.is_true(c:close())
    end)

    it("says the closeTimeout it closes with (resty.ruddercore bounds a worker's exit by it)", function()
        local c = assert(ruddercore.client(helper.settings(dp, { closeTimeout = 7250 })))
        assert.equal(7250, c:close_timeout())
        assert.is_true(c:close())
        local d = assert(ruddercore.destination({ settings = helper.settings(dp, { closeTimeout = 125 }) }))
        assert.equal(125, d:close_timeout())
        assert.is_true(d:close())
    end)

    it("flush(0) starts a send without waiting; poll returns a count", function()
        local c = assert(ruddercore.client(helper.settings(dp, { flushAt = 1000, flushInterval = 86400000 })))
        assert.is_true(c:track({ userId = "u", event = "e" }))
        assert.is_true(c:flush(0))
        dp:wait_events(1)
        assert.is_number(c:poll(0))
        assert.is_true(c:close())
    end)

    it("reports a flush timeout with the number left", function()
        dp:control({ delayMs = 3000, count = 1 })
        local c = assert(ruddercore.client(helper.settings(dp, { requestTimeout = 10000 })))
        assert.is_true(c:track({ userId = "u", event = "slow" }))
        local ok, err, code, remaining = c:flush(50)
        assert.is_nil(ok)
        assert.equal("RUDDER_ERR_TIMEOUT", code)
        assert.equal(1, remaining)
        assert.matches("1", err)
        assert.is_true(c:flush(20000))
        assert.is_true(c:close())
        dp:control({})
    end)

    it("stats() returns the counters", function()
        local c = assert(ruddercore.client(helper.settings(dp)))
        for i = 1, 10 do assert.is_true(c:track({ userId = "u", event = "e" .. i })) end
        assert.is_true(c:flush(10000))
        local s = c:stats()
        assert.equal(10, s.accepted)
        assert.equal(10, s.sentEvents)
        assert.equal(0, s.queueDepth)
        if helper.is_54 then assert.equal("integer", math.type(s.sentEvents)) end
        assert.is_true(c:close())
    end)

    it("close() is idempotent and later calls fail cleanly", function()
        local c = assert(ruddercore.client(helper.settings(dp)))
        assert.is_true(c:track({ userId = "u", event = "before close" }))
        assert.is_true(c:close())
        assert.is_true(c:close())
        local ok, err, code = c:track({ userId = "u", event = "after close" })
        assert.is_nil(ok)
        assert.equal("RUDDER_ERR_CLOSED", code)
        assert.matches("closed", err)
        ok, err, code = c:flush(100)
        assert.is_nil(ok)
        assert.equal("RUDDER_ERR_CLOSED", code)
        assert.equal(0, c:poll(0))
        assert.is_table(c:stats())
        assert.matches("closed", tostring(c))
        local st = dp:wait_events(1)
        assert.equal(1, st.events)
    end)

    it("close() delivers what was queued (nothing lost)", function()
        local c = assert(ruddercore.client(helper.settings(dp, { flushAt = 500, flushInterval = 86400000 })))
        for i = 1, 200 do assert.is_true(c:track({ userId = "u", event = "e", properties = { i = i } })) end
        assert.is_true(c:close(20000))
        local st = dp:stats()
        assert.equal(200, st.events)
        assert.equal(200, st.unique)
    end)

    it("__gc closes the client and delivers its events", function()
        do
            local c = assert(ruddercore.client(helper.settings(dp, { flushAt = 500, flushInterval = 86400000 })))
            assert.is_true(c:track({ userId = "u", event = "collected" }))
        end
        collectgarbage()
        collectgarbage()
        local st = dp:wait_events(1)
        assert.equal(1, st.events)
        assert.equal("collected", dp:events()[1].event)
    end)

    it("__gc of a closed client is harmless", function()
        local c = assert(ruddercore.client(helper.settings(dp)))
        assert.is_true(c:close())
        c = nil
        collectgarbage()
        collectgarbage()
    end)

    if helper.is_54 then
        it("<close> variables close the client at scope exit (Lua 5.4)", function()
            local chunk = assert(load([[
                local ruddercore, settings = ...
                local c <close> = assert(ruddercore.client(settings))
                assert(c:track({ userId = "u", event = "to-be-closed" }))
                return c
            ]]))
            local c = chunk(ruddercore, helper.settings(dp, { flushAt = 500, flushInterval = 86400000 }))
            assert.matches("closed", tostring(c))
            assert.equal(1, dp:stats().events)
        end)
    end

    it("client methods reject other objects", function()
        local c = assert(ruddercore.client(helper.settings(dp)))
        assert.has_error(function() c.track({}, { userId = "u", event = "e" }) end)
        assert.has_error(function() c.flush(nil) end)
        assert.is_true(c:close())
    end)
end)

describe("ruddercore.destination", function()
    local dp
    setup(function() dp = helper.start_dataplane() end)
    teardown(function() if dp then dp:stop() end end)
    before_each(function() dp:reset() end)

    local function event(n)
        return {
            name = "page view", data = { n = n }, user = { id = "u" .. n, session = "s" },
            context = {}, globals = {}, custom = {}, nested = ruddercore.empty_array,
            consent = { functional = true }, id = "000000000000000" .. n, trigger = "load",
            entity = "page", action = "view", timestamp = 1700000000000, timing = 0,
            source = { type = "server", schema = "4" },
        }
    end

    it("refuses bad configs with nil, err", function()
        local d, err, code = ruddercore.destination(42)
        assert.is_nil(d)
        assert.equal("RUDDER_ERR_INVALID_ARG", code)
        d, err = ruddercore.destination("{not json")
        assert.is_nil(d)
        assert.is_string(err)
        d, err = ruddercore.destination({ settings = { writeKey = "k", dataPlaneUrl = dp.url, flushAt = 0 } })
        assert.is_nil(d)
        assert.matches("flushAt", err)
        d, err = ruddercore.destination({ settings = { writeKey = "k", dataPlaneUrl = dp.url }, data = { x = 0 / 0 } })
        assert.is_nil(d)
        assert.matches("config%.data%.x", err)
        d, err = ruddercore.destination({ settings = { writeKey = "k", dataPlaneUrl = dp.url } }, 5)
        assert.is_nil(d)
        assert.matches("fns", err)
    end)

    it("pushes tables and JSON text, flushes, polls, closes", function()
        local delivered = 0
        local d = assert(ruddercore.destination({
            settings = { writeKey = "k", dataPlaneUrl = dp.url, logLevel = "error",
                         onDelivery = function(r) delivered = delivered + r.count end },
            mapping = { page = { view = { name = "Page Viewed", data = "data" } } },
        }))
        assert.is_true(d:push(event(1)))
        assert.is_true(d:push(assert(ruddercore.encode(event(2)))))
        local ok, err, code = d:push({ name = "nope" })
        assert.is_nil(ok)
        assert.is_string(err)
        assert.is_string(code)
        ok, err = d:push({ name = "page view", data = { f = print } })
        assert.is_nil(ok)
        assert.matches("data%.f", err)
        assert.is_true(d:flush(10000))
        assert.equal(2, delivered)
        assert.is_number(d:poll(0))
        local st = d:stats()
        assert.is_table(st)
        assert.is_true(d:close())
        assert.is_true(d:close())
        ok, err, code = d:push(event(3))
        assert.is_nil(ok)
        assert.equal("RUDDER_ERR_CLOSED", code)
        local evs = dp:events()
        assert.equal(2, #evs)
        assert.equal("Page Viewed", evs[1].event)
        assert.equal(1, evs[1].properties.n)
        assert.equal("u2", evs[2].userId)
    end)

    -- A table event goes straight into the core's tree (no JSON text); nothing may change.
    it("maps a table event exactly as its JSON text", function()
        local d = assert(ruddercore.destination({
            settings = { writeKey = "k", dataPlaneUrl = dp.url },
            mapping = { page = { view = { name = "Page Viewed", data = { map = {
                all = "data", first = "data.list.0", text = "data.text" } } } } },
        }))
        local ev = event(1)
        ev.data = {
            int = 42, neg = -7, float = 0.1, whole = 3.0, big = 2 ^ 60, tiny = 1e-300,
            text = 'quote " backslash \\ newline \n tab \t \u{e9}', empty = "",
            list = { 1, "a", true, false }, nested = { a = { b = { { c = 1 } } } },
            none = ruddercore.empty_array, obj = {},
        }
        local from_table = assert(d:map(ev))
        local from_text = assert(d:map(assert(ruddercore.encode(ev))))
        assert.same(from_text, from_table)
        local props = from_table[1][2].properties
        assert.equal(ev.data.text, props.text)
        assert.equal(1, props.first)
        assert.equal(0.1, props.all.float)
        assert.is_true(d:close(0))
    end)

    it("names the path of an event the core's limits refuse, counts it, goes on", function()
        local d = assert(ruddercore.destination({
            settings = { writeKey = "k", dataPlaneUrl = dp.url, flushAt = 1 },
        }))
        local deep = {}
        local cur = deep
        for _ = 1, 40 do
            cur.x = {}
            cur = cur.x
        end
        local ev = event(1)
        ev.data = deep
        local ok, err, code = d:push(ev)
        assert.is_nil(ok)
        assert.matches("^event: data%.x%.x.*deeper than 32 levels", err)
        assert.equal("RUDDER_ERR_TOO_DEEP", code)
        ev.data = { s = "a\0b" }
        ok, err, code = d:push(ev)
        assert.is_nil(ok)
        assert.matches("data%.s: .*NUL", err)
        ev.data = { s = ("x"):rep(1024 * 1024) }
        ok, err, code = d:map(ev)
        assert.is_nil(ok)
        assert.matches("bytes of JSON", err)
        assert.equal("RUDDER_ERR_TOO_LARGE", code)
        local ones = {}
        for i = 1, 70000 do ones[i] = 1 end -- 140 KB of JSON: far below the limit
        ev.data = { list = ones }
        assert.is_table(assert(d:map(ev)))
        ev.data = { s = "caf\xc3" } -- a cut UTF-8 sequence
        ok, err, code = d:push(ev)
        assert.is_nil(ok)
        assert.matches("data%.s: string is not valid UTF%-8", err)
        assert.equal("RUDDER_ERR_INVALID_UTF8", code)
        assert.equal(4, d:stats().invalid)
        assert.is_true(d:push(event(2)))
        assert.is_true(d:flush(10000))
        assert.equal(1, dp:wait_events(1).events)
        assert.is_true(d:close())
    end)

    it("__gc closes the destination and delivers its events", function()
        do
            local d = assert(ruddercore.destination({
                settings = { writeKey = "k", dataPlaneUrl = dp.url, flushAt = 500, flushInterval = 86400000 },
            }))
            assert.is_true(d:push(event(7)))
        end
        collectgarbage()
        collectgarbage()
        local st = dp:wait_events(1)
        assert.equal(1, st.events)
    end)
end)
