"""Packaging: one version, written in core/include/ruddercore.h (RUDDER_VERSION) and read from
there by setup.py (so pyproject's dynamic version and the wheel), CMake (so the .so's version,
the .pc file and the .deb packages) and the core (context.library.version, the User-Agent).  The
rockspec's file name and fields carry it too and cannot read a header, so this test checks
them, and every README/docs mention of the rockspec, against the header.  A missing C
dependency stops the build with the Debian package to install."""
import glob
import os
import re
import subprocess
import sys

import pytest

import ruddercore
from conftest import ROOT, build_dir

SETUP = os.path.join(ROOT, "setup.py")


def header_version():
    with open(os.path.join(ROOT, "core", "include", "ruddercore.h"), encoding="utf-8") as f:
        text = f.read()
    version = re.search(r'^#define RUDDER_VERSION "([^"]+)"', text, re.M).group(1)
    parts = [re.search(r"^#define RUDDER_VERSION_%s (\d+)" % p, text, re.M).group(1)
             for p in ("MAJOR", "MINOR", "PATCH")]
    assert ".".join(parts) == version, "RUDDER_VERSION_MAJOR/MINOR/PATCH disagree with RUDDER_VERSION"
    return version


def test_version_comes_from_the_header():
    header = header_version()
    assert ruddercore.__version__ == header
    from importlib.metadata import version
    assert version("ruddercore") == header


def test_pyproject_takes_the_version_from_setup_py():
    with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as f:
        text = f.read()
    assert re.search(r'^dynamic = \[[^]]*"version"', text, re.M)
    assert not re.search(r"^version\s*=", text, re.M), "pyproject.toml must not write a version of its own"


def test_rockspec_carries_the_header_version():
    version = header_version()
    rockspecs = glob.glob(os.path.join(ROOT, "lua", "*.rockspec"))
    assert len(rockspecs) == 1, rockspecs
    name = os.path.basename(rockspecs[0])
    m = re.fullmatch(r"ruddercore-(.+)-(\d+)\.rockspec", name)
    assert m and m.group(1) == version, "%s: rename it to ruddercore-%s-1.rockspec" % (name, version)
    with open(rockspecs[0], encoding="utf-8") as f:
        text = f.read()
    assert re.search(r'^version = "%s-%s"' % (re.escape(version), m.group(2)), text, re.M), name
    assert re.search(r'tag = "v%s"' % re.escape(version), text), name
    # the install commands in the docs name the rockspec that exists
    for doc in ["README.md"] + glob.glob(os.path.join(ROOT, "docs", "*.md")):
        with open(os.path.join(ROOT, doc), encoding="utf-8") as f:
            for mention in re.findall(r"ruddercore-[0-9][^\s/]*?\.rockspec", f.read()):
                assert mention == name, "%s names %s, the rockspec is %s" % (doc, mention, name)


def test_cmake_build_carries_the_header_version():
    version = header_version()
    pc = os.path.join(build_dir(), "ruddercore.pc")
    with open(pc, encoding="utf-8") as f:
        assert re.search(r"^Version: %s$" % re.escape(version), f.read(), re.M), pc
    # the shared library's file name (SONAME libruddercore.so.MAJOR links to it)
    assert glob.glob(os.path.join(build_dir(), "libruddercore.so." + version)), build_dir()


def test_events_carry_the_header_version(make_client, dataplane):
    make_client().track("u", "Version Checked")
    library = dataplane.wait_events(1)[0]["context"]["library"]
    assert library["version"] == header_version()


@pytest.mark.parametrize("hidden, debian", [
    ("libcjson", "libcjson-dev"),
    ("libcurl", "libcurl4-openssl-dev"),
    ("zlib", "zlib1g-dev"),
])
def test_missing_dependency_names_the_debian_package(tmp_path, hidden, debian):
    # a pkg-config search path holding every .pc file except the hidden one
    pcdir = tmp_path / "pc"
    pcdir.mkdir()
    for name in ("libcurl", "libcjson", "zlib"):
        if name == hidden:
            continue
        path = subprocess.run(["pkg-config", "--variable=pcfiledir", name], capture_output=True,
                              text=True).stdout.strip()
        (pcdir / (name + ".pc")).symlink_to(os.path.join(path, name + ".pc"))
    env = dict(os.environ, PKG_CONFIG_LIBDIR=str(pcdir), PKG_CONFIG_PATH="")
    r = subprocess.run([sys.executable, SETUP, "--version"], capture_output=True, text=True,
                       cwd=ROOT, env=env, timeout=120)
    assert r.returncode != 0
    assert debian in r.stderr and hidden in r.stderr
