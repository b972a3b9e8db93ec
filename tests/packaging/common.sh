# Shared by tests/packaging/*.sh (sourced): paths, the version, the local data plane.
#   ROOT     the repository root          BUILD  the CMake build dir (absolute)
#   PK       BUILD/packaging, everything the packaging tests make lives there
#   VERSION  RUDDER_VERSION from core/include/ruddercore.h (the one place it is written)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
PK="$BUILD/packaging"
mkdir -p "$PK"
VERSION=$(sed -n 's/^#define RUDDER_VERSION "\([^"]*\)"$/\1/p' "$ROOT/core/include/ruddercore.h")
[ -n "$VERSION" ] || { echo "RUDDER_VERSION not found in core/include/ruddercore.h" >&2; exit 1; }
DATAPLANE="$BUILD/tools/dataplane/rudder-dataplane"

fail() { echo "FAILED: $*" >&2; exit 1; }

# start_dataplane BINARY WORKDIR: starts the data plane on an ephemeral 127.0.0.1 port;
# sets DP_PID and DP_URL. The caller's EXIT trap calls stop_dataplane.
DP_PID=""
start_dataplane() {
    local bin=$1 out="$2/dataplane.out"
    "$bin" --port 0 --quiet > "$out" 2>/dev/null &
    DP_PID=$!
    for _ in $(seq 200); do      # up to 10 s for the "listening URL" line
        grep -q '^listening ' "$out" 2>/dev/null && break
        kill -0 "$DP_PID" 2>/dev/null || fail "the data plane $bin exited"
        sleep 0.05
    done
    DP_URL=$(awk '/^listening /{print $2; exit}' "$out")
    [ -n "$DP_URL" ] || fail "the data plane $bin did not say where it listens"
}
stop_dataplane() {
    if [ -n "$DP_PID" ]; then kill "$DP_PID" 2>/dev/null || true; wait "$DP_PID" 2>/dev/null || true; DP_PID=""; fi
}

# dataplane_events: how many events the running data plane received
dataplane_events() {
    curl -fsS "$DP_URL/_stats" | python3 -c 'import json, sys; print(json.load(sys.stdin)["events"])'
}
