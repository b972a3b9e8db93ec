#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a bounded time
# from its seed corpus.  Exits non-zero when a target finds a crash, leak or UB.
#
#   tests/fuzz/run.sh                 # every target, FUZZ_SECONDS (default 20) each
#   tests/fuzz/run.sh fuzz_message    # one target
#   FUZZ_SECONDS=300 FUZZ_RUNS=-1 tests/fuzz/run.sh   # explore longer (new inputs each time)
#
# By default each target runs a fixed number of inputs from a fixed seed (FUZZ_RUNS,
# FUZZ_SEED), so the same build explores the same inputs every time: CI repeats what passed
# here instead of hoping a random walk finds nothing new.  FUZZ_SECONDS caps the time.
#
# Targets: fuzz_message (call JSON), fuzz_settings (settings JSON / name=value),
# fuzz_walkeros (destination config + walkerOS event), fuzz_spool_record (spool segments),
# fuzz_json_build (the bindings' tree builder against the parser).
# New inputs go to build-fuzz/corpus/<target>/ (the seeds in tests/fuzz/corpus are read only);
# a crash is saved as build-fuzz/crash-<target>-*.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${FUZZ_BUILD:-$ROOT/build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-120}
RUNS=${FUZZ_RUNS:-150000}
SEED=${FUZZ_SEED:-1}
CC=${FUZZ_CC:-clang}
mkdir -p "$OUT/obj"
FLAGS=(-g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=address,undefined -fno-sanitize-recover=undefined
       -I"$ROOT/core/include" -I"$ROOT/core/src" $(pkg-config --cflags libcjson libcurl zlib))
LIBS=($(pkg-config --libs libcjson libcurl zlib) -lpthread -lm)

# the library, instrumented for coverage (rebuilt when a source is newer than its object)
# (objects named by their path under core/src, so two folders may hold files of one name)
mapfile -t core_srcs < <(find "$ROOT/core/src" -name '*.c' | sort)
obj_of() { local rel=${1#"$ROOT/core/src/"}; rel=${rel//\//_}; echo "$OUT/obj/${rel%.c}.o"; }
objs=()
for src in "${core_srcs[@]}"; do objs+=("$(obj_of "$src")"); done
for src in "${core_srcs[@]}"; do
  obj=$(obj_of "$src")
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find "$ROOT/core/src" "$ROOT/core/include" -name '*.h' -newer "$obj" -print -quit)" ]; then
    echo "$src $obj"
  fi
done | xargs -r -P "${JOBS:-2}" -n 2 sh -c "$CC ${FLAGS[*]} -fsanitize=fuzzer-no-link -c \"\$0\" -o \"\$1\""

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_message fuzz_settings fuzz_spool_record fuzz_walkeros fuzz_json_build)
failed=()
for t in "${targets[@]}"; do
  src="$ROOT/tests/fuzz/$t.c"
  if ! $CC "${FLAGS[@]}" -fsanitize=fuzzer "$src" "${objs[@]}" "${LIBS[@]}" -o "$OUT/$t" 2>"$OUT/$t.build.log"; then
    echo "fuzz: $t does not build (see $OUT/$t.build.log)"; failed+=("$t:build"); continue
  fi
  mkdir -p "$OUT/corpus/$t"
  echo "=== $t: $RUNS inputs from seed $SEED (at most ${SECONDS_EACH}s)"
  dict=(); [ -f "$ROOT/tests/fuzz/json.dict" ] && dict=(-dict="$ROOT/tests/fuzz/json.dict")
  if ! (cd "$OUT" && ASAN_OPTIONS=detect_leaks=1 "./$t" -seed="$SEED" -runs="$RUNS" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$OUT/crash-$t-" "${dict[@]}" \
        "$OUT/corpus/$t" "$ROOT/tests/fuzz/corpus/${t#fuzz_}" > "$OUT/$t.log" 2>&1); then
    tail -40 "$OUT/$t.log"; failed+=("$t")
  else
    grep -E "stat::number_of_executed_units|cov:" "$OUT/$t.log" | tail -2
  fi
done
if [ ${#failed[@]} -gt 0 ]; then echo "fuzz: FAILED: ${failed[*]}"; exit 1; fi
echo "fuzz: clean"
