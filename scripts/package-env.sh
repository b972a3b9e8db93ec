# Sourced by scripts/package.sh and tests/packaging/*.sh: where things are, and the version.
#   ROOT     the repository root          BUILD  the CMake build dir (absolute; $1)
#   PK       BUILD/packaging: the artefacts and everything made to build and test them
#   VERSION  RUDDER_VERSION from core/include/ruddercore.h (the one place it is written)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
PK="$BUILD/packaging"
mkdir -p "$PK"
VERSION=$(sed -n 's/^#define RUDDER_VERSION "\([^"]*\)"$/\1/p' "$ROOT/core/include/ruddercore.h")
[ -n "$VERSION" ] || { echo "RUDDER_VERSION not found in core/include/ruddercore.h" >&2; exit 1; }

fail() { echo "FAILED: $*" >&2; exit 1; }
