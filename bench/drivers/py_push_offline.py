#!/usr/bin/env python3
"""Destination.push from Python with the network off: the benchmark's walkerOS events and
config (drivers/walkeros_config.json), nothing sent.  For bench/push_instructions.sh,
which counts the instructions of each push under callgrind.  With --track: Client.track
of the benchmark's plain event (common.event_fields) instead.

    py_push_offline.py [EVENTS] [--track]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

import ruddercore  # noqa: E402


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    # nothing is sent: the port is never contacted (flushAt/flushInterval out of reach)
    offline = {"maxInternalQueueSize": n + 100, "maxInternalQueueBytes": (n + 100) * 2048,
               "flushAt": 20000, "flushInterval": 86400000, "logLevel": "off"}
    mask = common.POOL_SIZE - 1
    if "--track" in sys.argv:
        client = ruddercore.Client("bench-key", "http://127.0.0.1:9", max_internal_queue_size=n + 100,
                                   max_internal_queue_bytes=(n + 100) * 2048, flush_at=20000,
                                   flush_interval=86400000, log_level="off")
        events = [(uid, name, props, ctx, None, aid)
                  for uid, aid, name, props, ctx in common.pool(common.event_fields)]
        track = client.track
        for i in range(n):
            track(*events[i & mask])
        client.close(0)
        return
    config = common.load_walker_config(os.path.join(os.path.dirname(__file__), "walkeros_config.json"))
    config["settings"].update({"writeKey": "bench-key", "dataPlaneUrl": "http://127.0.0.1:9", **offline})
    dest = ruddercore.Destination(config)
    events = common.pool(common.walker_event)
    push = dest.push
    for i in range(n):
        push(events[i & mask])
    dest.close(0)


if __name__ == "__main__":
    main()
