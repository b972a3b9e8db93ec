#!/usr/bin/env bash
# The Python artefacts as a user gets them:
#   1. scripts/package.sh wheel: `python -m build` makes the sdist and a wheel from that sdist
#      (so the sdist is complete); `auditwheel repair` makes it a manylinux wheel carrying
#      libcurl, cJSON, hiredis and what they load;
#   2. `auditwheel show` must call it manylinux (policy-clean);
#   3. a fresh venv installs only that wheel (+ pytest, mypy); the import must come from
#      site-packages, ldd of the extension must find nothing outside the wheel but glibc and
#      zlib (check_wheel.py), and the whole Python suite runs against it;
#   4. the sdist, built where cJSON's .pc is missing, fails naming libcjson and libcjson-dev.
#
#   tests/packaging/wheel.sh BUILD_DIR        (BUILD_DIR holds tools/dataplane/rudder-dataplane)
source "$(dirname "$0")/common.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

"$ROOT/scripts/package.sh" "$BUILD" wheel
SDIST="$PK/dist/ruddercore-$VERSION.tar.gz"
[ -f "$SDIST" ] || fail "no sdist $SDIST (version $VERSION from the header)"
WHEEL=$(ls "$PK"/wheelhouse/ruddercore-"$VERSION"-*manylinux*.whl) || fail "auditwheel made no manylinux wheel"

echo "--- auditwheel show"
TAG=$(basename "$WHEEL" .whl); TAG=${TAG##*-}
# auditwheel wraps its text: join the lines before matching
SHOW=$("$PK/tools/bin/auditwheel" show "$WHEEL" | tr -s '\n ' '  ')
echo "$SHOW" | grep -q "is consistent with the following platform tag: \"$TAG\"" \
    || { echo "$SHOW"; fail "auditwheel show does not call $(basename "$WHEEL") $TAG"; }
echo "$(basename "$WHEEL"): auditwheel show: consistent with $TAG"

echo "--- a fresh venv with only the wheel"
VENV="$PK/wheel-venv"
rm -rf "$VENV"
python3 -m venv "$VENV"
# setuptools: test_packaging runs the source tree's setup.py to check its missing-library error
"$VENV/bin/python" -m pip install -q "$WHEEL" -r "$ROOT/tests/python/requirements.txt" setuptools
SITE=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')
(cd "$TMP" && "$VENV/bin/python" "$ROOT/tests/packaging/check_wheel.py" "$SITE")

echo "--- the Python suite against the installed wheel"
# Run from a directory without python/ (the source package) so only site-packages can answer
# `import ruddercore`; conftest.py checks that when RUDDER_EXPECT_INSTALLED is set.
(cd "$TMP" && RUDDER_DATAPLANE_BIN="$DATAPLANE" RUDDER_BUILD_DIR="$BUILD" RUDDER_EXPECT_INSTALLED="$SITE" \
    "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$ROOT/tests/python") || fail "the Python suite against the wheel"

echo "--- the sdist without cJSON's development files"
mkdir "$TMP/pc"
for name in libcurl zlib; do
    ln -s "$(pkg-config --variable=pcfiledir "$name")/$name.pc" "$TMP/pc/"
done
if PKG_CONFIG_LIBDIR="$TMP/pc" PKG_CONFIG_PATH="" "$PK/tools/bin/python" -m pip wheel -q --no-deps -w "$TMP/out" "$SDIST" \
        > "$TMP/sdist.log" 2>&1; then
    fail "the sdist built without cJSON"
fi
grep -q "cannot find libcjson with pkg-config. On Debian/Ubuntu: apt-get install libcjson-dev" "$TMP/sdist.log" \
    || { cat "$TMP/sdist.log"; fail "the sdist's error does not name libcjson and libcjson-dev"; }
echo "the sdist without cJSON stops with: $(grep -o 'cannot find libcjson.*libcjson-dev' "$TMP/sdist.log" | head -1)"

echo "wheel: $(basename "$WHEEL") ($(du -k "$WHEEL" | cut -f1) KiB) passed"
