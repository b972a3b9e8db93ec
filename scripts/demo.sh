#!/usr/bin/env bash
# The demo: start the local data plane on 127.0.0.1, send events through the C client and
# through the walkerOS destination (ruddercore send), and print what the data plane received.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
DP="$BUILD/tools/dataplane/rudder-dataplane"
OUT=$(mktemp -d)
"$DP" --port 0 --write-key demo-write-key > "$OUT/dp.out" 2> "$OUT/dp.err" &
DP_PID=$!
trap 'kill "$DP_PID" 2>/dev/null; wait "$DP_PID" 2>/dev/null; rm -rf "$OUT"' EXIT
for _ in $(seq 100); do [ -s "$OUT/dp.out" ] && break; sleep 0.05; done
URL=$(awk '{print $2; exit}' "$OUT/dp.out")
echo "local data plane: $URL (write key demo-write-key)"

echo; echo "--- 1. the C client (examples/quickstart.c)"
"$BUILD/tools/quickstart" "$URL" demo-write-key

CLI="$BUILD/tools/cli/ruddercore"
if [ -x "$CLI" ] && [ -f examples/flow.json ] && [ -f examples/events.ndjson ]; then
  echo; echo "--- 2. the walkerOS destination: what it would send (ruddercore map, no network)"
  "$CLI" map --config examples/flow.json examples/events.ndjson
  echo; echo "--- 3. the walkerOS destination for real (ruddercore send)"
  python3 - "$URL" <<'PY' > "$OUT/flow.json"
import json, sys
flow = json.load(open("examples/flow.json"))
flow.setdefault("settings", {}).update({"dataPlaneUrl": sys.argv[1], "writeKey": "demo-write-key"})
print(json.dumps(flow))
PY
  "$CLI" send --config "$OUT/flow.json" examples/events.ndjson
fi

echo; echo "--- what the data plane received"
curl -s "$URL/_events" | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    who = e.get("userId") or e.get("anonymousId")
    what = e.get("event") or e.get("name") or e.get("groupId") or e.get("previousId") or ""
    print("%-9s %-12s %-24s messageId=%s" % (e["type"], who, what, e["messageId"]))
'
echo; curl -s "$URL/_stats"; echo
