"""ruddercore.analytics: the module-level drop-in for rudder-sdk-python's rudderstack.analytics."""
import inspect

import pytest

import ruddercore
import ruddercore.analytics as rudder_analytics
from conftest import WRITE_KEY, run_python


@pytest.fixture
def analytics(dataplane):
    saved = {k: getattr(rudder_analytics, k) for k in ("write_key", "dataPlaneUrl", "host", "on_error",
                                                       "sync_mode", "send", "upload_interval")}
    rudder_analytics.write_key = WRITE_KEY
    rudder_analytics.dataPlaneUrl = dataplane.url
    rudder_analytics.upload_interval = 0.05
    yield rudder_analytics
    rudder_analytics.shutdown()
    rudder_analytics.default_client = None
    for k, v in saved.items():
        setattr(rudder_analytics, k, v)


def test_same_names_as_rudder_sdk_python():
    for name in ("write_key", "dataPlaneUrl", "host", "on_error", "debug", "send", "sync_mode",
                 "max_queue_size", "gzip", "timeout", "upload_interval", "upload_size", "max_retries",
                 "default_client", "track", "identify", "group", "alias", "page", "screen", "flush",
                 "join", "shutdown"):
        assert hasattr(rudder_analytics, name), name
    for fn in ("track", "identify", "group", "alias", "page", "screen"):
        params = list(inspect.signature(getattr(rudder_analytics, fn)).parameters.values())
        assert [p.kind for p in params] == [inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD]
    for fn in ("flush", "join", "shutdown"):
        assert not inspect.signature(getattr(rudder_analytics, fn)).parameters


def test_module_api_delivers(analytics, dataplane):
    assert analytics.track("user-id", "Event", {"k": "v"}) is None
    assert analytics.identify("user-id", {"email": "a@b.c"}) is None
    assert analytics.group("user-id", "group-id", {"plan": "pro"}) is None
    assert analytics.page("user-id", "Docs", "Install") is None
    assert analytics.screen("user-id", "App", "Home") is None
    assert analytics.alias("anon-id", "user-id") is None
    assert isinstance(analytics.default_client, rudder_analytics.client.Client)
    assert analytics.flush() is None
    events = dataplane.wait_events(6)
    assert [e["type"] for e in events] == ["track", "identify", "group", "page", "screen", "alias"]
    assert events[0]["properties"] == {"k": "v"}
    assert analytics.shutdown() is None
    assert analytics.default_client.closed
    # a call after shutdown starts a new client, as rudder-sdk-python keeps working
    analytics.track("user-id", "After Shutdown")
    analytics.flush()
    assert dataplane.wait_events(7)[-1]["event"] == "After Shutdown"


def test_host_is_used_when_data_plane_url_is_empty(analytics, dataplane):
    analytics.dataPlaneUrl = None
    analytics.host = dataplane.url
    analytics.track("u", "Via Host")
    analytics.flush()
    assert dataplane.wait_events(1)[0]["event"] == "Via Host"


def test_errors_raise_like_rudder_sdk_python(analytics):
    with pytest.raises(AssertionError, match="user_id or anonymous_id"):
        analytics.track(None, "No User")


def test_on_error_module_setting(analytics, dataplane):
    failed = []
    analytics.on_error = lambda e, batch: failed.append((e, batch))
    dataplane.control(status=400)
    try:
        analytics.track("u", "Rejected")
        analytics.flush()
    finally:
        dataplane.control()
    assert len(failed) == 1 and failed[0][1][0]["event"] == "Rejected"


def test_send_false_sends_nothing(analytics, dataplane):
    analytics.send = False
    analytics.track("u", "Not Sent")
    analytics.flush()
    assert dataplane.stats()["events"] == 0


def test_sync_mode_delivers_before_returning(analytics, dataplane):
    analytics.sync_mode = True
    analytics.track("u", "Sync")
    assert dataplane.stats()["events"] == 1


def test_process_exit_delivers_module_api_events(dataplane):
    r = run_python(
        "import ruddercore.analytics as a\n"
        "a.write_key = %r\n"
        "a.dataPlaneUrl = %r\n"
        "for i in range(100): a.track('user-id', 'Exit', {'i': i})\n" % (WRITE_KEY, dataplane.url))
    assert r.returncode == 0, r.stderr
    assert dataplane.stats()["unique"] == 100
