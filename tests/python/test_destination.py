"""ruddercore.Destination: the walkerOS destination config as dict or JSON text, push,
push_many, map, command, Python mapping callbacks, and the shared conformance vectors
(destination cases, walkerOS dedup mode) through Destination.map."""
import datetime
import decimal
import json
import os
import uuid

import pytest

import ruddercore
from conftest import ROOT, WRITE_KEY

VECTORS = os.path.join(ROOT, "tests", "conformance", "walkeros-mapping.json")


def walker_event(name="order complete", **extra):
    entity, action = name.split(" ", 1)
    ev = {
        "name": name, "entity": entity, "action": action,
        "data": {"id": "o-1", "total": 25.5, "email": "a@example.com"},
        "user": {"id": "u1", "session": "s1"},
        "consent": {"functional": True},
        "id": "0000000000000abc", "trigger": "test", "timestamp": 1700000000000,
        "timing": 1.5, "source": {"type": "collector", "schema": "4"},
    }
    ev.update(extra)
    return ev


def config(url, mapping=None, **settings):
    return {"settings": {"writeKey": WRITE_KEY, "dataPlaneUrl": url, **settings},
            "mapping": mapping or {}}


# ---- conformance ------------------------------------------------------------------------

def destination_cases():
    with open(VECTORS, encoding="utf-8") as f:
        cases = json.load(f)["cases"]
    return [c for c in cases if c["kind"] == "destination"]


@pytest.mark.parametrize("case", destination_cases(), ids=lambda c: c["name"])
def test_conformance_vector(case):
    cfg = dict(case.get("config") or {})
    cfg["settings"] = {**case["settings"], "dedup": "walkeros"}
    cfg["mapping"] = case["mapping"]
    with ruddercore.Destination(cfg, flush_interval=600000) as dest:
        for cmd, data in (case.get("collector") or {}).items():
            dest.command(cmd, data)
        calls = []
        for ev in case["events"]:
            if "walker_command" in ev:
                dest.command(ev["walker_command"], ev.get("data"))
                continue
            try:
                calls.extend(dest.map(ev))
            except ruddercore.Error:
                pass   # walkerOS: a failing push makes no calls
        assert calls == case["expected_calls"]
        dest.close(0)


# ---- push to the data plane ------------------------------------------------------------------

def test_push_reaches_the_data_plane(dataplane):
    mapping = {"order": {"complete": {"name": "Order Completed",
                                      "data": {"map": {"revenue": "data.total", "order_id": "data.id"}}}}}
    with ruddercore.Destination(config(dataplane.url, mapping), flush_interval=50) as dest:
        assert dest.push(walker_event()) is None
        assert dest.flush(30) == 0
        st = dest.stats()
        assert isinstance(st, dict)
    ev = dataplane.wait_events(1)[0]
    assert ev["type"] == "track" and ev["event"] == "Order Completed"
    assert ev["userId"] == "u1" and ev["anonymousId"] == "s1"
    assert ev["properties"] == {"revenue": 25.5, "order_id": "o-1"}
    assert "ruddercore-python" in ev["context"]["library"].values()


def test_config_as_json_text_and_settings_as_keywords(dataplane):
    text = json.dumps({"settings": {"writeKey": WRITE_KEY}, "mapping": {}})
    with ruddercore.Destination(text, data_plane_url=dataplane.url, flush_interval=50) as dest:
        dest.push(json.dumps(walker_event("page view")))
        assert dest.flush(30) == 0
        assert len(dest) == 0
    assert dataplane.wait_events(1)[0]["event"] == "page view"


def test_push_many_reports_each_event(dataplane):
    with ruddercore.Destination(config(dataplane.url), flush_interval=50) as dest:
        results = dest.push_many([walker_event(), "not an event", walker_event("page view")])
        assert [r["ok"] for r in results] == [True, False, True]
        assert results[1]["code"].startswith("RUDDER_ERR_")
        ndjson = "\n".join(json.dumps(walker_event("a b", id=str(i))) for i in range(3))
        assert all(r["ok"] for r in dest.push_many(ndjson))
        assert dest.flush(30) == 0
    assert len(dataplane.wait_events(5)) == 5


def test_bad_event_names_the_problem(dataplane):
    with ruddercore.Destination(config(dataplane.url)) as dest:
        with pytest.raises(ruddercore.InvalidMessageError) as ei:
            dest.push([1, 2])
        assert ei.value.code < 0
        with pytest.raises(TypeError, match="event.data.x"):
            dest.push(walker_event(data={"x": object()}))
        with pytest.raises(ruddercore.InvalidMessageError):
            dest.push("{not json")


# ---- events as Python values: built straight into the core's tree, no JSON text between ----

ODD_VALUES = {
    "big": 2**70, "neg": -5, "zero": 0, "negzero": -0.0, "tenth": 0.1, "one": 1.0, "huge": 1e300,
    "dec": decimal.Decimal("1.10"), "uuid": uuid.UUID(int=1), "day": datetime.date(2024, 1, 2),
    "when": datetime.datetime(2024, 1, 2, 3, 4, 5, 678, tzinfo=datetime.timezone.utc),
    "text": 'quote " backslash \\ newline \n tab \t \u00e9 \U0001F600', "empty": "",
    "list": [1, "a", True, False, [], {}], "tuple": (1, 2),
    "nested": {"a": {"b": [{"c": 1}]}}, 7: "an int key", "": "an empty key",
    123456789: decimal.Decimal("12345.678"),   # an int key's text must outlive its value's conversion
}


def test_python_event_maps_exactly_as_its_json_text(dataplane):
    """push/map of a dict skip JSON text; what the core sees must not change."""
    mapping = {"product": {"view": {"name": "Product Viewed", "data": {"map": {
        "all": "data", "big": "data.big", "text": "data.text", "first": "data.list.0",
        'qu"o\nte': "data.text"}}}}}
    ev = walker_event("product view", data=ODD_VALUES)
    with ruddercore.Destination(config(dataplane.url, mapping)) as dest:
        from_values = dest.map(ev)
        from_text = dest.map(ruddercore.to_json(ev))
    assert from_values == from_text
    props = from_values[0][1]["properties"]
    assert props["big"] == 2**70 and props["text"] == ODD_VALUES["text"] and props["first"] == 1
    assert props['qu"o\nte'] == ODD_VALUES["text"]   # a mapping key that JSON must escape
    assert props["all"]["dec"] == decimal.Decimal("1.10") or props["all"]["dec"] == 1.1
    assert props["all"]["when"] == "2024-01-02T03:04:05.000678+00:00"
    assert props["all"]["123456789"] == 12345.678


def test_python_event_reaches_the_data_plane_unchanged(dataplane):
    mapping = {"product": {"view": {"data": {"map": {"all": "data", 'k"\x01': "data.text"}}}}}
    with ruddercore.Destination(config(dataplane.url, mapping), flush_interval=50) as dest:
        dest.push(walker_event("product view", data=ODD_VALUES))
        assert dest.flush(30) == 0
    props = dataplane.wait_events(1)[0]["properties"]
    assert props['k"\x01'] == ODD_VALUES["text"]
    got = props["all"]
    assert got["big"] == 2**70 and got["tenth"] == 0.1 and got["one"] == 1.0
    assert got["text"] == ODD_VALUES["text"] and got["list"] == [1, "a", True, False, [], {}]
    assert got["tuple"] == [1, 2] and got["7"] == "an int key" and got[""] == "an empty key"
    assert got["uuid"] == str(uuid.UUID(int=1)) and got["day"] == "2024-01-02"


def test_python_event_limits_name_the_path_and_count_as_invalid(dataplane):
    with ruddercore.Destination(config(dataplane.url)) as dest:
        deep = cur = {}
        for _ in range(40):
            cur["x"] = {}
            cur = cur["x"]
        with pytest.raises(ruddercore.Error, match=r"deeper than 32 levels at event\.data(\.x)+") as ei:
            dest.push(walker_event(data=deep))
        assert ei.value.code < 0
        with pytest.raises(ruddercore.InvalidMessageError, match=r"NUL.*at event\.data\.s"):
            dest.push(walker_event(data={"s": "a\x00b"}))
        with pytest.raises(ruddercore.Error, match="bytes of JSON"):
            dest.push(walker_event(data={"s": "x" * (1 << 20)}))
        # the limit counts the JSON text the event would be: 400 KB of small ints fit,
        # 300 KB of control characters (1.8 MB escaped) do not
        assert dest.map(walker_event(data={"l": [1] * 200000}))[0][0] == "track"
        with pytest.raises(ruddercore.Error, match="bytes of JSON"):
            dest.push(walker_event(data={"s": "\x01" * 300000}))
        with pytest.raises(TypeError, match="event.data.x"):
            dest.map(walker_event(data={"x": object()}))
        assert dest.stats()["invalid"] == 4
        dest.push(walker_event())   # the destination goes on
        assert dest.flush(30) == 0
    assert len(dataplane.wait_events(1)) == 1


def test_bad_config_is_a_config_error(dataplane):
    with pytest.raises(ruddercore.ConfigError):
        ruddercore.Destination({"settings": {"writeKey": WRITE_KEY, "dataPlaneUrl": dataplane.url,
                                             "flushAt": -5}})
    with pytest.raises(ruddercore.ConfigError):
        ruddercore.Destination("{not json")


def test_unknown_fn_is_a_config_error(dataplane):
    mapping = {"order": {"complete": {"data": {"map": {"x": {"fn": "$fn:nobody"}}}}}}
    with pytest.raises(ruddercore.ConfigError):
        ruddercore.Destination(config(dataplane.url, mapping))


def test_python_mapping_callbacks(dataplane):
    seen = []

    def double_total(value, context):
        seen.append((value["name"], sorted(context)))
        return value["data"]["total"] * 2

    mapping = {"order": {"complete": {"name": "Order Completed", "data": {"map": {
        "doubled": {"fn": "$fn:double_total"},
        "email": {"key": "data.email", "validate": "$fn:has_at"},
        "bad_email": {"key": "data.id", "validate": "$fn:has_at"},
        "coupon": {"key": "data.id", "condition": "$fn:is_big"},
        "broken": {"fn": "$fn:raises"},
    }}}}}

    def raises(value, context):
        raise RuntimeError("mapping callback failure")

    fns = {
        "double_total": double_total,
        "has_at": lambda v, ctx: isinstance(v, str) and "@" in v,
        "is_big": lambda v, ctx: v["data"]["total"] > 100,
        "raises": raises,
    }
    with ruddercore.Destination(config(dataplane.url, mapping), fns=fns, flush_interval=50) as dest:
        calls = dest.map(walker_event())
        assert calls[-1][0] == "track"
        props = calls[-1][1]["properties"]
        assert props == {"doubled": 51.0, "email": "a@example.com"}
        assert seen and seen[0][0] == "Order Completed"  # the rule name applies before data
        assert {"event", "mapping", "consent"} <= set(seen[0][1])
        dest.push(walker_event())
        assert dest.flush(30) == 0
    assert dataplane.wait_events(1)[0]["properties"] == {"doubled": 51.0, "email": "a@example.com"}


def test_fns_must_be_callables(dataplane):
    with pytest.raises(TypeError):
        ruddercore.Destination(config(dataplane.url), fns={"x": 1})
    with pytest.raises(TypeError):
        ruddercore.Destination(config(dataplane.url), fns=[("x", print)])


def test_closed_destination(dataplane):
    dest = ruddercore.Destination(config(dataplane.url))
    assert dest.close(5) == 0 and dest.closed
    with pytest.raises(ruddercore.ClosedError):
        dest.push(walker_event())


def test_destination_callbacks_and_consent_command(dataplane):
    delivered = []
    cfg = config(dataplane.url)
    cfg["consent"] = {"marketing": True}
    with ruddercore.Destination(cfg, flush_interval=50, on_delivery=delivered.extend) as dest:
        dest.push(walker_event(consent={}))          # waits for consent
        assert dest.flush(30) == 0 and not delivered
        dest.command("consent", {"marketing": True})  # releases it
        assert dest.flush(30) == 0
        assert len(delivered) == 1
    assert len(dataplane.wait_events(1)) == 1


def test_rule_condition_callback_selects_the_rule(dataplane):
    mapping = {"order": {"complete": [
        {"condition": "$fn:high_value", "name": "High Value Order"},
        {"name": "Order Completed"},
    ]}}
    fns = {"high_value": lambda event, ctx: event["data"]["total"] > 100}
    with ruddercore.Destination(config(dataplane.url, mapping), fns=fns, dedup="walkeros") as dest:
        big = dest.map(walker_event(data={"total": 500}))
        small = dest.map(walker_event(data={"total": 5}))
    assert big[-1][1]["event"] == "High Value Order"
    assert small[-1][1]["event"] == "Order Completed"


def test_many_threads_push_to_one_destination(dataplane):
    import threading
    with ruddercore.Destination(config(dataplane.url), flush_interval=20) as dest:
        def work(t):
            for i in range(300):
                dest.push(walker_event(id="%d-%d" % (t, i)))

        threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert dest.flush(60) == 0
    st = dataplane.stats()
    assert st["unique"] == 1200 and st["duplicates"] == 0


def test_destination_in_a_reference_cycle_is_collected(dataplane):
    import gc
    import weakref
    holder = {}
    mapping = {"order": {"complete": {"data": {"map": {"x": {"fn": "$fn:self_ref"}}}}}}
    dest = ruddercore.Destination(config(dataplane.url, mapping),
                                  fns={"self_ref": lambda v, ctx: holder["dest"] is not None})
    holder["dest"] = dest
    holder["cycle"] = holder
    assert dest.map(walker_event())[-1][1]["properties"] == {"x": True}
    ref = weakref.ref(dest)
    del dest, holder
    gc.collect()
    assert ref() is None
