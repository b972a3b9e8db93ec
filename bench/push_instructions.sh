#!/bin/sh
# Instructions per walkerOS event through the destination's push, network off, counted by
# valgrind's callgrind: a figure that does not depend on the machine's speed or load, so
# it can be compared across days and machines (events/s cannot).
#
#   bench/push_instructions.sh [BUILD_DIR=build] [events=20000]
#
# C: rudder_dest_push over bench_destination's workload (a rename, a data map of eight
# fields, identity from user.id/user.session, an identify that is a dedup hit after the
# first event), excluding building the event text.
# Python and Lua (when built: the test venv BUILD_DIR/venv, the modules in BUILD_DIR-lua-*):
# Destination.push / dest:push of the benchmark's walkerOS event (drivers/walkeros_config.json,
# a data map of eleven fields), from the call into the binding to its return - converting
# the dict or table included; and their Client.track / client:track of the plain benchmark
# event (the one bench_client.c sends).
set -eu
export PYTHONHASHSEED=0 # dict and str hashing vary the Python counts from run to run otherwise
build=${1:-build}
n=${2:-20000}
here=$(dirname "$0")
exe="$build/bench/bench_destination"
[ -x "$exe" ] || { echo "$exe not built (make build)" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind not found (Debian: apt-get install valgrind)" >&2; exit 2; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# count LABEL FUNCTION-PATTERN COMMAND...: inclusive instructions of the function per event
count() {
    label=$1 pattern=$2
    shift 2
    valgrind --tool=callgrind --smc-check=all-non-file --callgrind-out-file="$out" "$@" >/dev/null 2>&1 || {
        echo "$label: the run failed" >&2
        return 0
    }
    total=$(callgrind_annotate --inclusive=yes "$out" 2>/dev/null |
            awk -v p="$pattern" 'index($0, p) { gsub(",", "", $1); print $1; exit }')
    if [ -z "$total" ]; then echo "$label: not in the profile" >&2; return 0; fi
    awk -v t="$total" -v n="$n" -v l="$label" 'BEGIN { printf "%s: %.0f instructions per event (%d events, callgrind)\n", l, t / n, n }'
}

count "C rudder_dest_push" "destination.c:rudder_dest_push [" "$exe" "$n"
if [ -x "$build/venv/bin/python" ] && "$build/venv/bin/python" -c "import ruddercore" 2>/dev/null; then
    count "Python Destination.push" "bindings/python/dest.c:dest_push [" \
        "$build/venv/bin/python" "$here/drivers/py_push_offline.py" "$n"
    count "Python Client.track" "bindings/python/client.c:client_track [" \
        "$build/venv/bin/python" "$here/drivers/py_push_offline.py" "$n" --track
fi
for lua in 5.4 luajit; do
    so="$build-lua-$lua/bindings/lua"
    interp=$([ "$lua" = luajit ] && echo luajit || echo lua5.4)
    if [ -f "$so/ruddercore.so" ] && command -v "$interp" >/dev/null; then
        LUA_CPATH="$so/?.so" count "Lua ($interp) dest:push" "bindings/lua/dest.c:rc_dest_push" \
            "$interp" "$here/drivers/lua_push_offline.lua" "$n"
        LUA_CPATH="$so/?.so" count "Lua ($interp) client:track" "bindings/lua/client.c:rc_track" \
            "$interp" "$here/drivers/lua_push_offline.lua" "$n" track
    fi
done
