"""Checks an installed ruddercore wheel: run with the venv's python, from a directory without
the source tree's python/ folder.

    python check_wheel.py SITE_PACKAGES

The import must come from SITE_PACKAGES, the wheel must carry libcurl, cJSON and hiredis in
ruddercore.libs/, and ldd of the extension must resolve every library either there or to the
few the manylinux policy lets a wheel take from the system (glibc's and zlib).
"""
import glob
import os
import subprocess
import sys

# What the manylinux policy allows from the system that ldd of our extension may show.
SYSTEM_LIBS = {
    "ld-linux-x86-64.so.2", "libc.so.6", "libm.so.6", "libpthread.so.0",
    "libdl.so.2", "librt.so.1", "libresolv.so.2", "libz.so.1",
}
BUNDLED = ("libcurl", "libcjson", "libhiredis")


def fail(msg):
    sys.exit("check_wheel: " + msg)


def ldd(path):
    """[(name, resolved path or None)] for every library ldd lists."""
    out = subprocess.run(["ldd", path], capture_output=True, text=True, check=True).stdout
    libs = []
    for line in out.splitlines():
        line = line.strip()
        if "=>" in line:
            name, where = (s.strip() for s in line.split("=>", 1))
            where = where.split(" (")[0].strip()
            libs.append((name, None if where == "not found" else where))
        elif line:
            path_or_name = line.split(" (")[0].strip()
            libs.append((os.path.basename(path_or_name), path_or_name if "/" in path_or_name else None))
    return libs


def main():
    site = os.path.realpath(sys.argv[1])
    import ruddercore
    import ruddercore._core as core
    for mod in (ruddercore, core):
        if not os.path.realpath(mod.__file__).startswith(site + os.sep):
            fail("%s was imported from %s, not from %s" % (mod.__name__, mod.__file__, site))
    libs_dir = os.path.join(site, "ruddercore.libs")
    bundled = sorted(os.listdir(libs_dir)) if os.path.isdir(libs_dir) else []
    for want in BUNDLED:
        if not any(f.startswith(want + "-") for f in bundled):
            fail("%s is not bundled in %s (has: %s)" % (want, libs_dir, ", ".join(bundled) or "nothing"))

    outside = []
    for name, where in ldd(core.__file__):
        if where and os.path.realpath(where).startswith(libs_dir + os.sep):
            continue
        if (name in SYSTEM_LIBS and where) or name == "linux-vdso.so.1":   # the vdso is the kernel's
            continue
        outside.append("%s => %s" % (name, where or "not found"))
    if outside:
        fail("ldd of %s resolves outside the wheel:\n  %s" % (core.__file__, "\n  ".join(outside)))
    print("imported from %s; ldd: all from ruddercore.libs/ (%d libraries) or glibc/zlib"
          % (os.path.dirname(ruddercore.__file__), len(bundled)))
    print("bundled: " + " ".join(f.split("-")[0] for f in bundled))


if __name__ == "__main__":
    main()
