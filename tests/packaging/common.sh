# Shared by tests/packaging/*.sh (sourced): scripts/package-env.sh (ROOT, BUILD, PK, VERSION,
# fail) plus the local data plane.
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/package-env.sh"
DATAPLANE="$BUILD/tools/dataplane/rudder-dataplane"

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
