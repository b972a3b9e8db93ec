#!/usr/bin/env bash
# Runs the Lua test suites: the busted specs on Lua 5.4 and on LuaJIT, then the
# OpenResty test (Debian's nginx + libnginx-mod-http-lua, LuaJIT build of the module).
#
#   tests/lua/run.sh BUILD_DIR_54 BUILD_DIR_JIT
#   tests/lua/run.sh ROCK_TREE_54 ROCK_TREE_JIT      (RUDDER_DATAPLANE set: the installed rocks)
#
# Each argument is either a CMake build with -DRUDDERCORE_LUA=5.4 / -DRUDDERCORE_LUA=luajit
# (ruddercore.so in bindings/lua/, rudder-dataplane in tools/dataplane/, resty/ruddercore.lua
# from the source tree) or a luarocks tree (`luarocks --tree=DIR make ...`: lib/lua/<5.x>/
# and share/lua/<5.x>/), so the same specs run against what `luarocks make` installed.
# RUDDER_DATAPLANE, when set, is the data plane binary; else it is looked up in the build dirs.
# Exits non-zero when anything fails; prints busted's summary line per suite.
set -u

if [ $# -ne 2 ]; then
    echo "usage: $0 BUILD_DIR_54 BUILD_DIR_JIT" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
b54=$(cd "$1" && pwd) || exit 2
bjit=$(cd "$2" && pwd) || exit 2

busted=$(command -v busted) || { echo "busted not found (Debian: lua-busted)" >&2; exit 2; }

dataplane="${RUDDER_DATAPLANE:-}"
for d in "$b54" "$bjit"; do
    [ -n "$dataplane" ] && break
    if [ -x "$d/tools/dataplane/rudder-dataplane" ]; then
        dataplane="$d/tools/dataplane/rudder-dataplane"
        break
    fi
done
if [ -z "$dataplane" ]; then
    echo "rudder-dataplane not found in $b54 or $bjit (build target rudder-dataplane, or set RUDDER_DATAPLANE)" >&2
    exit 2
fi

export RUDDER_DATAPLANE="$dataplane"
export RUDDER_SOURCE_DIR="$root"
unset LUA_INIT LUA_INIT_5_4 LUA_PATH_5_4 LUA_CPATH_5_4

failed=0
summary=""

# module_paths DIR ABI: sets cpath and lpath, the patterns ruddercore.so and
# resty/ruddercore.lua are found with, for a CMake build dir or a luarocks tree.
module_paths() {
    local dir=$1 abi=$2
    if [ -f "$dir/lib/lua/$abi/ruddercore.so" ]; then
        cpath="$dir/lib/lua/$abi/?.so"
        lpath="$dir/share/lua/$abi/?.lua"
    else
        cpath="$dir/bindings/lua/?.so"
        lpath="$root/lua/?.lua"
    fi
}

# run_suite LABEL INTERPRETER BUILD_DIR_OR_TREE LUA_ABI SPEC_DIR
run_suite() {
    local label=$1 interp=$2 build=$3 abi=$4 specs=$5
    local cpath lpath
    module_paths "$build" "$abi"
    local mod="${cpath%\?.so}ruddercore.so"
    echo "=== $label ($interp, $mod)"
    if ! command -v "$interp" >/dev/null; then
        echo "FAILED: $interp not installed"
        failed=1
        summary="$summary$label: $interp not installed"$'\n'
        return
    fi
    if [ ! -f "$mod" ]; then
        echo "FAILED: $mod not built (configure with -DRUDDERCORE_LUA=..., or luarocks make)"
        failed=1
        summary="$summary$label: module not built"$'\n'
        return
    fi
    local log
    log=$(mktemp)
    (
        cd "$specs" &&
        RUDDER_LUA_CPATH="$cpath" \
        RUDDER_LUA_PATH="$lpath" \
        LUA_CPATH="$cpath;;" \
        LUA_PATH="$lpath;$here/?.lua;;" \
        "$interp" "$busted" --pattern=_spec -o utfTerminal . 2>&1
    ) | tee "$log"
    local rc=${PIPESTATUS[0]}
    local line
    line=$(grep -E '[0-9]+ success(es)? / [0-9]+ failures? / [0-9]+ errors? / [0-9]+ pending' "$log" | tail -n 1)
    rm -f "$log"
    summary="$summary$label: ${line:-no summary (busted crashed?)}"$'\n'
    if [ "$rc" -ne 0 ] || [ -z "$line" ]; then
        failed=1
    fi
}

run_suite "busted Lua 5.4" lua5.4 "$b54" 5.4 "$here"
run_suite "busted LuaJIT" luajit "$bjit" 5.1 "$here"
if [ -x "${NGINX:-/usr/sbin/nginx}" ] && [ -f /usr/lib/nginx/modules/ngx_http_lua_module.so ]; then
    run_suite "OpenResty (nginx + lua module)" luajit "$bjit" 5.1 "$root/tests/openresty"
else
    echo "FAILED: nginx or libnginx-mod-http-lua not installed"
    summary="${summary}OpenResty: nginx or libnginx-mod-http-lua not installed"$'\n'
    failed=1
fi

echo "=== Lua summary"
printf '%s' "$summary"
if [ "$failed" -ne 0 ]; then
    echo "Lua tests: FAILED"
    exit 1
fi
echo "Lua tests: OK"
