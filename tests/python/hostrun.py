"""Shared by the host tests (gunicorn, uWSGI, Celery): start a host as a user would, drive a
bounded loopback load loop at it, and check that every event whose track() call returned
(recorded by tests/python/hosts/tracking.py) reached the data plane exactly once."""
import collections
import glob
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from conftest import WRITE_KEY, wait_until

HOSTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hosts")
VENV_BIN = os.path.dirname(sys.executable)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def host_tool(name):
    """A host's command from the test venv (installed by tests/python/requirements.txt)."""
    path = os.path.join(VENV_BIN, name)
    if not os.access(path, os.X_OK):
        pytest.fail("%s is not installed in %s: pip install -r tests/python/requirements.txt" % (name, VENV_BIN))
    return path


class Host:
    """One host process tree, started with its app's environment; its log is kept for failures."""

    def __init__(self, argv, dataplane, create, record, extra_env=None):
        self.record = record
        self.log_path = os.path.join(self.record, "host.log")
        env = dict(os.environ, RUDDER_HOST_URL=dataplane.url, RUDDER_HOST_RECORD=self.record,
                   RUDDER_HOST_WRITE_KEY=WRITE_KEY, RUDDER_HOST_CREATE=create,
                   PYTHONPATH=HOSTS_DIR + os.pathsep + os.environ.get("PYTHONPATH", ""))
        env.update(extra_env or {})
        self.log = open(self.log_path, "w")
        # its own process group: kill_tree() reaches workers that never recorded an event too
        self.proc = subprocess.Popen(argv, cwd=HOSTS_DIR, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def signal(self, sig):
        os.kill(self.proc.pid, sig)

    def wait_exit(self, timeout):
        """The host's own graceful stop must end it; a hang fails the test (and is then killed)."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill_tree()
            pytest.fail("the host did not exit within %ds of its stop signal:\n%s" % (timeout, self.text()[-4000:]))

    def pids(self):
        """Every process that recorded an event (the master's import event included)."""
        return {int(p.rsplit("-", 1)[1].split(".")[0]) for p in glob.glob(os.path.join(self.record, "*.ids"))}

    def kill_tree(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for pid in self.pids() | {self.proc.pid}:   # any that left the group
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()

    def recorded(self, kind=None):
        """messageId -> count over every process's record file (of one kind, or all)."""
        ids = collections.Counter()
        for path in glob.glob(os.path.join(self.record, (kind or "*") + "-*.ids")):
            with open(path) as f:
                ids.update(line.strip() for line in f if line.strip())
        return ids

    def close(self):
        if self.proc.poll() is None:
            self.kill_tree()
        self.log.close()


@pytest.fixture
def record_dir():
    """Where the host's processes record their messageIds (and the host logs); removed after."""
    path = tempfile.mkdtemp(prefix="rudder-host-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def wait_master_event_sent(host, dataplane):
    """The event the master queued at import is sent once it has forked its workers (flushAt
    and flushInterval are far off): a master may never run exit handlers (uWSGI's does not)."""
    wait_until(lambda: len(host.recorded("master")) == 1, 30, "the master's import event")
    (mid,) = host.recorded("master")
    # 10 s: well before flushInterval (30 s) would send it anyway
    wait_until(lambda: any(e.get("messageId") == mid for e in dataplane.events()), 10,
               "the master's import event at the data plane after the fork")


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (not yet reaped by a parent that is still exiting) has exited
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class LoadLoop(threading.Thread):
    """GET requests to 127.0.0.1:port one after another, bounded in count and time; each answer
    is "PID MESSAGEID".  Refused connections (a host restarting or stopping) are counted, not fatal."""

    def __init__(self, port, max_requests=3000, max_seconds=90.0):
        super().__init__(daemon=True)
        self.port, self.max_requests, self.max_seconds = port, max_requests, max_seconds
        self.answers = []          # (pid, messageId)
        self.failures = 0
        self.stop_event = threading.Event()

    def run(self):
        deadline = time.monotonic() + self.max_seconds
        for i in range(self.max_requests):
            if self.stop_event.is_set() or time.monotonic() > deadline:
                break
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                conn.request("GET", "/track/%d" % i)
                r = conn.getresponse()
                body = r.read().decode()
                conn.close()
                if r.status == 200:
                    pid, mid = body.split()
                    self.answers.append((int(pid), mid))
                else:
                    self.failures += 1
            except (OSError, http.client.HTTPException, ValueError):
                self.failures += 1
                time.sleep(0.01)

    def pids(self):
        return {pid for pid, _ in self.answers}

    def wait_answers(self, n, what, timeout=60):
        wait_until(lambda: len(self.answers) >= n, timeout, what)

    def stop(self):
        self.stop_event.set()
        self.join(30)


def assert_exactly_once(host, dataplane, timeout=60):
    """Every recorded messageId (a track() that returned) arrived once; nothing else arrived."""
    recorded = host.recorded()
    twice = [m for m, c in recorded.items() if c > 1]
    assert not twice, "a messageId was returned twice: %r" % twice[:5]
    want = set(recorded)
    assert want, "the host recorded no event:\n" + host.text()[-3000:]
    try:
        wait_until(lambda: dataplane.stats()["events"] >= len(want), timeout,
                   "%d recorded events at the data plane" % len(want))
    except BaseException:
        got = {e.get("messageId") for e in dataplane.events()}
        missing = want - got
        pytest.fail("%d of %d recorded events never arrived (e.g. %r); host log:\n%s"
                    % (len(missing), len(want), sorted(missing)[:3], host.text()[-4000:]))
    stats = dataplane.stats()
    got = [e.get("messageId") for e in dataplane.events()]
    assert stats["duplicates"] == 0, "%d events arrived twice" % stats["duplicates"]
    assert set(got) == want, "unexpected: %r, missing: %r" % (sorted(set(got) - want)[:5], sorted(want - set(got))[:5])
    assert len(got) == len(want)
    return want


def reload_and_stop_under_load(host, dataplane, port, reload, stop, master_event, reloaded=None):
    """The scenario both WSGI hosts share: load, reload mid-load, graceful stop mid-load.
    reload() / stop() send the host's own signals; master_event: the master tracked one event
    at import, before forking; reloaded(): waits until the host says the reload is complete.
    Returns the LoadLoop (its answers) after every check passed."""
    load = LoadLoop(port)
    try:
        load.start()
        load.wait_answers(60, "answers from the first workers")
        if master_event:
            wait_master_event_sent(host, dataplane)
        first = load.pids()
        reload()
        # the reload forks new workers and stops the old ones gracefully, under load
        wait_until(lambda: load.pids() - first, 60, "answers from workers forked by the reload")
        wait_until(lambda: not any(pid_alive(p) for p in first), 60, "the old workers to exit")
        if reloaded:
            reloaded()
        load.wait_answers(len(load.answers) + 60, "answers after the reload")
        stop()
        status = host.wait_exit(60)
    finally:
        load.stop()
    assert status == 0, host.text()[-3000:]
    assert not [p for p in host.pids() if pid_alive(p)], "a worker outlived its master"
    delivered = assert_exactly_once(host, dataplane)
    assert {m for _, m in load.answers} <= delivered
    assert bool(host.recorded("master")) == master_event
    return load
