"""Builds ruddercore._core from the C core (core/) and the binding (bindings/python/).

libcurl, cJSON and zlib are found with pkg-config; a missing one stops the build with the
name of the Debian package to install.  The version comes from core/include/ruddercore.h.
"""
import os
import re
import shutil
import subprocess
import sys
from glob import glob

from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))
REL = os.path.relpath

# pkg-config module -> the Debian/Ubuntu package that provides its .pc file and headers
DEPENDENCIES = {
    "libcurl": "libcurl4-openssl-dev",
    "libcjson": "libcjson-dev",
    "zlib": "zlib1g-dev",
}


def version():
    with open(os.path.join(HERE, "core", "include", "ruddercore.h"), encoding="utf-8") as f:
        m = re.search(r'^#define RUDDER_VERSION "([^"]+)"', f.read(), re.M)
    if not m:
        sys.exit("setup.py: RUDDER_VERSION not found in core/include/ruddercore.h")
    return m.group(1)


def fail(msg):
    sys.stderr.write("\nruddercore: %s\n\n" % msg)
    sys.exit(1)


def pkg_config(*args):
    return subprocess.run(["pkg-config", *args], capture_output=True, text=True)


def find_dependencies():
    if not shutil.which("pkg-config"):
        fail("pkg-config is not installed. On Debian/Ubuntu: apt-get install pkg-config "
             + " ".join(DEPENDENCIES.values()))
    missing = [name for name in DEPENDENCIES if pkg_config("--exists", name).returncode != 0]
    if missing:
        fail("cannot find %s with pkg-config. On Debian/Ubuntu: apt-get install %s"
             % (", ".join(missing), " ".join(DEPENDENCIES[n] for n in missing)))
    cflags = pkg_config("--cflags", *DEPENDENCIES).stdout.split()
    libs = pkg_config("--libs", *DEPENDENCIES).stdout.split()
    return cflags, libs


def find_hiredis():
    """hiredis is optional: without it the Redis persistence backend answers with a clear
    configuration error. RUDDERCORE_HIREDIS=0 builds without it on purpose."""
    if os.environ.get("RUDDERCORE_HIREDIS", "1") == "0" or pkg_config("--exists", "hiredis").returncode != 0:
        return [], [], []
    return (pkg_config("--cflags", "hiredis").stdout.split(), pkg_config("--libs", "hiredis").stdout.split(),
            [("RUDDERCORE_HAVE_HIREDIS", None)])


def sources():
    # recursive: core/src is in subsystem folders; includes name the folder ("json/json.h")
    core = sorted(glob(os.path.join(HERE, "core", "src", "**", "*.c"), recursive=True))
    binding = sorted(glob(os.path.join(HERE, "bindings", "python", "*.c")))
    if not core:
        fail("core/src/*.c not found; build from a full clone or sdist")
    return [REL(p, HERE) for p in core + binding]


cflags, libs = find_dependencies()
hiredis_cflags, hiredis_libs, hiredis_defines = find_hiredis()
cflags += hiredis_cflags
libs += hiredis_libs
include_dirs = [p[2:] for p in cflags if p.startswith("-I")]
extra_cflags = [p for p in cflags if not p.startswith("-I")]
library_dirs = [p[2:] for p in libs if p.startswith("-L")]
libraries = [p[2:] for p in libs if p.startswith("-l")] + ["m"]
extra_link = [p for p in libs if not p.startswith(("-L", "-l"))] + ["-pthread"]

core_ext = Extension(
    "ruddercore._core",
    sources=sources(),
    include_dirs=["core/include", "core/src", "bindings/python"] + include_dirs,
    library_dirs=library_dirs,
    libraries=libraries,
    define_macros=[("_GNU_SOURCE", None), ("RUDDER_STATIC_BUILD", None)] + hiredis_defines,
    # initial-exec TLS: see CMakeLists.txt (the arena pointer read on every node)
    extra_compile_args=["-std=c11", "-fvisibility=hidden", "-ftls-model=initial-exec", "-pthread",
                        "-Wno-unused-parameter", "-Wno-missing-field-initializers"] + extra_cflags,
    extra_link_args=extra_link,
)

setup(
    version=version(),
    package_dir={"": "python"},
    packages=["ruddercore", "ruddercore.analytics"],
    package_data={"ruddercore": ["py.typed", "*.pyi"]},
    ext_modules=[core_ext],
    # build/ is the CMake build directory; keep setuptools' intermediate files apart
    options={"build": {"build_base": "build-py"}},
)
