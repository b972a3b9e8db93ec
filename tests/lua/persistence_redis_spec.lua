-- client:create_persistence_queue (the Node SDK's createPersistenceQueue): events go
-- through a real redis-server, started on a free 127.0.0.1 port and stopped by pid.
-- A missing redis-server fails loudly (CI installs it).
local ruddercore = require "ruddercore"
local helper = require "helper"

local Redis = {}
Redis.__index = Redis

-- Tries up to 8 random ports: another test run on the machine (the same spec started in the
-- same second picks the same port from an os.time() seed) may hold one.
local function start_redis()
    assert(os.execute("command -v redis-server >/dev/null 2>&1"),
        "redis-server is not installed (CI installs it: scripts/install-deps.sh)")
    for _ = 1, 8 do
        local port = math.random(20000, 60000)
        local dir = helper.capture("mktemp -d /tmp/rudder-redis-lua-XXXXXX"):gsub("%s+$", "")
        local pid = helper.capture("exec redis-server --port " .. port .. " --bind 127.0.0.1 --save '' "
            .. "--appendonly no --dir " .. dir .. " >/dev/null 2>&1 </dev/null & echo $!"):match("%d+")
        local self = setmetatable({ pid = pid, port = port, dir = dir }, Redis)
        local up = pcall(helper.wait_until, function()
            if not helper.alive(pid) then error("redis-server exited") end
            return self:cli("PING") == "PONG"
        end, "redis-server to answer", 10)
        if up then return self end
        self:stop()
    end
    error("redis-server did not start on any of 8 random ports")
end

function Redis:cli(...)
    local args = { "redis-cli", "-p", tostring(self.port), "--raw" }
    for _, a in ipairs({ ... }) do args[#args + 1] = helper.shell_quote(a) end
    return (helper.capture(table.concat(args, " ") .. " 2>&1"):gsub("%s+$", ""))
end

function Redis:stop()
    os.execute("kill -TERM " .. self.pid .. " 2>/dev/null")
    pcall(helper.wait_until, function() return not helper.alive(self.pid) end, "redis-server to exit", 10)
    os.execute("rm -rf " .. helper.shell_quote(self.dir))
end

describe("client:create_persistence_queue", function()
    local dp, redis
    setup(function()
        -- time plus a table's address: two runs started in the same second differ
        math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
        dp = helper.start_dataplane({ "--write-key", "test-write-key" })
        redis = start_redis()
    end)
    teardown(function()
        if dp then dp:stop() end
        if redis then redis:stop() end
    end)
    before_each(function() dp:reset() end)

    it("sends through Redis with the Node SDK's options and deletes what was delivered", function()
        local c = assert(ruddercore.client(helper.settings(dp, { flushInterval = 50 })))
        local ok, err = c:create_persistence_queue({
            queueName = "luaQueue",
            redisOpts = { host = "127.0.0.1", port = redis.port },
            jobOpts = { maxAttempts = 3 },
        })
        assert.is_true(ok, err)
        for i = 1, 100 do assert(c:track({ userId = "u" .. i, event = "E", properties = { i = i } })) end
        assert(c:flush(20000))
        dp:wait_events(100)
        local events = dp:events()
        for i = 1, 100 do assert.equal(i, events[i].properties.i) end
        helper.wait_until(function()
            return not redis:cli("KEYS", "*"):find(":b:", 1, true)
        end, "delivered batches deleted")
        local keys = redis:cli("KEYS", "*")
        assert.truthy(keys:find("{rudder}:luaQueue:", 1, true))
        assert.falsy(keys:find("test-write-key", 1, true))
        c:close()
    end)

    it("takes the camelCase name and a redis:// URL", function()
        local c = assert(ruddercore.client(helper.settings(dp, { flushInterval = 50 })))
        assert.is_true(c:createPersistenceQueue("redis://127.0.0.1:" .. redis.port))
        assert(c:track({ userId = "u", event = "E" }))
        assert(c:flush(20000))
        dp:wait_events(1)
        c:close()
    end)

    it("returns an error to retry when Redis is unreachable, and refuses after the first call", function()
        local c = assert(ruddercore.client(helper.settings(dp)))
        local ok, err, code = c:create_persistence_queue({ port = 1, password = "pw-secret" })
        assert.is_nil(ok)
        assert.matches("cannot connect to Redis at 127.0.0.1:1", err, 1, true)
        assert.falsy(err:find("pw-secret", 1, true))
        assert.equal("RUDDER_ERR_CONFIG", code)
        assert(c:track({ userId = "u", event = "E" }))
        ok, err = c:create_persistence_queue({ port = redis.port })
        assert.is_nil(ok)
        assert.matches("already accepted calls", err, 1, true)
        c:close()
    end)
end)
