#!/usr/bin/env bash
# nginx benchmark: requests/s of a location with and without a log-phase walkerOS push
# (resty.ruddercore, one destination per worker), measured with wrk on loopback against
# Debian's nginx + libnginx-mod-http-lua.  The data plane is the local stand-in
# (--no-store).  Target: the push costs under 10 % of the requests/s.
#
#   bench/bench_lua_nginx.sh BUILD_DIR_JIT [seconds=5] [rounds=3] [connections=32] [workers=1]
#
# Locations, all `return 200 "ok\n"`:
#   /plain   nothing else
#   /lualog  log_by_lua builds the walkerOS event table but does not push (the cost of
#            running Lua in the log phase at all)
#   /push    log_by_lua builds the event and pushes it (resty.ruddercore.push)
# Rounds alternate the locations; the best of each is kept (the machine is shared).
# Each run also prints where the CPU went per request (from /proc and bash's time): the
# worker's event loop, where the log phase runs; its sender thread; the data plane; wrk.
# On one machine they all share the cores, so the sender's and the data plane's share (which
# a real data plane elsewhere would not take) counts against the push too.
set -eu
build=$(cd "${1:?usage: $0 BUILD_DIR_JIT [seconds] [rounds] [connections] [workers]}" && pwd)
secs=${2:-5}
rounds=${3:-3}
conns=${4:-32}
workers=${5:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
nginx=${NGINX:-/usr/sbin/nginx}
dataplane="$build/tools/dataplane/rudder-dataplane"
command -v wrk >/dev/null || { echo "wrk not found (Debian: apt-get install wrk)" >&2; exit 2; }
[ -x "$dataplane" ] || { echo "$dataplane not built" >&2; exit 2; }
[ -f "$build/bindings/lua/ruddercore.so" ] || { echo "$build/bindings/lua/ruddercore.so not built" >&2; exit 2; }

prefix=$(mktemp -d)
dp_pid=""
nginx_pid=""
cleanup() {
    [ -n "$nginx_pid" ] && kill -TERM "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null || true
    [ -n "$dp_pid" ] && kill -TERM "$dp_pid" 2>/dev/null && wait "$dp_pid" 2>/dev/null || true
    rm -rf "$prefix"
}
trap cleanup EXIT

"$dataplane" --port 0 --no-store --quiet >"$prefix/dp.out" 2>&1 &
dp_pid=$!
for _ in $(seq 100); do grep -q listening "$prefix/dp.out" && break; sleep 0.05; done
dp_url=$(sed -n 's/^listening //p' "$prefix/dp.out" | head -n 1)
[ -n "$dp_url" ] || { echo "data plane did not start" >&2; exit 1; }

port=$(( (RANDOM % 20000) + 30000 ))
user_line=""
[ "$(id -u)" = 0 ] && user_line="user root;"
mkdir -p "$prefix/conf" "$prefix/logs" "$prefix/tmp"
cat >"$prefix/conf/nginx.conf" <<EOF
$user_line
worker_processes $workers;
pid logs/nginx.pid;
error_log logs/error.log warn;
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path tmp/body;
    proxy_temp_path tmp/proxy;
    fastcgi_temp_path tmp/fastcgi;
    uwsgi_temp_path tmp/uwsgi;
    scgi_temp_path tmp/scgi;
    lua_package_path "$root/lua/?.lua;;";
    lua_package_cpath "$build/bindings/lua/?.so;;";
    init_worker_by_lua_block {
        assert(require("resty.ruddercore").init_worker({
            settings = { writeKey = "bench-write-key", dataPlaneUrl = "$dp_url",
                         maxInternalQueueSize = 1000000, logLevel = "error" },
            mapping = { page = { view = { name = "Page Viewed", data = "data" } } },
        }))
    }
    server {
        listen 127.0.0.1:$port;
        location = /plain { return 200 "ok\n"; }
        location = /lualog {
            return 200 "ok\n";
            log_by_lua_block {
                BENCH_LAST = {
                    name = "page view",
                    data = { path = ngx.var.uri, status = ngx.status },
                    user = { id = "user-1", session = "session-1" },
                    context = {}, globals = {}, custom = {}, consent = { functional = true },
                    id = "0000000000000001", trigger = "load", entity = "page", action = "view",
                    timestamp = 1700000000000, timing = 0, source = { type = "server", schema = "4" },
                }
            }
        }
        location = /push {
            return 200 "ok\n";
            log_by_lua_block {
                local ok, err = require("resty.ruddercore").push({
                    name = "page view",
                    data = { path = ngx.var.uri, status = ngx.status },
                    user = { id = "user-1", session = "session-1" },
                    context = {}, globals = {}, custom = {}, consent = { functional = true },
                    id = "0000000000000001", trigger = "load", entity = "page", action = "view",
                    timestamp = 1700000000000, timing = 0, source = { type = "server", schema = "4" },
                })
                if not ok then ngx.log(ngx.ERR, "push: ", err) end
            }
        }
    }
}
EOF
"$nginx" -p "$prefix" -c "$prefix/conf/nginx.conf" -e "$prefix/logs/error.log" -g 'daemon off;' \
    >"$prefix/logs/stdout.log" 2>&1 &
nginx_pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/plain" && break; sleep 0.05; done

# CPU ticks (utime + stime) of one thread or process, from /proc; 0 when it is gone.
ticks() { [ -r "$1" ] && sed 's/.*) //' "$1" | awk '{print $12 + $13}' || echo 0; }
# Where the CPU of the last rps() run went, in microseconds per request: the worker's event
# loop (the log phase runs there), the worker's other threads (the sender), the data plane, wrk.
cpu_snapshot() {
    worker=$(pgrep -P "$nginx_pid" | head -n 1)
    loop=$(ticks "/proc/$worker/task/$worker/stat")
    all=0
    for t in /proc/"$worker"/task/*/stat; do all=$((all + $(ticks "$t"))); done
    echo "$loop $((all - loop)) $(ticks "/proc/$dp_pid/stat")"
}
rps() { # URL -> requests/s; leaves the CPU split in $prefix/cpu
    before=$(cpu_snapshot)
    TIMEFORMAT="%U %S" # bash's time: wrk's user and system CPU seconds
    { time wrk -t1 -c"$conns" -d"${secs}s" "$1" >"$prefix/wrk.out"; } 2>"$prefix/wrk.time"
    after=$(cpu_snapshot)
    r=$(awk '/^Requests\/sec:/ {print $2}' "$prefix/wrk.out")
    n=$(awk '/requests in/ {print $1}' "$prefix/wrk.out")
    echo "$before $after $(cat "$prefix/wrk.time") $n" | awk -v hz="$(getconf CLK_TCK)" '{
        us = 1e6 / hz / $9
        printf "worker loop %.2f, sender %.2f, data plane %.2f, wrk %.2f us CPU per request\n",
               ($4 - $1) * us, ($5 - $2) * us, ($6 - $3) * us, ($7 + $8) * 1e6 / $9 }' >"$prefix/cpu"
    echo "$r"
}
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (b > a ? b : a) }'; }
best_plain=0
best_lualog=0
best_push=0
for r in $(seq "$rounds"); do
    p=$(rps "http://127.0.0.1:$port/plain"); cpu_p=$(cat "$prefix/cpu")
    l=$(rps "http://127.0.0.1:$port/lualog"); cpu_l=$(cat "$prefix/cpu")
    q=$(rps "http://127.0.0.1:$port/push"); cpu_q=$(cat "$prefix/cpu")
    echo "round $r: plain $p req/s, lualog $l req/s, push $q req/s"
    echo "  plain:  $cpu_p"
    echo "  lualog: $cpu_l"
    echo "  push:   $cpu_q"
    best_plain=$(max "$best_plain" "$p")
    best_lualog=$(max "$best_lualog" "$l")
    best_push=$(max "$best_push" "$q")
done

# every pushed request must have reached the data plane: stop nginx gracefully first
"$nginx" -p "$prefix" -c "$prefix/conf/nginx.conf" -e "$prefix/logs/error.log" -s quit
wait "$nginx_pid" || true
nginx_pid=""
events=$(curl -s "$dp_url/_stats" | sed -n 's/.*"events":\([0-9]*\).*/\1/p')
errors=$(grep -c "push: " "$prefix/logs/error.log" || true)

awk -v p="$best_plain" -v l="$best_lualog" -v q="$best_push" -v ev="$events" -v er="$errors" \
    -v w="$workers" -v c="$conns" 'BEGIN {
    printf "nginx (%d worker, wrk -c%d): plain %.0f req/s, log_by_lua without push %.0f req/s, with push %.0f req/s\n", w, c, p, l, q
    printf "push costs %.1f %% of requests/s against the plain location (target < 10 %%), %.1f %% against log_by_lua without push\n", (p - q) / p * 100, (l - q) / l * 100
    printf "per request: log_by_lua %.2f us, push %.2f us\n", (1e6 / l - 1e6 / p), (1e6 / q - 1e6 / l)
    printf "events at the data plane after nginx -s quit: %d, push errors logged: %d\n", ev, er
}'
