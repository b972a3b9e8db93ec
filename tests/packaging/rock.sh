#!/usr/bin/env bash
# The LuaRocks rock as a user installs it: `luarocks make` of lua/ruddercore-<version>-1.rockspec
# for Lua 5.4 and for LuaJIT (Lua 5.1 ABI, LuaJIT's headers) into trees under BUILD/packaging;
# then `require "ruddercore"` must load the tree's module, `require "resty.ruddercore"` must
# load the tree's file inside a real nginx (it needs ngx), and the busted specs plus the
# OpenResty test run against the installed rocks (tests/lua/run.sh with the two trees).
#
#   tests/packaging/rock.sh BUILD_DIR         (BUILD_DIR holds tools/dataplane/rudder-dataplane)
source "$(dirname "$0")/common.sh"
command -v luarocks >/dev/null || fail "luarocks is not installed (Debian: luarocks)"
ROCKSPEC="lua/ruddercore-$VERSION-1.rockspec"
[ -f "$ROOT/$ROCKSPEC" ] || fail "$ROCKSPEC not found: the rockspec must carry the header's version $VERSION"

# install_rock ABI INTERPRETER [luarocks VAR=VALUE...]: a clean copy of the sources (luarocks
# builds in the current directory), then luarocks make into $PK/rocks-ABI.
install_rock() {
    local abi=$1 interp=$2; shift 2
    local src="$PK/rock-src-$abi" tree="$PK/rocks-$abi"
    rm -rf "$src" "$tree"
    mkdir -p "$src"
    (cd "$ROOT" && tar -c --exclude='./build*' --exclude=./.git .) | tar -x -C "$src"
    echo "--- luarocks --lua-version=$abi make $ROCKSPEC $*"
    (cd "$src" && luarocks --lua-version="$abi" --tree="$tree" make "$ROCKSPEC" "$@") > "$PK/rock-$abi.log" 2>&1 \
        || { tail -40 "$PK/rock-$abi.log"; fail "luarocks make for Lua $abi"; }
    luarocks --lua-version="$abi" --tree="$tree" list --porcelain | grep -q "^ruddercore	$VERSION-1	installed" \
        || fail "luarocks list for Lua $abi does not show ruddercore $VERSION-1"
    # require from the tree, the way `eval $(luarocks path)` sets it up
    local where
    where=$(eval "$(luarocks --lua-version="$abi" --tree="$tree" path)" && cd /tmp &&
            "$interp" -e 'local rc = require "ruddercore"
                          print(package.searchpath("ruddercore", package.cpath) .. " " .. rc.version)') \
        || fail "require \"ruddercore\" with Lua $abi from $tree"
    [ "$where" = "$tree/lib/lua/$abi/ruddercore.so $VERSION" ] \
        || fail "require \"ruddercore\" ($interp) loaded '$where', want $tree/lib/lua/$abi/ruddercore.so $VERSION"
    [ -f "$tree/share/lua/$abi/resty/ruddercore.lua" ] || fail "resty/ruddercore.lua is not in $tree"
    echo "require \"ruddercore\" ($interp): $where"
}

install_rock 5.4 lua5.4
# LuaJIT is Lua 5.1 to luarocks; its headers are LuaJIT's own, not lua5.1's
install_rock 5.1 luajit LUA_INCDIR="$(pkg-config --variable=includedir luajit)"

echo "--- busted and the OpenResty test against the installed rocks"
# tests/lua/run.sh takes luarocks trees as well as build dirs; the nginx test loads
# resty.ruddercore from the 5.1 tree's share/lua/5.1 (lua_package_path).
RUDDER_DATAPLANE="$DATAPLANE" "$ROOT/tests/lua/run.sh" "$PK/rocks-5.4" "$PK/rocks-5.1" || fail "the Lua suites against the rocks"
echo "rock: ruddercore $VERSION-1 for Lua 5.4 and LuaJIT passed"
