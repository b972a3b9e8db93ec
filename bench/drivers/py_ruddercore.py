#!/usr/bin/env python3
"""ruddercore from Python: Client.track (1..N producer threads) or Destination.push.

    py_ruddercore.py URL EVENTS [--threads T] [--flush-at F] [--destination]

Prints one JSON result line (see common.emit).  Events/s are end to end: from the first
call until flush() returned with nothing left.  Call latency is timed around each call in
the first producer thread.  A full queue is retried after 20 us, as bench_client.c does.
"""
import argparse
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

import ruddercore  # noqa: E402

QUEUE_EVENTS = 200000  # the same bound bench_client.c sets


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("events", type=int)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--flush-at", type=int)
    ap.add_argument("--destination", action="store_true")
    a = ap.parse_args()
    settings = {"max_internal_queue_size": QUEUE_EVENTS}
    if a.flush_at:
        settings["flush_at"] = a.flush_at

    if a.destination:
        config = common.load_walker_config(os.path.join(os.path.dirname(__file__), "walkeros_config.json"))
        config["settings"].update({"writeKey": "bench-key", "dataPlaneUrl": a.url,
                                   "maxInternalQueueSize": QUEUE_EVENTS})
        if a.flush_at:
            config["settings"]["flushAt"] = a.flush_at
        handle = ruddercore.Destination(config)
        call = handle.push
        label = "ruddercore Python Destination.push"

    else:
        handle = ruddercore.Client("bench-key", a.url, **settings)
        call = handle.track
        label = "ruddercore Python Client.track"


    per_thread = a.events // a.threads
    retries = [0] * a.threads
    latencies = []

    if a.destination:
        events = [(ev,) for ev in common.pool(common.walker_event)]
    else:
        events = [(uid, name, props, ctx, None, aid)
                  for uid, aid, name, props, ctx in common.pool(common.event_fields)]
    mask = common.POOL_SIZE - 1

    def work(t):
        now = common.now
        lat = latencies if t == 0 else None
        start = t * per_thread
        for i in range(start, start + per_thread):
            args = events[i & mask]
            t0 = now()  # like bench_client.c: the time includes queue-full retries
            while True:
                try:
                    call(*args)
                    break
                except ruddercore.QueueFullError:
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
    left = handle.flush(120.0)
    t_total = common.now() - t_start
    stats = handle.stats()
    handle.close()
    common.emit(label, per_thread * a.threads, t_total, t_calls, latencies,
                threads=a.threads, flushAt=a.flush_at or "default", left=left,
                queueFullRetries=sum(retries), failedEvents=stats.get("failedEvents"),
                droppedEvents=stats.get("droppedEvents"))
    return 0 if left == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
