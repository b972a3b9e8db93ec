#!/usr/bin/env bash
# The volume run behind `make soak` (not part of `make test`): the fault suite's five faults
# with SOAK_EVENTS events each (default 1,000,000), without and with the spool, and the fuzz
# targets for SOAK_FUZZ_RUNS executions each (default 2,000,000: 10,000,000 in total).
# The fault runs mostly wait (retry delays, timeouts) and fuzzing takes one core, so the two
# halves of the fault suite and the fuzzing run at the same time.
# Prints one line per fault (accepted / lost / duplicates / RSS) and the fuzz executions;
# exits non-zero if an event was lost, a check failed or a fuzz target failed.
#
#   make soak                                                     # the full run (~30 min, 2 cores)
#   SOAK_EVENTS=20000 SOAK_FUZZ_RUNS=10000 scripts/soak.sh build  # a quick try
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
EVENTS=${SOAK_EVENTS:-1000000}
FUZZ_RUNS_EACH=${SOAK_FUZZ_RUNS:-2000000}
OUT="$BUILD/soak"
mkdir -p "$OUT"
failed=()
start=$(date +%s)

# two producer threads, and the 5xx fault splits its events in thirds: round up so that every
# fault gets at least EVENTS events
per_thread=$(((EVENTS / 2 + 2) / 3 * 3))
echo "=== soak: the five faults, $((per_thread * 2)) events each, without and with the spool;"
echo "=== fuzz targets, $FUZZ_RUNS_EACH executions each (logs in $OUT)"
for mode in memory spool; do
  RUDDER_FAULT_MODE=$mode RUDDER_FAULT_EVENTS=$per_thread "$BUILD/tests/test_faults" > "$OUT/faults-$mode.log" 2>&1 &
  eval "pid_$mode=$!"
done
FUZZ_BUILD="$PWD/$BUILD-fuzz" FUZZ_RUNS=$FUZZ_RUNS_EACH FUZZ_SECONDS=${SOAK_FUZZ_SECONDS:-7200} \
  tests/fuzz/run.sh > "$OUT/fuzz.log" 2>&1 &
pid_fuzz=$!

wait "$pid_memory" || failed+=("faults-memory")
wait "$pid_spool" || failed+=("faults-spool")
echo "faults: $(($(date +%s) - start)) s"
grep -hE "^  |^FAIL" "$OUT/faults-memory.log" "$OUT/faults-spool.log"
lost=$(grep -ohE "lost [0-9]+" "$OUT"/faults-*.log | awk '{s += $2} END {print s + 0}')
echo "lost in total: $lost"
[ "$lost" -eq 0 ] || failed+=("lost")

wait "$pid_fuzz" || failed+=("fuzz")
echo "fuzz: $(($(date +%s) - start)) s"
total=0
for t in fuzz_message fuzz_settings fuzz_spool_record fuzz_walkeros fuzz_json_build; do
  n=$(grep -ohE "stat::number_of_executed_units: *[0-9]+" "$BUILD-fuzz/$t.log" 2>/dev/null | grep -oE "[0-9]+$" | tail -1)
  echo "  $t: ${n:-0} executions"
  total=$((total + ${n:-0}))
done
echo "fuzz executions in total: $total"
tail -1 "$OUT/fuzz.log"

if [ ${#failed[@]} -gt 0 ]; then echo "soak: FAILED: ${failed[*]}"; exit 1; fi
echo "soak: clean"
