-- resty.ruddercore — ruddercore for OpenResty / lua-nginx-module.
--
-- One client (or walkerOS destination) per nginx worker, created in
-- init_worker_by_lua*.  Pushing only queues in C memory (never blocks, never does
-- I/O, until the worker begins to exit), so it is safe in every phase including log_by_lua*.  A ngx.timer.every
-- timer serves reports (poll) and triggers sends (flush with timeout 0).  When the
-- worker starts a graceful exit (nginx -s quit, reload) the timer runs early and sends
-- what is queued; the requests still in flight run their log phase after that, so the
-- client stays open and each call made while exiting is sent before it returns
-- (waiting at most close_timeout in all); exit_worker_by_lua* closes it, if configured.
-- A graceful stop loses nothing.
--
--   init_worker_by_lua_block {
--       assert(require("resty.ruddercore").init_worker({
--           settings = { writeKey = "...", dataPlaneUrl = "https://..." },
--           mapping = { ... },
--       }))
--   }
--   log_by_lua_block {
--       require("resty.ruddercore").push({ name = "page view", user = { id = ngx.var.cookie_uid } })
--   }
local ruddercore = require "ruddercore"

local ngx = ngx
local pcall = pcall
local type = type

local _M = { _VERSION = ruddercore.version }

-- The per-worker instance: { handle, is_dest, poll_interval, flush_interval,
-- next_flush, close_timeout, exit_deadline }.  nil until init_worker() ran in this worker.
-- exit_deadline (ngx.now() seconds) is set once the worker began exiting.
local state

local NOT_INIT = "resty.ruddercore: not initialised in this worker "
    .. "(call init_worker() from init_worker_by_lua*)"

local log_levels = {
    debug = ngx.DEBUG, info = ngx.INFO, warn = ngx.WARN, error = ngx.ERR,
}

local function default_on_log(level, line)
    ngx.log(log_levels[level] or ngx.NOTICE, "[ruddercore] ", line)
end

local function shallow_copy(t)
    local c = {}
    for k, v in pairs(t) do c[k] = v end
    return c
end

-- Routes the core's log lines to the nginx error log unless the user set onLog.
local function with_default_log(settings)
    if type(settings) ~= "table" or settings.onLog ~= nil then
        return settings
    end
    local s = shallow_copy(settings)
    s.onLog = default_on_log
    return s
end

local function close_now(timeout_ms)
    local st = state
    if not st then
        return true
    end
    state = nil
    local ok, res, err = pcall(st.handle.close, st.handle, timeout_ms or st.close_timeout)
    if not ok then
        ngx.log(ngx.ERR, "[ruddercore] close: ", res)
        return nil, res
    end
    if not res then
        ngx.log(ngx.ERR, "[ruddercore] close: ", err)
        return nil, err
    end
    return true
end

-- Sends what is queued, waiting at most until the exit deadline (shared by every call
-- made while the worker exits, so in-flight requests cannot stretch the exit further).
local function send_before_exit(st)
    ngx.update_time()
    local left_ms = math.floor((st.exit_deadline - ngx.now()) * 1000)
    if left_ms <= 0 then
        ngx.log(ngx.WARN, "[ruddercore] a call after the worker's exit deadline (close_timeout): ",
                "it is sent only if exit_worker_by_lua* closes the client")
    end
    local ok, res, err = pcall(st.handle.flush, st.handle, left_ms > 0 and left_ms or 0)
    if not ok or not res then
        ngx.log(ngx.ERR, "[ruddercore] flush while the worker exits: ", ok and err or res)
    end
end

-- Passes a call's results through; an accepted call made while the worker exits is sent first.
local function after_call(st, ok, ...)
    if ok and st.exit_deadline then
        send_before_exit(st)
    end
    return ok, ...
end

-- The worker's timer: serve reports, trigger a send now and then.  Run early (premature)
-- when the worker begins a graceful exit: requests in flight still push after this, so
-- the client is not closed here (nginx cannot close it later without exit_worker_by_lua*).
local function tick(premature)
    local st = state
    if not st then
        return
    end
    if premature then
        if not st.exit_deadline then
            st.exit_deadline = ngx.now() + st.close_timeout / 1000
            send_before_exit(st)
        end
        return
    end
    local h = st.handle
    local ok, err = pcall(h.poll, h, 0)
    if not ok then
        ngx.log(ngx.ERR, "[ruddercore] a report callback failed: ", err)
    end
    local now = ngx.now()
    if now >= st.next_flush then
        st.next_flush = now + st.flush_interval
        ok, err = pcall(h.flush, h, 0) -- timeout 0: start a send, don't wait
        if not ok then
            ngx.log(ngx.ERR, "[ruddercore] flush: ", err)
        end
    end
end

--- Creates this worker's client or walkerOS destination.
-- config: a walkerOS destination config ({settings=..., mapping=..., ...}, table or
--   JSON text) or, without a `settings` key, a plain client settings table.
-- opts: poll_interval (s, default 0.2), flush_interval (s, default 1),
--   close_timeout (ms, default the closeTimeout setting), fns (mapping callbacks).
-- Returns the handle, or nil and an error.
function _M.init_worker(config, opts)
    local phase = ngx.get_phase()
    if phase == "init" then
        return nil, "resty.ruddercore: init_worker() was called from init_by_lua*, which runs "
            .. "in the nginx master before it forks the workers; a client made there has no "
            .. "sender in the workers. Call it from init_worker_by_lua* instead."
    end
    if phase ~= "init_worker" and phase ~= "timer" then
        return nil, "resty.ruddercore: call init_worker() from init_worker_by_lua* (not from "
            .. phase .. ")"
    end
    if state then
        return nil, "resty.ruddercore: already initialised in this worker"
    end
    opts = opts or {}
    local is_dest = type(config) == "string" or (type(config) == "table" and config.settings ~= nil)
    local handle, err
    if is_dest then
        if type(config) == "table" then
            config = shallow_copy(config)
            config.settings = with_default_log(config.settings)
        end
        handle, err = ruddercore.destination(config, opts.fns)
    elseif type(config) == "table" then
        handle, err = ruddercore.client(with_default_log(config))
    else
        return nil, "resty.ruddercore: config must be a table or JSON text"
    end
    if not handle then
        return nil, err
    end
    local poll_interval = opts.poll_interval or 0.2
    state = {
        handle = handle,
        is_dest = is_dest,
        flush_interval = opts.flush_interval or 1,
        next_flush = ngx.now() + (opts.flush_interval or 1),
        close_timeout = opts.close_timeout or handle:close_timeout(),
    }
    local ok, terr = ngx.timer.every(poll_interval, tick)
    if not ok then
        state = nil
        handle:close(0)
        return nil, "resty.ruddercore: ngx.timer.every failed: " .. tostring(terr)
    end
    return handle
end

--- Pushes a walkerOS event (table or JSON text).  Any phase; never blocks, except while
-- the worker exits (then it is sent before this returns, within close_timeout in all).
function _M.push(event)
    local st = state
    if not st then
        return nil, NOT_INIT
    end
    if not st.is_dest then
        return nil, "resty.ruddercore: push() needs a destination config (with settings)"
    end
    return after_call(st, st.handle:push(event))
end

-- track / identify / group / page / screen / alias on a plain client.
for _, call in ipairs({ "track", "identify", "group", "page", "screen", "alias" }) do
    _M[call] = function(message)
        local st = state
        if not st then
            return nil, NOT_INIT
        end
        if st.is_dest then
            return nil, "resty.ruddercore: " .. call .. "() needs a client config (use push() "
                .. "with a destination)"
        end
        return after_call(st, st.handle[call](st.handle, message))
    end
end

--- The worker's client/destination handle (nil before init_worker).
function _M.handle()
    return state and state.handle
end

--- Counters of this worker's client.
function _M.stats()
    local st = state
    if not st then
        return nil, NOT_INIT
    end
    return st.handle:stats()
end

--- For exit_worker_by_lua*: close now, sending what is left (also calls made after the
-- exit deadline) within close_timeout.
function _M.exit_worker(timeout_ms)
    return close_now(timeout_ms)
end

return _M
