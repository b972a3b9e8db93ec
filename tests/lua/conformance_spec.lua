-- The shared walkerOS conformance vectors (tests/conformance/walkeros-mapping.json)
-- through the Lua destination in walkerOS dedup mode: dest:map (dry run, exact calls)
-- and dest:push (what the local data plane receives).
local ruddercore = require "ruddercore"
local helper = require "helper"

local vectors_text = assert(helper.read_file(helper.source_dir .. "/tests/conformance/walkeros-mapping.json"))
local vectors = assert(ruddercore.decode(vectors_text))
local raw_events = helper.raw_case_events(vectors_text)
local null = ruddercore.null

local cases = {}
for i, c in ipairs(vectors.cases) do
    if c.kind == "destination" then
        c.raw_events = raw_events[i]
        cases[#cases + 1] = c
    end
end

-- Lua tables have no key order, but identify dedup compares the insertion-ordered JSON
-- of traits.  Cases that depend on key order pass their events as JSON text (which
-- dest:map and dest:push accept) in the table-based pass too.
local ORDER_SENSITIVE = {
    ["identify dedup: trait key order change re-fires"] = true,
}

-- Known differences between the destination's calls and what the client will send.
-- Each is checked to still be the documented behaviour, so a fix shows up as a failure
-- here that asks for this entry to be removed.
local KNOWN_PUSH = {
    ["name: empty string rule name produces empty track event"] = {
        code = "RUDDER_ERR_MISSING_EVENT",
        why = "the client refuses track with an empty event name that walkerOS sends",
    },
}

-- {"undefined": true} in the vectors stands for a JS undefined array element, which
-- reaches JSON (and so us) as null.
local function is_undefined_marker(v)
    return type(v) == "table" and v.undefined == true and next(v, next(v)) == nil
end

local function same(expected, got)
    if is_undefined_marker(expected) then return got == nil or got == null end
    if type(expected) ~= "table" or type(got) ~= "table" then
        return expected == got
    end
    for k, v in pairs(expected) do
        if not same(v, got[k]) then return false end
    end
    for k in pairs(got) do
        if expected[k] == nil then return false end
    end
    return true
end

local function config_for(case, url)
    local settings = {}
    for k, v in pairs(case.settings) do settings[k] = v end
    settings.dataPlaneUrl = url
    settings.dedup = "walkeros"
    settings.logLevel = "off"
    local config = { settings = settings }
    if case.mapping ~= nil and case.mapping ~= null then config.mapping = case.mapping end
    for k, v in pairs(case.config or {}) do config[k] = v end
    return config
end

-- Applies the case's initial collector state and runs its events through
-- on_event(event_table, event_json_text).
local function run_case(dest, case, on_event)
    for name, state in pairs(case.collector or {}) do
        assert(dest:command(name, state))
    end
    for i, ev in ipairs(case.events) do
        if ev.walker_command then
            assert(dest:command(ev.walker_command, ev.data))
        else
            on_event(ev, case.raw_events[i])
        end
    end
end

local function show(v)
    return (ruddercore.encode(v)) or tostring(v)
end

-- ISO-8601 UTC with milliseconds, as the envelope writes a timestamp.
local function iso_ms(ms)
    return os.date("!%Y-%m-%dT%H:%M:%S", math.floor(ms / 1000)) .. string.format(".%03dZ", ms % 1000)
end

describe("walkerOS conformance via dest:map", function()
    for _, case in ipairs(cases) do
        it(case.name, function()
            local dest = assert(ruddercore.destination(config_for(case, "http://127.0.0.1:9")))
            local calls = {}
            run_case(dest, case, function(ev, raw)
                local got = assert(dest:map(ORDER_SENSITIVE[case.name] and raw or ev))
                for _, call in ipairs(got) do calls[#calls + 1] = call end
            end)
            dest:close(0)
            assert(same(case.expected_calls, calls),
                "expected " .. show(case.expected_calls) .. "\n     got " .. show(calls))
        end)
    end
end)

describe("walkerOS conformance via dest:push to the data plane", function()
    local dp
    setup(function() dp = helper.start_dataplane() end)
    teardown(function() if dp then dp:stop() end end)

    local fields = { "userId", "anonymousId", "event", "name", "groupId", "previousId" }

    for _, case in ipairs(cases) do
        it(case.name, function()
            dp:reset()
            local dest = assert(ruddercore.destination(config_for(case, dp.url)))
            local known = KNOWN_PUSH[case.name]
            local known_hit = false
            run_case(dest, case, function(_, raw)
                local ok, err, code = dest:push(raw)
                if ok then return end
                if known and code == known.code then
                    known_hit = true
                    return
                end
                -- an event with no resolvable identity is reported, and nothing is sent
                assert(code == "RUDDER_ERR_NO_IDENTITY", err)
            end)
            assert.is_true(dest:flush(20000))
            if known then
                dest:close()
                assert(known_hit, "known difference is gone (" .. known.why .. "): remove it from KNOWN_PUSH")
                io.stderr:write("\nnote: '" .. case.name .. "': " .. known.why .. "\n")
                return
            end
            local stats = dest:stats()
            assert.is_table(stats)
            assert.is_true(dest:close())
            local got = dp:events()
            assert.equal(#case.expected_calls, #got, "events at the data plane: " .. show(got))
            for i, call in ipairs(case.expected_calls) do
                local method, params = call[1], call[2]
                local ev = got[i]
                assert.equal(method, ev.type)
                for _, f in ipairs(fields) do
                    assert.equal(params[f], ev[f], f .. " of call " .. i)
                end
                if params.properties ~= nil then
                    assert(same(params.properties, ev.properties),
                        "properties: expected " .. show(params.properties) .. " got " .. show(ev.properties))
                end
                if params.traits ~= nil then
                    local traits = ev.traits or (ev.context and ev.context.traits)
                    assert(same(params.traits, traits),
                        "traits: expected " .. show(params.traits) .. " got " .. show(traits))
                end
                if params.timestamp ~= nil then
                    assert.equal(iso_ms(params.timestamp), ev.timestamp)
                end
                assert.equal("ruddercore", ev.context.library.name)
            end
        end)
    end
end)
