"""Real deployments: many threads on one client, fork (gunicorn/uWSGI/Celery prefork),
exit without flush, Ctrl-C during a long flush, memory over 100,000 calls."""
import os
import signal
import subprocess
import sys
import threading
import tracemalloc

import pytest

import ruddercore
from conftest import WRITE_KEY, run_python, wait_until


def test_many_threads_share_one_client(dataplane):
    n_threads, per_thread = 8, 2000
    delivered = []
    c = ruddercore.Client(WRITE_KEY, dataplane.url, flush_interval=20,
                          on_delivery=lambda ids: delivered.extend(ids))
    errors = []

    def work(t):
        try:
            for i in range(per_thread):
                c.track("user-%d" % t, "Threaded", {"t": t, "i": i})
                if i % 500 == 0:
                    c.poll(0)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(n_threads)]
    flusher = threading.Thread(target=lambda: [c.flush(1) for _ in range(5)])
    for t in threads + [flusher]:
        t.start()
    for t in threads + [flusher]:
        t.join()
    assert not errors
    assert c.flush(60) == 0
    total = n_threads * per_thread
    assert len(set(delivered)) == total
    c.close(10)
    st = dataplane.stats()
    assert st["unique"] == total and st["duplicates"] == 0


FORK_SCRIPT = r"""
import os, sys, ruddercore
url = sys.argv[1]
c = ruddercore.Client("%s", url, flush_interval=600000, flush_at=20000)
for i in range(50):
    c.track("parent", "Before Fork", {"i": i})
pid = os.fork()
if pid == 0:
    try:
        for i in range(20):
            c.track("child", "In Child", {"i": i})
        left = c.flush(30)
        c.close(10)
        os._exit(0 if left == 0 else 3)
    except BaseException as e:
        print("child failed:", repr(e), file=sys.stderr)
        os._exit(4)
_, status = os.waitpid(pid, 0)
assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
for i in range(5):
    c.track("parent", "After Fork", {"i": i})
assert c.flush(30) == 0
c.close(10)
print("ok")
""" % WRITE_KEY


def test_fork_child_sends_only_its_own_events(dataplane):
    r = subprocess.run([sys.executable, "-c", FORK_SCRIPT, dataplane.url], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"
    events = dataplane.wait_events(75)
    names = [e["event"] for e in events]
    assert names.count("In Child") == 20
    assert names.count("Before Fork") == 50      # the parent's, delivered once
    assert names.count("After Fork") == 5
    st = dataplane.stats()
    assert st["duplicates"] == 0 and st["unique"] == 75


EXIT_SCRIPT = r"""
import sys, ruddercore
c = ruddercore.Client("%s", sys.argv[1], flush_interval=600000, flush_at=20000)
for i in range(1000):
    c.track("u", "Exit Test", {"i": i})
print("tracked", len(c))
""" % WRITE_KEY


def test_exit_without_flush_delivers_every_event(dataplane):
    r = subprocess.run([sys.executable, "-c", EXIT_SCRIPT, dataplane.url], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "tracked 1000" in r.stdout
    st = dataplane.stats()   # the process has exited: everything must already be there
    assert st["events"] == 1000 and st["unique"] == 1000


def test_exit_with_a_dropped_reference_still_delivers(dataplane):
    script = ("import sys, ruddercore\n"
              "ruddercore.Client(%r, sys.argv[1], flush_interval=600000).track('u', 'Orphan')\n"
              % WRITE_KEY)
    r = subprocess.run([sys.executable, "-c", script, dataplane.url], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert dataplane.stats()["events"] == 1


INTERRUPT_SCRIPT = r"""
import sys, ruddercore
c = ruddercore.Client("%s", sys.argv[1], request_timeout=600000, retry_count=0)
c.track("u", "Slow")
print("flushing", flush=True)
try:
    c.flush()
except KeyboardInterrupt:
    print("interrupted", flush=True)
    c.close(0)
    sys.exit(0)
print("flush returned", flush=True)
sys.exit(1)
""" % WRITE_KEY


def test_ctrl_c_interrupts_a_long_flush(dataplane):
    dataplane.control(delayMs=3600000)   # the data plane never answers
    try:
        p = subprocess.Popen([sys.executable, "-c", INTERRUPT_SCRIPT, dataplane.url],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert p.stdout.readline().strip() == "flushing"
        wait_until(lambda: dataplane.stats()["requests"] >= 1 or dataplane.stats().get("pending"),
                   30, "the request to reach the data plane")
        os.kill(p.pid, signal.SIGINT)
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        assert "interrupted" in out
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        dataplane.control()


def test_memory_is_steady_over_100000_calls(dataplane):
    c = ruddercore.Client(WRITE_KEY, dataplane.url, flush_interval=20, max_internal_queue_size=200000)
    props = {"plan": "pro", "n": 1, "tags": ["a", "b"], "price": 9.99}

    def burst(n):
        for i in range(n):
            c.track("user-%d" % (i % 100), "Memory Test", props)
        assert c.flush(60) == 0

    burst(10000)   # warm up allocator pools and caches
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    rss_before = _rss_kb()
    for _ in range(10):
        burst(10000)
    after = tracemalloc.take_snapshot()
    rss_after = _rss_kb()
    tracemalloc.stop()
    grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
    assert grown < 256 * 1024, "Python heap grew by %d bytes over 100,000 calls" % grown
    assert rss_after - rss_before < 32 * 1024, "RSS grew by %d kB" % (rss_after - rss_before)
    c.close(10)
    assert dataplane.stats()["unique"] == 110000


def _rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_gil_is_released_while_flush_waits(dataplane):
    """Another thread runs while flush() waits on the network: the main thread sees the
    request arrive at the data plane while the flushing thread is still inside flush()."""
    dataplane.control(delayMs=2000, count=1)
    c = ruddercore.Client(WRITE_KEY, dataplane.url, flush_interval=600000, flush_at=20000,
                          request_timeout=60000)
    try:
        c.track("u", "Slow Delivery")
        result = []
        flusher = threading.Thread(target=lambda: result.append(c.flush(60)))
        flusher.start()

        def in_flight():
            st = dataplane.stats()
            return (st["requests"] >= 1 or st.get("pending", 0) >= 1) and flusher.is_alive()

        wait_until(in_flight, 30, "the request in flight while flush() runs")
        flusher.join(60)
        assert result == [0]
    finally:
        dataplane.control()
        c.close(5)


def test_error_paths_do_not_leak(make_client):
    c = make_client()
    bad_props = {"x": [1, 2, {"y": object()}]}

    def burst(n):
        for _ in range(n):
            try:
                c.track("u", "E", bad_props)
            except TypeError:
                pass
            try:
                c.track(None, "E", {"a": 1})
            except ruddercore.InvalidMessageError:
                pass

    burst(5000)
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    burst(20000)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
    assert grown < 128 * 1024, "Python heap grew by %d bytes on error paths" % grown


def test_close_deadline_reports_dropped_events(dataplane):
    dataplane.control(delayMs=3600000)
    dropped = []
    c = ruddercore.Client(WRITE_KEY, dataplane.url, request_timeout=600000,
                          on_error=lambda e, events: dropped.append((e, events)))
    try:
        ids = [c.track("u", "Never Delivered %d" % i) for i in range(3)]
        lost = c.close(0.2)
        assert lost == 3
        names = {e.name for e, _ in dropped}
        assert names <= {"RUDDER_ERR_SHUTDOWN", "RUDDER_ERR_TRANSPORT"} and names
        assert sorted(ev["messageId"] for _, evs in dropped for ev in evs) == sorted(ids)
    finally:
        dataplane.control()


def test_exit_is_bounded_when_the_data_plane_hangs(dataplane):
    dataplane.control(delayMs=3600000)
    try:
        script = ("import sys, ruddercore\n"
                  "c = ruddercore.Client(%r, sys.argv[1], close_timeout=200, request_timeout=600000)\n"
                  "c.track('u', 'Stuck')\n" % WRITE_KEY)
        r = subprocess.run([sys.executable, "-c", script, dataplane.url], capture_output=True,
                           text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert "not delivered" in r.stderr   # the core's warning, through Python logging
    finally:
        dataplane.control()
