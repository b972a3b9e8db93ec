#!/usr/bin/env bash
# Installs the library into a temporary prefix and builds the C quick start the way a user
# would: cc quickstart.c $(pkg-config --cflags --libs ruddercore); then runs it against the
# local data plane and checks the events arrived.
set -euo pipefail
BUILD=$1; SRC=$2; DP=$3
TMP=$(mktemp -d)
DP_PID=""
cleanup() { [ -n "$DP_PID" ] && kill "$DP_PID" 2>/dev/null && wait "$DP_PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
cmake --install "$BUILD" --prefix "$TMP/prefix" >/dev/null
LIBDIR=$(dirname "$(find "$TMP/prefix" -name ruddercore.pc | head -1)")
export PKG_CONFIG_PATH="$LIBDIR"
cc "$SRC/examples/quickstart.c" $(pkg-config --cflags --libs ruddercore) -o "$TMP/quickstart"
"$DP" --port 0 > "$TMP/dp.out" 2>/dev/null &
DP_PID=$!
for _ in $(seq 100); do [ -s "$TMP/dp.out" ] && break; sleep 0.05; done
URL=$(awk '{print $2; exit}' "$TMP/dp.out")
LD_LIBRARY_PATH="$(dirname "$LIBDIR")" "$TMP/quickstart" "$URL" some-key > "$TMP/run.out"
grep -q "delivered 3 events" "$TMP/run.out" || { cat "$TMP/run.out"; echo "quick start did not deliver"; exit 1; }
events=$(curl -s "$URL/_stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])')
[ "$events" = 3 ] || { echo "data plane has $events events, want 3"; exit 1; }
echo "installed library, pkg-config and the quick start work (3 events delivered)"
echo "1 passed, 0 failed"
