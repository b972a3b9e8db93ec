"""Fixtures: the local data plane stand-in (tools/dataplane), started per test module on
127.0.0.1 and stopped by pid, plus small helpers that wait on conditions."""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WRITE_KEY = "test-write-key"


def pytest_sessionstart(session):
    """RUDDER_EXPECT_INSTALLED=SITE_PACKAGES (tests/packaging/wheel.sh): the suite must test the
    installed wheel, so fail at once if ruddercore would be imported from anywhere else."""
    site = os.environ.get("RUDDER_EXPECT_INSTALLED")
    if site:
        import ruddercore
        where = os.path.realpath(ruddercore.__file__)
        if not where.startswith(os.path.realpath(site) + os.sep):
            pytest.exit("ruddercore imported from %s, not from the installed wheel in %s" % (where, site),
                        returncode=3)


def build_dir():
    """The CMake build directory: RUDDER_BUILD_DIR, else the one holding the data plane."""
    return os.environ.get("RUDDER_BUILD_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(dataplane_bin())))


def dataplane_bin():
    path = os.environ.get("RUDDER_DATAPLANE_BIN") or os.path.join(
        ROOT, "build", "tools", "dataplane", "rudder-dataplane")
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        pytest.fail("the local data plane binary is missing: set RUDDER_DATAPLANE_BIN or build "
                    "build/tools/dataplane/rudder-dataplane (cmake --build build --target rudder-dataplane)")
    return path


def wait_until(cond, timeout=30.0, what="condition"):
    """Polls cond() until it is truthy; fails the test (never a sleep-and-hope) after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting for " + what)
        time.sleep(0.02)


class DataPlane:
    def __init__(self, *extra_args):
        self.proc = subprocess.Popen(
            [dataplane_bin(), "--port", "0", "--write-key", WRITE_KEY, "--quiet", *extra_args],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening "):
            self.stop()
            pytest.fail("data plane did not start: %r" % line)
        self.url = line.split(" ", 1)[1]

    def _req(self, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method="GET" if data is None else "POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            text = r.read()
        return json.loads(text) if text.strip() else None

    def stats(self):
        return self._req("/_stats")

    def events(self):
        return self._req("/_events")

    def control(self, **fault):
        return self._req("/_control", fault)

    def reset(self):
        self._req("/_reset", {})
        self.control()   # no fault

    def wait_events(self, n, timeout=30.0):
        wait_until(lambda: self.stats()["events"] >= n, timeout, "%d events at the data plane" % n)
        return self.events()

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@pytest.fixture(scope="module")
def dataplane_server():
    dp = DataPlane()
    yield dp
    dp.stop()


@pytest.fixture
def dataplane(dataplane_server):
    dataplane_server.reset()
    return dataplane_server


@pytest.fixture
def make_client(dataplane):
    """Client factory on the module's data plane; every client is closed after the test."""
    import ruddercore
    made = []

    def make(**settings):
        settings.setdefault("flush_interval", 50)
        c = ruddercore.Client(WRITE_KEY, dataplane.url, **settings)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close(5)


def run_python(code, env_extra=None, timeout=60):
    """Runs code in a fresh interpreter (the installed ruddercore); returns CompletedProcess."""
    env = dict(os.environ)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd="/")
