#!/usr/bin/env python3
"""Python benchmark: ruddercore.Client.track and ruddercore.Destination.push from one Python
thread, and rudder-sdk-python (from PyPI, in a throwaway venv) against the same local data
plane in the same run.  Prints events/s and the ratio.

    python3 bench/bench_python.py [--events 200000] [--peer-events 20000] [--skip-peer]

Rates are end to end: from the first call until flush() returned with every event accepted
by the data plane (tools/dataplane, started here with --no-store).  The call-only rate
(time to return from the calls) is printed too.  Targets: >= 150,000 events/s and >= 15x
rudder-sdk-python.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WRITE_KEY = "bench-write-key"
PROPS = {"plan": "pro", "price": 9.99, "items": 3, "sku": "SKU-12345", "currency": "EUR"}

PEER_SCRIPT = r"""
import json, sys, time
from rudderstack.analytics import Client
url, key, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
props = json.loads(sys.argv[4])
c = Client(key, host=url, max_queue_size=n + 10, gzip=True)
t0 = time.perf_counter()
for i in range(n):
    c.track("user-123", "Product Viewed", props)
t1 = time.perf_counter()
c.flush()
t2 = time.perf_counter()
c.shutdown()
print(json.dumps({"calls": n / (t1 - t0), "end_to_end": n / (t2 - t0)}))
"""


class DataPlane:
    def __init__(self):
        binary = os.environ.get("RUDDER_DATAPLANE_BIN") or os.path.join(
            ROOT, "build", "tools", "dataplane", "rudder-dataplane")
        if not os.access(binary, os.X_OK):
            sys.exit("rudder-dataplane not found: set RUDDER_DATAPLANE_BIN or build build/tools/dataplane")
        self.proc = subprocess.Popen([binary, "--port", "0", "--no-store", "--quiet"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.url = self.proc.stdout.readline().split(" ", 1)[1].strip()

    def post(self, path):
        req = urllib.request.Request(self.url + path, data=b"{}", method="POST")
        urllib.request.urlopen(req, timeout=10).read()

    def stats(self):
        with urllib.request.urlopen(self.url + "/_stats", timeout=10) as r:
            return json.loads(r.read())

    def stop(self):
        os.kill(self.proc.pid, signal.SIGTERM)
        self.proc.wait(10)


def bench_client(dp, n):
    import ruddercore
    dp.post("/_reset")
    with ruddercore.Client(WRITE_KEY, dp.url, max_internal_queue_size=n + 10) as c:
        track = c.track
        t0 = time.perf_counter()
        for _ in range(n):
            track("user-123", "Product Viewed", PROPS)
        t1 = time.perf_counter()
        left = c.flush()
        t2 = time.perf_counter()
    assert left == 0 and dp.stats()["unique"] == n, "not every event arrived"
    return {"calls": n / (t1 - t0), "end_to_end": n / (t2 - t0)}


def bench_destination(dp, n):
    import ruddercore
    dp.post("/_reset")
    config = {
        "settings": {"writeKey": WRITE_KEY, "dataPlaneUrl": dp.url, "maxInternalQueueSize": n + 10},
        "mapping": {"product": {"view": {"name": "Product Viewed",
                                         "data": {"map": {"sku": "data.id", "price": "data.price"}}}}},
    }
    event = {"name": "product view", "entity": "product", "action": "view",
             "data": {"id": "SKU-12345", "price": 9.99}, "user": {"id": "user-123", "session": "s1"},
             "consent": {"functional": True}, "timestamp": 1700000000000,
             "source": {"type": "server", "schema": "4"}}
    with ruddercore.Destination(config) as d:
        push = d.push
        t0 = time.perf_counter()
        for _ in range(n):
            push(event)
        t1 = time.perf_counter()
        left = d.flush()
        t2 = time.perf_counter()
    assert left == 0, "not every event arrived"
    return {"calls": n / (t1 - t0), "end_to_end": n / (t2 - t0)}


def bench_peer(dp, n):
    """rudder-sdk-python from PyPI in its own throwaway venv."""
    dp.post("/_reset")
    with tempfile.TemporaryDirectory(prefix="bench-rudder-sdk-python-") as tmp:
        venv = os.path.join(tmp, "venv")
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        py = os.path.join(venv, "bin", "python")
        subprocess.run([py, "-m", "pip", "install", "-q", "rudder-sdk-python"], check=True)
        r = subprocess.run([py, "-c", PEER_SCRIPT, dp.url, WRITE_KEY, str(n), json.dumps(PROPS)],
                           capture_output=True, text=True, check=True, cwd=tmp,
                           env={**os.environ, "TEST_DATA_PLANE_URL": dp.url})
        result = json.loads(r.stdout.strip().splitlines()[-1])
    arrived = dp.stats()["unique"]
    if arrived != n:
        print("warning: rudder-sdk-python delivered %d of %d events" % (arrived, n))
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=200000)
    ap.add_argument("--peer-events", type=int, default=20000)
    ap.add_argument("--skip-peer", action="store_true")
    args = ap.parse_args()
    dp = DataPlane()
    try:
        client = bench_client(dp, args.events)
        dest = bench_destination(dp, args.events)
        peer = None if args.skip_peer else bench_peer(dp, args.peer_events)
    finally:
        dp.stop()
    row = "%-34s %14s %14s"
    print(row % ("", "calls/s", "end-to-end/s"))
    print(row % ("ruddercore Client.track", "%.0f" % client["calls"], "%.0f" % client["end_to_end"]))
    print(row % ("ruddercore Destination.push", "%.0f" % dest["calls"], "%.0f" % dest["end_to_end"]))
    if peer:
        print(row % ("rudder-sdk-python Client.track", "%.0f" % peer["calls"], "%.0f" % peer["end_to_end"]))
        print("ratio Client.track / rudder-sdk-python (end to end): %.1fx (target >= 15x)"
              % (client["end_to_end"] / peer["end_to_end"]))
        print("ratio Destination.push / rudder-sdk-python (end to end): %.1fx"
              % (dest["end_to_end"] / peer["end_to_end"]))
    print("target >= 150000 events/s: Client.track %s, Destination.push %s" % (
        "met" if client["end_to_end"] >= 150000 else "NOT met",
        "met" if dest["end_to_end"] >= 150000 else "NOT met"))


if __name__ == "__main__":
    main()
