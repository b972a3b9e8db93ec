-- Shared helpers for the busted specs: the local data plane (started and stopped by
-- pid), HTTP to it through the curl command-line tool, and waiting on conditions.
--
-- Environment (set by tests/lua/run.sh):
--   RUDDER_DATAPLANE   path of the rudder-dataplane binary
--   RUDDER_SOURCE_DIR  the repository root
local ruddercore = require "ruddercore"

local M = {}

M.source_dir = os.getenv("RUDDER_SOURCE_DIR") or "."
M.is_54 = _VERSION == "Lua 5.4"

local function shell_quote(s)
    return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
M.shell_quote = shell_quote

local function read_file(path)
    local f = io.open(path, "rb")
    if not f then return nil end
    local s = f:read("*a")
    f:close()
    return s
end
M.read_file = read_file

-- Runs a command and returns its stdout.
local function capture(cmd)
    local p = assert(io.popen(cmd, "r"))
    local out = p:read("*a")
    p:close()
    return out
end
M.capture = capture

-- A short pause between checks of a condition (not a guess at how long work takes).
local function nap(seconds)
    os.execute("sleep " .. tostring(seconds))
end

--- Waits until fn() returns a truthy value (returned), or fails after timeout_s.
function M.wait_until(fn, what, timeout_s)
    timeout_s = timeout_s or 20
    local deadline = os.time() + timeout_s
    local delay = 0.01
    while true do
        local v = fn()
        if v then return v end
        if os.time() > deadline then
            error("timed out waiting for " .. (what or "a condition"), 2)
        end
        nap(delay)
        if delay < 0.2 then delay = delay * 2 end
    end
end

local function tmpname()
    local p = os.tmpname()
    os.remove(p)
    return p
end
M.tmpname = tmpname

-- 1 when the process exists and is not a zombie.
local function alive(pid)
    local stat = read_file("/proc/" .. pid .. "/stat")
    if stat then
        local state = stat:match("^%d+ %b() (%a)")
        return state ~= nil and state ~= "Z"
    end
    return os.execute("kill -0 " .. pid .. " 2>/dev/null") == true
        or os.execute("kill -0 " .. pid .. " 2>/dev/null") == 0
end
M.alive = alive

--- HTTP request with curl: returns status (number) and body.
function M.http(method, url, body)
    local cmd = "curl -s -S -o - -w '\\n%{http_code}' -X " .. method
    local bodyfile
    if body then
        bodyfile = tmpname()
        local f = assert(io.open(bodyfile, "wb"))
        f:write(body)
        f:close()
        cmd = cmd .. " -H 'Content-Type: application/json' --data-binary @" .. bodyfile
    end
    local out = capture(cmd .. " " .. shell_quote(url) .. " 2>&1")
    if bodyfile then os.remove(bodyfile) end
    local text, status = out:match("^(.*)\n(%d+)$")
    return tonumber(status), text or out
end

local Dataplane = {}
Dataplane.__index = Dataplane

--- Starts rudder-dataplane on 127.0.0.1 with a free port; args is a list of extra flags.
function M.start_dataplane(args)
    local bin = assert(os.getenv("RUDDER_DATAPLANE"), "RUDDER_DATAPLANE is not set")
    local out = tmpname()
    local cmd = { shell_quote(bin), "--port", "0", "--quiet" }
    for _, a in ipairs(args or {}) do cmd[#cmd + 1] = shell_quote(a) end
    local pid = capture("exec " .. table.concat(cmd, " ") .. " >" .. out .. " 2>" .. out
        .. ".err </dev/null & echo $!"):match("%d+")
    assert(pid, "could not start rudder-dataplane")
    local self = setmetatable({ pid = pid, out = out }, Dataplane)
    local ok, err = pcall(M.wait_until, function()
        local s = read_file(out) or ""
        local url = s:match("listening (http://[%d%.]+:%d+)")
        if url then self.url = url return true end
        if not alive(pid) then error("rudder-dataplane exited: " .. (read_file(out .. ".err") or "")) end
    end, "rudder-dataplane to listen", 20)
    if not ok then
        self:stop()
        error(err)
    end
    return self
end

function Dataplane:get(path)
    local status, body = M.http("GET", self.url .. path)
    assert(status == 200, "GET " .. path .. ": " .. tostring(status) .. " " .. tostring(body))
    return assert(ruddercore.decode(body))
end

function Dataplane:stats() return self:get("/_stats") end
function Dataplane:events() return self:get("/_events") end

function Dataplane:control(fault)
    local status, body = M.http("POST", self.url .. "/_control", assert(ruddercore.encode(fault)))
    assert(status == 200, "POST /_control: " .. tostring(status) .. " " .. tostring(body))
end

function Dataplane:reset()
    local status, body = M.http("POST", self.url .. "/_reset", "{}")
    assert(status == 200, "POST /_reset: " .. tostring(status) .. " " .. tostring(body))
end

--- Waits until the data plane has accepted at least n events; returns its stats.
function Dataplane:wait_events(n, timeout_s)
    local st
    M.wait_until(function()
        st = self:stats()
        return st.events >= n
    end, n .. " events at the data plane", timeout_s)
    return st
end

--- Stops the data plane (SIGTERM, by pid) and waits for it to exit.
function Dataplane:stop()
    if not self.pid then return end
    os.execute("kill -TERM " .. self.pid .. " 2>/dev/null")
    pcall(M.wait_until, function() return not alive(self.pid) end, "rudder-dataplane to exit", 10)
    if alive(self.pid) then os.execute("kill -KILL " .. self.pid .. " 2>/dev/null") end
    os.remove(self.out)
    os.remove(self.out .. ".err")
    self.pid = nil
end

--- Client settings pointing at a data plane (extra settings merged on top).
function M.settings(dp, extra)
    local s = { writeKey = "test-write-key", dataPlaneUrl = dp.url, logLevel = "error" }
    for k, v in pairs(extra or {}) do s[k] = v end
    return s
end

--- Deep equality where key order does not matter and 1 == 1.0.
function M.same(a, b)
    if a == b then return true end
    if type(a) == "number" and type(b) == "number" then return a == b end
    if type(a) ~= "table" or type(b) ~= "table" then return false end
    for k, v in pairs(a) do
        if not M.same(v, b[k]) then return false end
    end
    for k in pairs(b) do
        if a[k] == nil then return false end
    end
    return true
end

function M.load_json(path)
    return assert(ruddercore.decode(assert(read_file(path), "cannot read " .. path)))
end

-- Raw JSON slices, for the few places where Lua tables would lose something (object
-- key order).  A minimal scanner over well-formed JSON text.
local function skip_ws(s, i) return s:find("[^ \t\r\n]", i) end

local function skip_string(s, i) -- s[i] is the opening quote
    local j = i + 1
    while true do
        local k = assert(s:find('["\\]', j), "unterminated string")
        if s:sub(k, k) == "\\" then j = k + 2 else return k + 1 end
    end
end

local function skip_value(s, i)
    i = skip_ws(s, i)
    local c = s:sub(i, i)
    if c == '"' then return i, skip_string(s, i) end
    if c == "{" or c == "[" then
        local depth, j = 0, i
        while true do
            local k = assert(s:find('[%[%]{}"]', j), "unbalanced JSON")
            local ch = s:sub(k, k)
            if ch == '"' then
                j = skip_string(s, k)
            elseif ch == "{" or ch == "[" then
                depth, j = depth + 1, k + 1
            else
                depth, j = depth - 1, k + 1
                if depth == 0 then return i, j end
            end
        end
    end
    return i, (s:find("[,%]}%s]", i) or #s + 1)
end

-- Calls fn(key_or_index, start, stop) for each member/element of the container at i.
local function each_member(s, i, fn)
    i = skip_ws(s, i)
    local is_obj = s:sub(i, i) == "{"
    local j, n = i + 1, 0
    while true do
        j = skip_ws(s, j)
        local c = s:sub(j, j)
        if c == "}" or c == "]" then return end
        if c == "," then j = skip_ws(s, j + 1) end
        local key
        if is_obj then
            local ks, ke = skip_value(s, j)
            key = s:sub(ks + 1, ke - 2)
            j = skip_ws(s, ke)
            assert(s:sub(j, j) == ":", "expected ':'")
            j = j + 1
        else
            n = n + 1
            key = n
        end
        local vs, ve = skip_value(s, j)
        fn(key, vs, ve)
        j = ve
    end
end

--- The raw JSON text of each case's events: result[case_index][event_index].
function M.raw_case_events(text)
    local out = {}
    each_member(text, 1, function(key, vs)
        if key ~= "cases" then return end
        each_member(text, vs, function(ci, cs)
            local evs = {}
            each_member(text, cs, function(ckey, es)
                if ckey ~= "events" then return end
                each_member(text, es, function(_, s0, s1) evs[#evs + 1] = text:sub(s0, s1 - 1) end)
            end)
            out[ci] = evs
        end)
    end)
    return out
end

return M
