#!/bin/sh
# The benchmark: every contender against the same local data plane, one table and charts.
#   ./bench/run.sh BUILD_DIR          (make bench)      ~10-15 min on 2 cores
#   BENCH_QUICK=1 ./bench/run.sh build                   smoke test, ~2 min, nothing published
# Needs: a built BUILD_DIR (bench_client, rudder-dataplane), python3 with venv, and for the
# peers node + npm and network access to PyPI/npm. See docs/BENCHMARKS.md.
set -eu
BUILD_DIR=${1:-build}
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "bench: python3 is needed to run the benchmark" >&2
  exit 1
fi
exec "$PYTHON" bench/run.py --build "$BUILD_DIR"
