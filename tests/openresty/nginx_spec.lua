-- OpenResty test: Debian's nginx + libnginx-mod-http-lua on 127.0.0.1 with its own
-- prefix under a temp dir.  Requests push walkerOS events from log_by_lua; nginx is
-- reloaded halfway and stopped with `nginx -s quit`; the local data plane must have
-- received every event exactly once.
--
-- Environment (set by tests/lua/run.sh): RUDDER_DATAPLANE, RUDDER_SOURCE_DIR,
-- RUDDER_LUA_CPATH (the LuaJIT build's ruddercore.so pattern), RUDDER_LUA_PATH (the
-- resty/ruddercore.lua pattern; default: the source tree's lua/), NGINX (optional).
local ruddercore = require "ruddercore"
local helper = require "helper"

local NGINX = os.getenv("NGINX") or "/usr/sbin/nginx"
local N = 400

local function sh(cmd)
    local r = os.execute(cmd)
    return r == true or r == 0
end

local Nginx = {}
Nginx.__index = Nginx

local function start_nginx(dp)
    local prefix = helper.tmpname() .. "-nginx"
    assert(sh("mkdir -p " .. prefix .. "/conf " .. prefix .. "/logs " .. prefix .. "/tmp"))
    local template = assert(helper.read_file(helper.source_dir .. "/tests/openresty/nginx.conf.in"))
    local is_root = helper.capture("id -u"):match("^0") ~= nil
    local self = setmetatable({ prefix = prefix }, Nginx)
    -- A random port; retried when it happens to be taken.
    math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 1000)
    for _ = 1, 8 do
        local port = math.random(20000, 60000)
        local subst = {
            USER = is_root and "user root;" or "",
            PORT = tostring(port),
            DATAPLANE_URL = dp.url,
            LUA_PATH = os.getenv("RUDDER_LUA_PATH") or (helper.source_dir .. "/lua/?.lua"),
            LUA_CPATH = assert(os.getenv("RUDDER_LUA_CPATH"), "RUDDER_LUA_CPATH is not set"),
        }
        local conf = template:gsub("@([%u_]+)@", function(k) return assert(subst[k], k) end)
        local f = assert(io.open(prefix .. "/conf/nginx.conf", "wb"))
        f:write(conf)
        f:close()
        self.conf = prefix .. "/conf/nginx.conf"
        self.base = "http://127.0.0.1:" .. port
        local pid = helper.capture("exec " .. NGINX .. " -p " .. prefix .. " -c " .. self.conf
            .. " -e " .. prefix .. "/logs/error.log -g 'daemon off;' >" .. prefix
            .. "/logs/stdout.log 2>&1 </dev/null & echo $!"):match("%d+")
        self.pid = pid
        local up = pcall(helper.wait_until, function()
            if not helper.alive(pid) then error("nginx exited") end
            local status = helper.http("GET", self.base .. "/init-phase")
            return status == 200
        end, "nginx to answer", 20)
        if up then return self end
        local log = helper.read_file(prefix .. "/logs/error.log") or ""
        self:kill()
        if not log:find("Address already in use", 1, true) then
            error("nginx did not start:\n" .. log .. (helper.read_file(prefix .. "/logs/stdout.log") or ""))
        end
    end
    error("no free port for nginx")
end

function Nginx:signal(sig)
    return sh(NGINX .. " -p " .. self.prefix .. " -c " .. self.conf .. " -e " .. self.prefix
        .. "/logs/error.log -s " .. sig .. " 2>>" .. self.prefix .. "/logs/stdout.log")
end

function Nginx:error_log()
    return helper.read_file(self.prefix .. "/logs/error.log") or ""
end

function Nginx:kill()
    if self.pid and helper.alive(self.pid) then
        sh("kill -TERM " .. self.pid)
        pcall(helper.wait_until, function() return not helper.alive(self.pid) end, "nginx to exit", 10)
        if helper.alive(self.pid) then sh("kill -KILL " .. self.pid) end
    end
end

function Nginx:cleanup()
    self:kill()
    sh("rm -rf " .. helper.shell_quote(self.prefix))
end

-- Sends requests /page?n=from..to with curl's URL globbing (one process).
local function send_pages(base, from, to)
    local out = helper.capture("curl -s -o /dev/null -w '%{http_code}\\n' -H 'Connection: close' '"
        .. base .. "/page?n=[" .. from .. "-" .. to .. "]'")
    local ok = 0
    for code in out:gmatch("%d+") do
        if code == "200" then ok = ok + 1 end
    end
    return ok
end

-- For a describe block: its own data plane and nginx, started in setup, stopped in teardown.
local function own_nginx()
    local env = {}
    setup(function()
        env.dp = helper.start_dataplane()
        env.nginx = start_nginx(env.dp)
    end)
    teardown(function()
        if env.nginx then env.nginx:cleanup() end
        if env.dp then env.dp:stop() end
    end)
    return env
end

describe("OpenResty: resty.ruddercore in nginx", function()
    local env = own_nginx()

    it("refuses to create a client in init_by_lua*", function()
        local status, body = helper.http("GET", env.nginx.base .. "/init-phase")
        assert.equal(200, status)
        local resty_ok, resty_err, client_ok, client_err = body:match("^(.-)|(.-)|(.-)|(.-)\n?$")
        assert.equal("false", resty_ok)
        assert.matches("init_worker_by_lua", resty_err)
        assert.matches("init_by_lua", resty_err)
        assert.equal("false", client_ok)
        assert.matches("init_worker_by_lua", client_err)
    end)

    it("delivers every log-phase push exactly once across a reload and nginx -s quit", function()
        local half = math.floor(N / 2)
        assert.equal(half, send_pages(env.nginx.base, 1, half))
        -- nothing is sent before a worker exits (flushAt/flushInterval are huge)
        assert.equal(0, env.dp:stats().events)
        -- reload: the old workers exit gracefully and must send what they hold
        assert.is_true(env.nginx:signal("reload"))
        env.dp:wait_events(half, 30)
        assert.equal(half, env.dp:stats().events)
        assert.equal(N - half, send_pages(env.nginx.base, half + 1, N))
        -- graceful stop
        assert.is_true(env.nginx:signal("quit"))
        helper.wait_until(function() return not helper.alive(env.nginx.pid) end, "nginx to exit", 30)

        local log = env.nginx:error_log()
        assert.is_nil(log:find("ruddercore push failed", 1, true), log)
        assert.is_nil(log:find("ruddercore init_worker failed", 1, true), log)

        local st = env.dp:stats()
        assert.equal(N, st.events)
        assert.equal(N, st.unique)
        assert.equal(0, st.duplicates)
        local seen = {}
        for _, ev in ipairs(env.dp:events()) do
            assert.equal("track", ev.type)
            assert.equal("Page Viewed", ev.event)
            local n = ev.properties.n
            assert.is_nil(seen[n], "event " .. tostring(n) .. " twice")
            seen[n] = true
            assert.equal("user-" .. n, ev.userId)
        end
        for n = 1, N do assert.is_true(seen[n], "event " .. n .. " missing") end
    end)
end)

-- A loopback load loop in the background (one curl per request, bounded in count and by
-- `timeout`); each line of the result file is "N STATUS".  Touching the stop file ends it early.
local function start_load(base, dir, count)
    local results, stop = dir .. "/load.txt", dir .. "/load.stop"
    sh("timeout 120 sh -c 'for n in $(seq 1 " .. count .. "); do [ -e " .. stop .. " ] && break; "
        .. "echo \"$n $(curl -s -o /dev/null -m 30 -w \"%{http_code}\" -H \"Connection: close\" \""
        .. base .. "/page?n=$n\")\" >> " .. results .. "; done; touch " .. dir .. "/load.done' >/dev/null 2>&1 &")
    local load = { results = results, stop = stop, done = dir .. "/load.done" }
    function load.lines()
        local text = helper.read_file(results) or ""
        local ok, total = {}, 0
        for n, code in text:gmatch("(%d+) (%d+)\n") do
            total = total + 1
            if code == "200" then ok[tonumber(n)] = true end
        end
        return total, ok
    end
    function load.wait_lines(n, what)
        helper.wait_until(function() return (load.lines()) >= n end, what, 60)
    end
    function load.finish()
        sh("touch " .. stop)
        helper.wait_until(function() return helper.read_file(load.done) ~= nil end, "the load loop to end", 130)
    end
    return load
end

local function worker_pids(master)
    local pids = {}
    for pid in helper.capture("ps -o pid= --ppid " .. master):gmatch("%d+") do pids[#pids + 1] = pid end
    return pids
end

describe("OpenResty under load", function()
    local env = own_nginx()

    it("delivers every answered request's event exactly once through nginx -s reload and -s quit mid-load", function()
        local load = start_load(env.nginx.base, env.nginx.prefix, 3000)
        local ok, err = pcall(function()
            load.wait_lines(200, "requests before the reload")
            local old = worker_pids(env.nginx.pid)
            assert.is_true(#old >= 2, "nginx has its workers")
            assert.is_true(env.nginx:signal("reload"))
            -- the old workers finish their requests, send what they hold, and exit
            helper.wait_until(function()
                for _, pid in ipairs(old) do if helper.alive(pid) then return false end end
                return true
            end, "the old workers to exit", 30)
            local seen = load.lines()
            load.wait_lines(seen + 200, "requests after the reload")
            -- one request in flight across the quit: its log phase runs after the worker's
            -- timers were told it exits (this lost its event before resty.ruddercore kept
            -- the client open while exiting)
            sh("curl -s -o /dev/null -m 10 -w '100000 %{http_code}\\n' '" .. env.nginx.base
                .. "/page?n=100000&slow=1' >> " .. load.results .. " &")
            helper.wait_until(function()
                local _, body = helper.http("GET", env.nginx.base .. "/slow-started")
                return tonumber(body) == 1
            end, "the slow request to be in flight", 10)
            assert.is_true(env.nginx:signal("quit"))
            helper.wait_until(function() return not helper.alive(env.nginx.pid) end, "nginx to exit", 30)
        end)
        load.finish()
        assert(ok, err)
        helper.wait_until(function() return select(2, load.lines())[100000] end,
            "the request in flight across the quit to be answered", 15)

        local log = env.nginx:error_log()
        assert.is_nil(log:find("ruddercore push failed", 1, true), log)
        local total, answered = load.lines()
        local want = 0
        for _ in pairs(answered) do want = want + 1 end
        assert.is_true(want >= 400 and want <= total, "answered " .. want .. " of " .. total)
        local st = env.dp:stats()
        assert.equal(want, st.events)
        assert.equal(want, st.unique)
        assert.equal(0, st.duplicates)
        for _, ev in ipairs(env.dp:events()) do
            assert.is_true(answered[ev.properties.n], "event " .. tostring(ev.properties.n) .. " was not answered")
        end
    end)
end)
