#!/usr/bin/env bash
# The artefacts users install, built and tested the way users install them:
#   wheel.sh  the sdist and a manylinux wheel bundling libcurl, cJSON and hiredis (auditwheel)
#   rock.sh   luarocks make for Lua 5.4 and LuaJIT, the busted and nginx suites on the rocks
#   deb.sh    cpack -G DEB, dpkg -i, pkg-config + the quick start, dpkg --purge (needs root)
#
#   tests/packaging/run.sh BUILD_DIR [wheel|rock|deb ...]     (default: all three)
# BUILD_DIR is a CMake build of the repository (its rudder-dataplane serves the tests).
# Prints each part's time; exits 1 when a part failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:?usage: $0 BUILD_DIR [wheel|rock|deb ...]}
shift
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(wheel rock deb)
failed=()
summary=""
for part in "${parts[@]}"; do
    [ -x "$here/$part.sh" ] || { echo "no such part: $part (wheel, rock, deb)" >&2; exit 2; }
    echo "=== packaging: $part"
    start=$SECONDS
    "$here/$part.sh" "$BUILD"
    case $? in
        0) result=passed ;;
        77) result=skipped ;;   # deb.sh when not root
        *) result=FAILED; failed+=("$part") ;;
    esac
    summary="$summary$part: $result in $((SECONDS - start)) s"$'\n'
done
echo "=== packaging summary"
printf '%s' "$summary"
if [ ${#failed[@]} -gt 0 ]; then
    echo "packaging: FAILED (${failed[*]})"
    exit 1
fi
echo "packaging: OK"
