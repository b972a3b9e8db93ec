"""Shared by the Python drivers: the benchmark event, per-call timing and the result line.

The event is the one bench/bench_client.c sends (same ids, name, ten properties with a
nested object and an array, same context), so every contender ships the same payload.
"""
import json
import sys
import time

def event_fields(i):
    """(userId, anonymousId, event name, properties, context) of event number i."""
    props = {
        "product_id": "sku-%05d" % (i % 5000),
        "name": "Everyday Ruck Snack", "price": 42.5, "currency": "USD",
        "quantity": i % 9 + 1, "category": "Backpacks", "brand": "Acme", "variant": "black",
        "position": 3, "dimensions": {"w": 30, "h": 45}, "tags": ["new", "sale", "outdoor"],
    }
    return ("user-%06d" % (i % 100000), "anon-%06d" % (i % 100000), "Product Viewed", props,
            {"ip": "203.0.113.7", "locale": "en-US"})


def walker_event(i):
    """The same event as a walkerOS event (entity product, action view)."""
    return {
        "name": "product view", "entity": "product", "action": "view",
        "data": {
            "id": "sku-%05d" % (i % 5000), "name": "Everyday Ruck Snack", "price": 42.5,
            "currency": "USD", "quantity": i % 9 + 1, "category": "Backpacks", "brand": "Acme",
            "variant": "black", "position": 3, "dimensions": {"w": 30, "h": 45},
            "tags": ["new", "sale", "outdoor"],
        },
        "user": {"id": "user-%06d" % (i % 100000), "session": "anon-%06d" % (i % 100000)},
        "consent": {"functional": True}, "timestamp": 1764000000000 + i, "trigger": "load",
        "source": {"type": "server", "schema": "4"},
    }


POOL_SIZE = 1024  # distinct events built before the clock starts, then cycled


def pool(make):
    """POOL_SIZE events from make(i), built once: the timed loop measures the SDK, not the
    host language building dicts (every SDK copies what it is given, so reuse is safe)."""
    return [make(i) for i in range(POOL_SIZE)]


def load_walker_config(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


now = time.perf_counter


def percentile(sorted_values, q):
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * q))]


def emit(contender, events, seconds, call_seconds, latencies, **extra):
    lat = sorted(latencies)
    line = {
        "contender": contender, "events": events, "seconds": round(seconds, 4),
        "eventsPerSec": round(events / seconds) if seconds > 0 else 0,
        "callSeconds": round(call_seconds, 4),
        "callMedianUs": round(percentile(lat, 0.5) * 1e6, 3),
        "callP99Us": round(percentile(lat, 0.99) * 1e6, 3),
        "callMaxUs": round((lat[-1] if lat else 0) * 1e6, 1),
    }
    line.update(extra)
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()
