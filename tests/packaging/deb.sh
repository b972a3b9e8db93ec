#!/usr/bin/env bash
# The Debian packages as a user installs them, into the real system (root; CI is root):
#   1. scripts/package.sh deb (a build with prefix /usr, then `cpack -G DEB`): libruddercore,
#      libruddercore-dev and ruddercore (cmake/packaging.cmake), each <version>-1 with the
#      header's version;
#   2. their contents: the .so with SONAME libruddercore.so.<major> and .so.<version>, the
#      header, the .pc file, the commands;
#   3. dpkg -i; pkg-config finds ruddercore; examples/quickstart.c built with pkg-config and
#      `ruddercore send` deliver to /usr/bin/rudder-dataplane on 127.0.0.1;
#   4. dpkg --purge, and none of the packages' files is left in /usr.
# Refuses (exit 1, nothing touched) when one of the packages is already installed or one of
# their files already exists.  The EXIT trap purges what this script installed, also on failure.
#
#   tests/packaging/deb.sh BUILD_DIR
source "$(dirname "$0")/common.sh"
PACKAGES=(libruddercore libruddercore-dev ruddercore)
if [ "$(id -u)" -ne 0 ]; then   # run.sh reports 77 as skipped: a developer's /usr is not ours to change
    echo "deb: skipped: it installs .deb packages into the system; run as root (CI does)"
    exit 77
fi

TMP=$(mktemp -d)
INSTALLED=0
cleanup() {
    stop_dataplane
    if [ "$INSTALLED" = 1 ]; then
        echo "cleanup: dpkg --purge ${PACKAGES[*]}"
        dpkg --purge "${PACKAGES[@]}" >/dev/null || echo "cleanup: dpkg --purge failed" >&2
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

"$ROOT/scripts/package.sh" "$BUILD" deb
ARCH=$(dpkg --print-architecture)
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
MAJOR=${VERSION%%.*}
DEBS=()
for p in "${PACKAGES[@]}"; do
    deb="$PK/debs/${p}_${VERSION}-1_${ARCH}.deb"
    [ -f "$deb" ] || fail "cpack made no $(basename "$deb") (has: $(ls "$PK/debs"))"
    [ "$(dpkg-deb -f "$deb" Version)" = "$VERSION-1" ] || fail "$deb: Version is not $VERSION-1"
    dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' | grep -v '/$' > "$TMP/$p.files"
    DEBS+=("$deb")
done

echo "--- what is in them"
expect() {   # expect PACKAGE PATH: PATH is in PACKAGE
    grep -qx "$2" "$TMP/$1.files" || fail "$1 does not hold $2 (holds: $(tr '\n' ' ' < "$TMP/$1.files"))"
}
LIBDIR="/usr/lib/$MULTIARCH"
expect libruddercore "$LIBDIR/libruddercore.so.$VERSION"
expect libruddercore "$LIBDIR/libruddercore.so.$MAJOR"
expect libruddercore-dev "$LIBDIR/libruddercore.so"
expect libruddercore-dev "$LIBDIR/libruddercore.a"
expect libruddercore-dev "$LIBDIR/pkgconfig/ruddercore.pc"
expect libruddercore-dev /usr/include/ruddercore.h
expect ruddercore /usr/bin/ruddercore
expect ruddercore /usr/bin/rudder-dataplane
dpkg-deb -x "$PK/debs/libruddercore_${VERSION}-1_${ARCH}.deb" "$TMP/lib"
SONAME=$(objdump -p "$TMP/lib$LIBDIR/libruddercore.so.$VERSION" | awk '$1 == "SONAME" {print $2}')
[ "$SONAME" = "libruddercore.so.$MAJOR" ] || fail "SONAME is '$SONAME', want libruddercore.so.$MAJOR"
dpkg-deb -f "$PK/debs/libruddercore-dev_${VERSION}-1_${ARCH}.deb" Depends | grep -q "libruddercore (= $VERSION-1)" \
    || fail "libruddercore-dev does not depend on libruddercore (= $VERSION-1)"
echo "SONAME $SONAME; $(cat "$TMP"/*.files | wc -l) files in ${PACKAGES[*]}"

echo "--- refuse to clobber"
for p in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    if [ -n "$status" ] && [ "$status" != "not-installed" ]; then
        fail "package $p is already on this system ($status); remove it first: dpkg --purge $p"
    fi
done
for f in $(cat "$TMP"/*.files); do
    if [ -e "$f" ] || [ -L "$f" ]; then
        fail "$f already exists (not from our packages; a \`cmake --install\` to /usr?); not overwriting it"
    fi
done
echo "none of ${PACKAGES[*]} is installed and none of their files exists"

echo "--- dpkg -i"
INSTALLED=1
dpkg -i "${DEBS[@]}" > "$TMP/dpkg.log" 2>&1 || { cat "$TMP/dpkg.log"; fail "dpkg -i"; }

echo "--- pkg-config, the quick start and the ruddercore command from the packages"
unset PKG_CONFIG_PATH PKG_CONFIG_LIBDIR
[ "$(pkg-config --modversion ruddercore)" = "$VERSION" ] || fail "pkg-config --modversion ruddercore is not $VERSION"
# shellcheck disable=SC2046   # pkg-config's flags are words
cc "$ROOT/examples/quickstart.c" $(pkg-config --cflags --libs ruddercore) -o "$TMP/quickstart" \
    || fail "cc quickstart.c \$(pkg-config --cflags --libs ruddercore)"
loaded=$(ldd "$TMP/quickstart" | awk -v so="libruddercore.so.$MAJOR" '$1 == so {print $3}')
# /lib is /usr/lib on a merged-/usr system: compare real paths
[ -n "$loaded" ] && [ "$(realpath "$loaded")" = "$(realpath "$LIBDIR/libruddercore.so.$MAJOR")" ] \
    || { ldd "$TMP/quickstart"; fail "quickstart does not load $LIBDIR/libruddercore.so.$MAJOR"; }
start_dataplane /usr/bin/rudder-dataplane "$TMP"
"$TMP/quickstart" "$DP_URL" some-write-key > "$TMP/quickstart.out" 2>&1 || { cat "$TMP/quickstart.out"; fail "quickstart"; }
grep -q "delivered 3 events" "$TMP/quickstart.out" || { cat "$TMP/quickstart.out"; fail "the quick start did not deliver"; }
[ "$(/usr/bin/ruddercore --version)" = "ruddercore $VERSION" ] || fail "ruddercore --version says '$(/usr/bin/ruddercore --version)'"
python3 - "$ROOT/examples/flow.json" "$DP_URL" > "$TMP/flow.json" <<'PY'
import json, sys
flow = json.load(open(sys.argv[1]))
flow["settings"].update({"dataPlaneUrl": sys.argv[2], "writeKey": "some-write-key"})
print(json.dumps(flow))
PY
/usr/bin/ruddercore send --config "$TMP/flow.json" "$ROOT/examples/events.ndjson" > "$TMP/send.out" 2>&1 \
    || { cat "$TMP/send.out"; fail "ruddercore send"; }
events=$(dataplane_events)
[ "$events" -gt 3 ] || fail "the data plane has $events events after the quick start (3) and ruddercore send"
echo "quick start: $(grep delivered "$TMP/quickstart.out"); ruddercore send: $(tail -1 "$TMP/send.out"); data plane: $events events"
stop_dataplane

echo "--- dpkg --purge"
dpkg --purge "${PACKAGES[@]}" > "$TMP/purge.log" 2>&1 || { cat "$TMP/purge.log"; fail "dpkg --purge"; }
INSTALLED=0
for p in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ -z "$status" ] || [ "$status" = "not-installed" ] || fail "$p is still $status after dpkg --purge"
done
for f in $(cat "$TMP"/*.files); do
    { [ -e "$f" ] || [ -L "$f" ]; } && fail "$f is still there after dpkg --purge"
done
pkg-config --exists ruddercore && fail "pkg-config still finds ruddercore after dpkg --purge"
echo "deb: ${PACKAGES[*]} $VERSION-1 installed, used and removed cleanly"
