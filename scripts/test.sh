#!/usr/bin/env bash
# Runs every test suite; exits non-zero if any fails. Called by `make test` and .ci/run.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
failed=()

ran=0
step() { echo; echo "=== $1"; ran=$((ran + 1)); }

step "C tests (ctest)"
(cd "$BUILD" && ctest --output-on-failure -j2) || failed+=("c")

if [ -f setup.py ] && [ -d tests/python ]; then
  step "Python tests (pytest)"
  VENV="$BUILD/venv"
  (
    set -e
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    [ -f tests/python/requirements.txt ] && "$VENV/bin/python" -m pip install -q -r tests/python/requirements.txt
    "$VENV/bin/python" -m pip install -q .
    RUDDER_DATAPLANE_BIN="$PWD/$BUILD/tools/dataplane/rudder-dataplane" "$VENV/bin/python" -m pytest tests/python -q
  ) || failed+=("python")

  # The drop-in promise: rudder-sdk-python's own tests against ruddercore.analytics
  # (downloads the pinned sdist once into $BUILD/peer/; tests/peer/run.py).
  step "rudder-sdk-python's own tests against ruddercore.analytics (tests/peer/run.py)"
  RUDDER_DATAPLANE_BIN="$PWD/$BUILD/tools/dataplane/rudder-dataplane" "$VENV/bin/python" tests/peer/run.py "$BUILD" \
    || failed+=("peer")
fi

if [ -x tests/lua/run.sh ]; then
  step "Lua tests (busted on Lua 5.4 and LuaJIT, nginx)"
  (
    set -e
    for lua in 5.4 luajit; do
      cmake -S . -B "$BUILD-lua-$lua" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRUDDERCORE_LUA=$lua \
            -DRUDDERCORE_TESTS=OFF -DRUDDERCORE_BENCH=OFF >/dev/null
      cmake --build "$BUILD-lua-$lua" -j2
    done
    RUDDER_DATAPLANE_BIN="$PWD/$BUILD/tools/dataplane/rudder-dataplane" tests/lua/run.sh "$BUILD-lua-5.4" "$BUILD-lua-luajit"
  ) || failed+=("lua")
fi

# The sdist + manylinux wheel, the rocks, the .deb packages, each installed and tested the way
# a user installs it (docs/PACKAGING.md). RUDDER_SKIP_PACKAGING=1 skips them.
if [ -z "${RUDDER_SKIP_PACKAGING:-}" ] && [ -x tests/packaging/run.sh ]; then
  step "packaging: wheel (auditwheel), LuaRocks, .deb (tests/packaging/run.sh)"
  tests/packaging/run.sh "$BUILD" || failed+=("packaging")
fi

# Sanitizers and fuzzing (docs/RELIABILITY.md). RUDDER_SKIP_SANITIZE=1 / RUDDER_SKIP_FUZZ=1 skip them.
if [ -z "${RUDDER_SKIP_SANITIZE:-}" ] && [ -x scripts/sanitize.sh ]; then
  step "C tests under ASan+UBSan, TSan and valgrind (scripts/sanitize.sh)"
  scripts/sanitize.sh all || failed+=("sanitize")
fi
if [ -z "${RUDDER_SKIP_FUZZ:-}" ] && [ -x tests/fuzz/run.sh ]; then
  step "fuzz targets, a fixed seed and input count each (tests/fuzz/run.sh)"
  FUZZ_BUILD="$PWD/$BUILD-fuzz" tests/fuzz/run.sh || failed+=("fuzz")
fi

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED suites: ${failed[*]}"
  echo "suites: $((ran - ${#failed[@]})) passed, ${#failed[@]} failed"
  exit 1
fi
echo "all test suites passed"
echo "suites: $ran passed, 0 failed"
