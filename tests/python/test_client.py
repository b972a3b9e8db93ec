"""ruddercore.Client: the six calls with rudder-sdk-python's parameters, settings, flush,
poll, close, stats, len, context manager, and every error class."""
import datetime
import pickle

import pytest

import ruddercore
from conftest import WRITE_KEY


def by_id(events):
    return {e["messageId"]: e for e in events}


def test_six_calls_reach_the_data_plane(make_client, dataplane):
    c = make_client()
    ts = datetime.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=datetime.timezone.utc)
    ids = [
        c.track("u1", "Order Completed", {"revenue": 42.5}, {"ip": "1.2.3.4"}, ts,
                None, {"All": True}, "m-track"),
        c.identify("u1", {"email": "a@b.c"}),
        c.group("u1", "g1", {"plan": "pro"}),
        c.page("u1", "Docs", "Install", {"path": "/install"}),
        c.screen(anonymous_id="anon-1", name="Home"),
        c.alias("anon-1", "u1"),
    ]
    assert ids[0] == "m-track"
    assert all(isinstance(i, str) and i for i in ids)
    assert c.flush(30) == 0
    got = by_id(dataplane.wait_events(6))
    assert set(got) == set(ids)
    t = got["m-track"]
    assert (t["type"], t["userId"], t["event"]) == ("track", "u1", "Order Completed")
    assert t["properties"] == {"revenue": 42.5}
    assert t["context"]["ip"] == "1.2.3.4"
    assert t["timestamp"].startswith("2026-01-02T03:04:05.678")
    assert t["integrations"] == {"All": True}
    assert t["context"]["library"]["name"] == "ruddercore"
    assert got[ids[1]]["traits"] == {"email": "a@b.c"}
    assert got[ids[2]]["groupId"] == "g1"
    assert (got[ids[3]]["category"], got[ids[3]]["name"]) == ("Docs", "Install")
    assert got[ids[4]]["type"] == "screen" and got[ids[4]]["anonymousId"] == "anon-1"
    assert (got[ids[5]]["previousId"], got[ids[5]]["userId"]) == ("anon-1", "u1")


def test_keyword_names_match_rudder_sdk_python(make_client, dataplane):
    c = make_client()
    c.track(user_id="u", event="E", properties={}, context={}, timestamp=None,
            anonymous_id="a", integrations={}, message_id="k1")
    c.identify(user_id="u", traits={}, context={}, timestamp=None, anonymous_id=None,
               integrations=None, message_id="k2")
    c.group(user_id="u", group_id="g", traits={}, context=None, timestamp=None,
            anonymous_id=None, integrations=None, message_id="k3")
    c.page(user_id="u", category="c", name="n", properties={}, context=None, timestamp=None,
           anonymous_id=None, integrations=None, message_id="k4")
    c.screen(user_id="u", category="c", name="n", properties={}, message_id="k5")
    c.alias(previous_id="p", user_id="u", context=None, timestamp=None, integrations=None,
            message_id="k6")
    assert c.flush(30) == 0
    assert set(by_id(dataplane.wait_events(6))) == {"k1", "k2", "k3", "k4", "k5", "k6"}


def test_bad_arguments_are_type_errors(make_client):
    c = make_client()
    with pytest.raises(TypeError, match="unexpected keyword argument 'userId'"):
        c.track(userId="u", event="E")
    with pytest.raises(TypeError, match="multiple values"):
        c.track("u", user_id="u")
    with pytest.raises(TypeError, match="at most 8 positional"):
        c.track(*range(9))


@pytest.mark.parametrize("call, code", [
    (lambda c: c.track(None, "E"), "RUDDER_ERR_MISSING_IDENTITY"),
    (lambda c: c.track("u", None), "RUDDER_ERR_MISSING_EVENT"),
    (lambda c: c.track("u", ""), "RUDDER_ERR_MISSING_EVENT"),
    (lambda c: c.group("u", None), "RUDDER_ERR_MISSING_GROUP_ID"),
    (lambda c: c.alias("p", None), "RUDDER_ERR_MISSING_USER_ID"),
    (lambda c: c.alias(None, "u"), "RUDDER_ERR_MISSING_PREVIOUS_ID"),
    (lambda c: c.track("u", "E", [1, 2]), "RUDDER_ERR_FIELD_NOT_OBJECT"),
    (lambda c: c.identify("u", "traits"), "RUDDER_ERR_FIELD_NOT_OBJECT"),
    (lambda c: c.track("u", "E", {"x": "y" * 40000}), "RUDDER_ERR_TOO_LARGE"),
])
def test_invalid_messages(make_client, call, code):
    c = make_client()
    with pytest.raises(ruddercore.InvalidMessageError) as ei:
        call(c)
    e = ei.value
    assert isinstance(e, ruddercore.Error) and isinstance(e, ValueError)
    assert e.name == code
    assert e.code < 0 and ruddercore.err_name(e.code) == code
    assert str(e)
    assert len(c) == 0
    assert c.stats()["rejected"] == 1


def test_nesting_counts_from_the_message(make_client, dataplane):
    # the message object is the first of the core's 64 levels: a value 63 deep is sent,
    # one level more is refused, naming where
    def nested(levels):
        v = 1
        for _ in range(levels):
            v = {"x": v}
        return v

    c = make_client()
    mid = c.track("u", "Deep", nested(63))
    with pytest.raises(ValueError, match=r"deeper than 64 levels at properties(\.x)+"):
        c.track("u", "Deeper", nested(64))
    assert len(c) == 1
    assert c.flush(30) == 0
    (got,) = dataplane.wait_events(1)
    assert got["messageId"] == mid and got["event"] == "Deep"


def test_queue_full(dataplane):
    dataplane.control(delayMs=60000)  # nothing gets out while we fill the queue
    c = ruddercore.Client(WRITE_KEY, dataplane.url, max_internal_queue_size=5, flush_interval=60000,
                          flush_at=1000)
    try:
        for i in range(5):
            c.track("u", "E%d" % i)
        with pytest.raises(ruddercore.QueueFullError) as ei:
            c.track("u", "overflow")
        assert ei.value.name == "RUDDER_ERR_QUEUE_FULL"
        assert len(c) == 5
    finally:
        dataplane.control()
        c.close(10)


def test_closed_client(make_client, dataplane):
    c = make_client()
    c.track("u", "before close")
    assert not c.closed
    assert c.close(10) == 0
    assert c.closed
    assert c.close() == 0          # idempotent
    with pytest.raises(ruddercore.ClosedError) as ei:
        c.track("u", "after close")
    assert ei.value.name == "RUDDER_ERR_CLOSED"
    with pytest.raises(ruddercore.ClosedError):
        c.flush()
    assert c.poll() == 0
    assert dataplane.wait_events(1)[0]["event"] == "before close"


@pytest.mark.parametrize("settings, needle", [
    ({"flush_at": 0}, "flushAt"),
    ({"flush_at": "many"}, "flushAt"),
    ({"no_such_setting": 1}, "no_such_setting"),
    ({"log_level": "loud"}, "logLevel"),
    ({"gzip": [1]}, "gzip"),
])
def test_config_errors_name_the_setting(dataplane, settings, needle):
    with pytest.raises(ruddercore.ConfigError) as ei:
        ruddercore.Client(WRITE_KEY, dataplane.url, **settings)
    assert ei.value.name in ("RUDDER_ERR_CONFIG", "RUDDER_ERR_INVALID_ARG")
    assert needle in str(ei.value)
    assert WRITE_KEY not in str(ei.value)


def test_missing_data_plane_url_is_a_config_error():
    with pytest.raises(ruddercore.ConfigError, match="dataPlaneUrl"):
        ruddercore.Client(WRITE_KEY, None)
    with pytest.raises(TypeError):
        ruddercore.Client(None, "http://127.0.0.1:1")


def test_every_setting_in_the_property_table_is_accepted(dataplane):
    """snake_case keywords map generically onto the core's table: default values go back in."""
    values = {}
    for p in ruddercore.properties():
        if p["scope"] != "client" or p["snake_name"] in ("write_key", "data_plane_url"):
            continue
        if p["default"] in (None, ""):
            continue
        v = p["default"]
        if p["type"] == "int":
            v = int(v)
        elif p["type"] == "bool":
            v = v == "true"
        values[p["snake_name"]] = v
    assert {"flush_at", "flush_interval", "max_queue_size", "max_internal_queue_size",
            "retry_count", "gzip", "enable", "log_level"} <= set(values)
    with ruddercore.Client(WRITE_KEY, dataplane.url, **values) as c:
        assert c.stats()["accepted"] == 0


def test_enable_false_sends_nothing(dataplane):
    with ruddercore.Client(WRITE_KEY, dataplane.url, enable=False) as c:
        c.track("u", "E")
        assert c.flush(5) == 0
    assert dataplane.stats()["events"] == 0


def test_context_manager_len_stats(dataplane):
    with ruddercore.Client(WRITE_KEY, dataplane.url, flush_interval=60000, flush_at=1000) as c:
        assert bool(c) and len(c) == 0
        for i in range(7):
            c.track("u", "E", {"i": i})
        assert len(c) == 7
        s = c.stats()
        assert isinstance(s, dict) and s["accepted"] == 7
    assert c.closed
    assert len(dataplane.wait_events(7)) == 7


def test_flush_with_timeout_reports_what_is_left(dataplane):
    dataplane.control(delayMs=1500)
    c = ruddercore.Client(WRITE_KEY, dataplane.url, request_timeout=60000)
    try:
        c.track("u", "slow")
        left = c.flush(0.05)
        assert left == 1 and len(c) == 1
        assert c.flush() == 0
    finally:
        dataplane.control()
        c.close(10)


def test_poll_timeout_waits_then_returns_zero(make_client):
    c = make_client()
    assert c.poll() == 0
    assert c.poll(0.05) == 0
    with pytest.raises(ValueError):
        c.poll(-1)


def test_errors_are_picklable_and_carry_codes():
    e = ruddercore.QueueFullError(-20, "full")
    e2 = pickle.loads(pickle.dumps(e))
    assert (type(e2), e2.code, e2.name, e2.message) == (ruddercore.QueueFullError, -20,
                                                         "RUDDER_ERR_QUEUE_FULL", "full")
    assert issubclass(ruddercore.TimeoutError, TimeoutError)
    assert issubclass(ruddercore.ConfigError, ruddercore.Error)
    for cls in (ruddercore.InvalidMessageError, ruddercore.QueueFullError, ruddercore.ClosedError,
                ruddercore.TimeoutError, ruddercore.ConfigError, ruddercore.DeliveryError):
        assert issubclass(cls, ruddercore.Error)


def test_version_is_the_core_version():
    assert ruddercore.__version__ == ruddercore.version()
    assert ruddercore.__version__.count(".") == 2


def test_library_context_names_the_binding(make_client, dataplane):
    c = make_client()
    c.track("u", "E", context={"library": {"name": "mine"}})
    c.flush(30)
    lib = dataplane.wait_events(1)[0]["context"]["library"]
    assert lib["name"] == "ruddercore" and lib["version"] == ruddercore.__version__
    assert "ruddercore-python" in lib.values()
