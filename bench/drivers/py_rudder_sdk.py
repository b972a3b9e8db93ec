#!/usr/bin/env python3
"""rudder-sdk-python (PyPI) from one Python thread (or several), used as its README shows.

    py_rudder_sdk.py URL EVENTS [--threads T] [--flush-at F]

Client(write_key, host=URL, max_queue_size=200000) with its defaults otherwise (gzip on,
upload_size 100; --flush-at sets upload_size).  track() returns (False, msg) when the queue
is full: the driver retries after 20 us, as bench_client.c does.  End to end = first call
until flush() (queue.join) returned.
"""
import argparse
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

from rudderstack.analytics import Client  # noqa: E402
from rudderstack.analytics.version import VERSION  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("events", type=int)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--flush-at", type=int)
    a = ap.parse_args()
    kwargs = {"host": a.url, "max_queue_size": 200000}
    if a.flush_at:
        kwargs["upload_size"] = a.flush_at
    client = Client("bench-key", **kwargs)
    call = client.track
    per_thread = a.events // a.threads
    retries = [0] * a.threads
    latencies = []

    events = common.pool(common.event_fields)
    mask = common.POOL_SIZE - 1

    def work(t):
        now = common.now
        lat = latencies if t == 0 else None
        start = t * per_thread
        for i in range(start, start + per_thread):
            uid, aid, name, props, ctx = events[i & mask]
            t0 = now()
            while not call(uid, name, props, ctx, None, aid)[0]:
                retries[t] += 1
                time.sleep(0.00002)
            if lat is not None:
                lat.append(now() - t0)

    t_start = common.now()
    threads = [threading.Thread(target=work, args=(t,)) for t in range(a.threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    t_calls = common.now() - t_start
    client.flush()
    t_total = common.now() - t_start
    client.join()
    common.emit("rudder-sdk-python " + VERSION, per_thread * a.threads, t_total, t_calls, latencies,
                threads=a.threads, flushAt=a.flush_at or "default", queueFullRetries=sum(retries))
    return 0


if __name__ == "__main__":
    sys.exit(main())
