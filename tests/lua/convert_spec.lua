-- Lua <-> JSON conversion, both ways, and bad input: always `nil, err` naming the key
-- path, never a crash or a Lua panic.
local ruddercore = require "ruddercore"
local helper = require "helper"

local encode, decode = ruddercore.encode, ruddercore.decode

describe("Lua -> JSON", function()
    it("decides arrays and objects like lua-cjson", function()
        assert.equal("[1,2,3]", encode({ 1, 2, 3 }))
        assert.equal('{"a":1}', encode({ a = 1 }))
        assert.equal("{}", encode({}))                 -- the empty table is an object
        assert.equal("[]", encode(ruddercore.empty_array))
        assert.equal("[]", encode(setmetatable({}, ruddercore.array_mt)))
        assert.equal('[[],{}]', encode({ ruddercore.empty_array, {} }))
        assert.equal('{"x":null}', encode({ x = ruddercore.null }))
        assert.equal("[1,null,3]", encode({ 1, ruddercore.null, 3 }))
    end)

    it("writes scalars", function()
        assert.equal("true", encode(true))
        assert.equal("false", encode(false))
        assert.equal('"hi"', encode("hi"))
        assert.equal('"a\\"b\\\\c\\n\\u0001"', encode('a"b\\c\n\1'))
        assert.equal('"h\\u0000i"', encode("h\0i"))
        assert.equal('"Grüße ✓ 🎉"', encode("Grüße ✓ 🎉"))
        assert.equal("0.5", encode(0.5))
        assert.equal("-12", encode(-12))
        assert.equal("0.1", encode(0.1))
        assert.equal("1e+300", encode(1e300))
    end)

    it("keeps integers and floats apart (5.4) / prints integral doubles as integers (LuaJIT)", function()
        if helper.is_54 then
            assert.equal("3", encode(3))
            assert.equal("3.0", encode(3.0))
            assert.equal("9223372036854775807", encode(math.maxinteger))
            assert.equal("-9223372036854775808", encode(math.mininteger))
        else
            assert.equal("3", encode(3))
            assert.equal("3", encode(3.0))
            assert.equal("9007199254740991", encode(2 ^ 53 - 1))
        end
    end)

    it("sends integers exactly and floats as floats through a call", function()
        local msg = assert(ruddercore.build_message("track", {
            userId = "u", event = "e", properties = { i = 7, f = 2.5, n = -0.25 },
        }))
        assert.equal("track", msg.type)
        assert.equal(7, msg.properties.i)
        assert.equal(2.5, msg.properties.f)
        if helper.is_54 then
            assert.equal("integer", math.type(msg.properties.i))
            assert.equal("float", math.type(msg.properties.f))
            local m2 = assert(ruddercore.build_message("track", {
                userId = "u", event = "e", properties = { big = math.maxinteger, whole = 4.0 },
            }))
            assert.equal(math.maxinteger, m2.properties.big)
            assert.equal("float", math.type(m2.properties.whole))
        end
    end)

    local function bad(value, path_pattern, what_pattern)
        local text, err, code = encode(value)
        assert.is_nil(text)
        assert.is_string(err)
        assert.equal("RUDDER_ERR_INVALID_ARG", code)
        if path_pattern then assert.matches(path_pattern, err) end
        if what_pattern then assert.matches(what_pattern, err) end
        return err
    end

    it("rejects functions, userdata, threads with the key path", function()
        bad({ a = { b = print } }, "^a%.b: ", "function")
        bad({ list = { 1, 2, print } }, "^list%[3%]: ", "function")
        bad({ u = io.stdout }, "^u: ", "userdata")
        bad({ co = coroutine.create(function() end) }, "^co: ", "thread")
        bad({ x = ruddercore.client }, "^x: ", "function")
    end)

    if jit then
        it("rejects LuaJIT cdata (e.g. 64-bit FFI integers) with the key path", function()
            local ffi = require "ffi"
            bad({ id = ffi.new("int64_t", 1) }, "^id: ", "cdata")
        end)
    end

    it("rejects NaN and infinities", function()
        bad({ p = { v = 0 / 0 } }, "^p%.v: ", "NaN")
        bad({ p = { v = math.huge } }, "^p%.v: ", "inf")
        bad({ 1, -math.huge }, "^%[2%]: ", "inf")
    end)

    it("rejects cycles", function()
        local t = { a = {} }
        t.a.back = t
        bad(t, "^a%.back: ", "cycle")
        local l = {}
        l[1] = l
        bad(l, "^%[1%]: ", "cycle")
    end)

    it("allows the same table twice when it is not a cycle", function()
        local shared = { x = 1 }
        assert.equal('[{"x":1},{"x":1}]', encode({ shared, shared }))
    end)

    it("rejects non-string keys and sparse or mixed tables", function()
        bad({ props = { [true] = 1 } }, "^props: ", "boolean")
        bad({ props = { [1.5] = 1 } }, "^props: ", "1.5")
        bad({ props = { [{}] = 1 } }, "^props: ", "table")
        bad({ props = { [1] = "a", [3] = "c" } }, "^props: ", "sparse")
        bad({ props = { "a", x = 1 } }, "^props: ", "mixes")
        bad({ props = { [0] = "zero" } }, "^props: ", "not a string")
    end)

    it("rejects invalid UTF-8 in values and keys", function()
        bad({ s = "ok", t = { name = "\xff\xfe" } }, "^t%.name: ", "UTF%-8")
        bad({ ["bad\xc3"] = 1 }, nil, "UTF%-8")
        bad({ s = "\xed\xa0\x80" }, "^s: ", "UTF%-8") -- a surrogate
    end)

    it("rejects nesting deeper than the limit", function()
        local deep = {}
        local cur = deep
        for _ = 1, 200 do cur.x = {} cur = cur.x end
        local err = bad(deep, "^x%.x%.x", "deeper")
        assert.matches(tostring(ruddercore.max_depth), err)
        -- at the limit it works
        local ok = {}
        cur = ok
        for _ = 1, ruddercore.max_depth - 1 do cur.x = {} cur = cur.x end
        assert.is_string(encode(ok))
    end)

    it("turns bad input to a call into nil, err naming the path", function()
        local c = assert(ruddercore.client({ writeKey = "k", dataPlaneUrl = "http://127.0.0.1:9" }))
        local ok, err = c:track({ userId = "u", event = "e", properties = { items = { { price = 0 / 0 } } } })
        assert.is_nil(ok)
        assert.matches("properties%.items%[1%]%.price", err)
        ok, err = c:identify({ userId = "u", traits = { f = function() end } })
        assert.is_nil(ok)
        assert.matches("traits%.f", err)
        assert.equal(0, c:queue_length())
        c:close(0)
    end)

    it("survives a fuzz of random bad values without crashing", function()
        math.randomseed(42)
        local pool = { 1, 2.5, "s", true, ruddercore.null, print, 0 / 0, math.huge, io.stdout, "\xff" }
        local function gen(depth)
            local r = math.random(1, 4)
            if depth > 5 or r == 1 then return pool[math.random(#pool)] end
            local t = {}
            if r == 2 then
                for i = 1, math.random(0, 4) do t[i] = gen(depth + 1) end
            elseif r == 3 then
                for i = 1, math.random(0, 4) do t["k" .. i] = gen(depth + 1) end
            else
                t[math.random(1, 3)] = gen(depth + 1)
                t.mixed = gen(depth + 1)
            end
            return t
        end
        for _ = 1, 2000 do
            local v = gen(0)
            local text, err = encode(v)
            if text then
                assert.is_not_nil(decode(text))
            else
                assert.is_string(err)
            end
        end
    end)
end)

describe("JSON -> Lua", function()
    it("reads objects, arrays, null", function()
        local v = assert(decode('{"a":[1,"two",true,false,null],"b":{"c":{}},"d":[]}'))
        assert.equal(1, v.a[1])
        assert.equal("two", v.a[2])
        assert.is_true(v.a[3])
        assert.is_false(v.a[4])
        assert.equal(ruddercore.null, v.a[5])
        assert.same({}, v.b.c)
        assert.equal(0, #v.d)
    end)

    it("round-trips empty arrays through array_mt", function()
        local v = assert(decode('{"list":[],"obj":{}}'))
        assert.equal(ruddercore.array_mt, getmetatable(v.list))
        assert.is_nil(getmetatable(v.obj))
        local again = assert(decode(assert(encode(v))))
        assert.equal(ruddercore.array_mt, getmetatable(again.list))
        assert.is_nil(getmetatable(again.obj))
    end)

    it("keeps integers and floats apart on 5.4", function()
        local v = assert(decode('[1, 1.0, 1e2, -7, 9223372036854775807, 123456789012345678901234]'))
        assert.equal(1, v[1])
        assert.equal(100, v[3])
        assert.equal(-7, v[4])
        if helper.is_54 then
            assert.equal("integer", math.type(v[1]))
            assert.equal("float", math.type(v[2]))
            assert.equal("float", math.type(v[3]))
            assert.equal(math.maxinteger, v[5])
            assert.equal("float", math.type(v[6])) -- beyond 64 bits: nearest double
        end
    end)

    it("reads unicode escapes as UTF-8", function()
        assert.equal("é€😀", decode('"\\u00e9\\u20ac\\ud83d\\ude00"'))
    end)

    it("rejects bad JSON with the position", function()
        local v, err, code = decode('{"a":[1,2,}')
        assert.is_nil(v)
        assert.equal("RUDDER_ERR_INVALID_JSON", code)
        assert.is_string(err)
        v, err, code = decode('"\xff"')
        assert.is_nil(v)
        assert.equal("RUDDER_ERR_INVALID_UTF8", code)
        v, err, code = decode(string.rep("[", 500) .. string.rep("]", 500))
        assert.is_nil(v)
        assert.equal("RUDDER_ERR_TOO_DEEP", code)
    end)

    it("round-trips values", function()
        local samples = {
            { a = 1, b = { 1, 2, { c = "d" } }, e = ruddercore.null, f = false },
            { "x", 0.5, -3, { deep = { deeper = { 1 } } } },
            { unicode = "✓", quote = '"', nl = "\n" },
        }
        for _, s in ipairs(samples) do
            local back = assert(decode(assert(encode(s))))
            assert.is_true(helper.same(s, back))
        end
    end)
end)
