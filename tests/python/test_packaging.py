"""Packaging: version single-sourced from the C header; a missing C dependency stops the
build with the Debian package to install."""
import os
import re
import subprocess
import sys

import pytest

import ruddercore
from conftest import ROOT

SETUP = os.path.join(ROOT, "setup.py")


def test_version_comes_from_the_header():
    with open(os.path.join(ROOT, "core", "include", "ruddercore.h"), encoding="utf-8") as f:
        header = re.search(r'#define RUDDER_VERSION "([^"]+)"', f.read()).group(1)
    assert ruddercore.__version__ == header
    from importlib.metadata import version
    assert version("ruddercore") == header


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
