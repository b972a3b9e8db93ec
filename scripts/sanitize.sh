#!/usr/bin/env bash
# Runs the C tests under AddressSanitizer + UndefinedBehaviorSanitizer, under
# ThreadSanitizer, and the unit-ish C tests under valgrind. Exits non-zero on any finding.
#
#   scripts/sanitize.sh              # all three
#   scripts/sanitize.sh asan|tsan|valgrind
#
# Build dirs: build-asan, build-tsan (sanitizer builds), build-valgrind (plain debug build).
# The long tests run with reduced sizes here (the env vars below); scripts/test.sh runs them
# at full size in the normal build.
set -uo pipefail
cd "$(dirname "$0")/.."
WHAT=${1:-all}
JOBS=${JOBS:-2}
failed=()

# Reduced sizes for the long tests under instrumentation (each test reads its own variable).
export RUDDER_FAULT_EVENTS=${RUDDER_FAULT_EVENTS:-600}
export RUDDER_CRASH_EVENTS=${RUDDER_CRASH_EVENTS:-400}
export RUDDER_MEMORY_EVENTS=${RUDDER_MEMORY_EVENTS:-30000}

configure_build() { # dir, sanitizer list
  cmake -S . -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DRUDDERCORE_SANITIZE="$2" -DRUDDERCORE_BENCH=OFF \
        -DCMAKE_C_FLAGS="-O1 -fno-sanitize-recover=all" >/dev/null &&
    cmake --build "$1" -j"$JOBS"
}

run_asan() {
  echo "=== C tests under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan)"
  configure_build build-asan address,undefined || return 1
  (cd build-asan &&
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --output-on-failure -j"$JOBS" -L c)
}

run_tsan() {
  echo "=== C tests under ThreadSanitizer (build-tsan)"
  configure_build build-tsan thread || return 1
  (cd build-tsan &&
    TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:die_after_fork=0 \
    ctest --output-on-failure -j"$JOBS" -L c)
}

# valgrind: the tests that exercise parsing, settings, envelope, batching and the spool's
# own code (the long network suites are covered by the sanitizer builds).
VALGRIND_TESTS=${VALGRIND_TESTS:-"test_json test_conf test_message test_batching test_mapping test_spool test_spool_tool test_faults_security"}

# Leaks are judged in the test process only: a forked child (the fork tests) inherits
# memory owned by its parent's threads (the sender's buffers, the libcurl handle it must
# abandon), which valgrind would count as lost when the child exits. --child-silent-after-fork
# keeps children out of the log; memory errors anywhere still fail through --error-exitcode.
run_valgrind() {
  echo "=== C tests under valgrind (build-valgrind)"
  cmake -S . -B build-valgrind -G Ninja -DCMAKE_BUILD_TYPE=Debug -DRUDDERCORE_BENCH=OFF >/dev/null &&
    cmake --build build-valgrind -j"$JOBS" || return 1
  local rc=0
  for t in $VALGRIND_TESTS; do
    [ -x "build-valgrind/tests/$t" ] || continue
    echo "--- valgrind $t"
    local log="$PWD/build-valgrind/valgrind-$t.log"
    if ! (cd build-valgrind/tests &&
          valgrind -q --child-silent-after-fork=yes --error-exitcode=99 --leak-check=full \
                   --errors-for-leak-kinds=none --show-leak-kinds=definite,indirect --log-file="$log" \
                   "./$t" >/dev/null); then
      echo "valgrind: $t FAILED"; cat "$log"; rc=1
    elif grep -q "are definitely lost\|are indirectly lost" "$log"; then
      echo "valgrind: $t leaks"; cat "$log"; rc=1
    fi
  done
  return $rc
}

case "$WHAT" in
  asan) run_asan || failed+=(asan) ;;
  tsan) run_tsan || failed+=(tsan) ;;
  valgrind) run_valgrind || failed+=(valgrind) ;;
  all)
    run_asan || failed+=(asan)
    run_tsan || failed+=(tsan)
    run_valgrind || failed+=(valgrind)
    ;;
  *) echo "usage: $0 [all|asan|tsan|valgrind]" >&2; exit 2 ;;
esac

if [ ${#failed[@]} -gt 0 ]; then
  echo "sanitize: FAILED: ${failed[*]}"
  exit 1
fi
echo "sanitize: clean"
