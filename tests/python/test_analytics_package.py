"""ruddercore.analytics as a package: rudder-sdk-python's submodules and what a user of them
observes where the peer's own tests only look at its internals (tests/peer/peer_plugin.py lists
those): post() and its errors, proxies, bounded flush, sync_mode, delegation to any
default_client."""
from http.server import BaseHTTPRequestHandler, HTTPServer
import gzip
import json
import threading
from unittest import mock

import pytest

import ruddercore.analytics as analytics
from ruddercore.analytics import client as client_module, consumer, request, utils, version
from ruddercore.analytics.client import Client
from ruddercore.analytics.request import APIError, post
from conftest import WRITE_KEY


@pytest.fixture
def module_settings():
    """Restores the module's settings and default_client after a test."""
    names = ("write_key", "dataPlaneUrl", "host", "default_client", "sync_mode", "send")
    saved = {k: getattr(analytics, k) for k in names}
    yield analytics
    if isinstance(analytics.default_client, Client):
        analytics.default_client.shutdown()
    for k, v in saved.items():
        setattr(analytics, k, v)


def test_submodules_have_the_peers_names():
    for module, names in ((client_module, ("Client", "require", "stringify_id", "ID_TYPES", "CHANNEL")),
                          (consumer, ("Consumer", "MAX_MSG_SIZE", "BATCH_SIZE_LIMIT", "post")),
                          (request, ("post", "APIError", "DatetimeSerializer")),
                          (utils, ("clean", "guess_timezone", "is_naive", "remove_trailing_slash")),
                          (version, ("VERSION",))):
        for name in names:
            assert hasattr(module, name), (module.__name__, name)
    assert analytics.Client is Client and analytics.__version__ == version.VERSION


def test_any_default_client_gets_every_call(module_settings):
    class Recorder:   # neither a ruddercore client nor a mock: no 'closed', no queue
        def __init__(self):
            self.calls = []

        def __getattr__(self, name):
            return lambda *a, **kw: self.calls.append((name, a, kw))

    rec = Recorder()
    analytics.default_client = rec
    assert analytics.track("u", "E", message_id="m") is None
    analytics.flush()
    analytics.join()
    analytics.shutdown()
    assert [c[0] for c in rec.calls] == ["track", "flush", "join", "shutdown"]
    assert rec.calls[0] == ("track", ("u", "E"), {"message_id": "m"})

    m = mock.Mock()   # a Mock's .closed is truthy: it must still be used, not replaced
    analytics.default_client = m
    analytics.identify("u", {"a": 1})
    analytics.flush()
    assert analytics.default_client is m
    m.identify.assert_called_once_with("u", {"a": 1})
    m.flush.assert_called_once_with()


def test_flush_on_a_fresh_module_makes_the_client(module_settings, dataplane):
    analytics.default_client = None
    analytics.write_key = WRITE_KEY
    analytics.dataPlaneUrl = dataplane.url
    analytics.flush()
    c = analytics.default_client
    assert isinstance(c, Client)
    assert (c.write_key, c.host, c.gzip, c.sync_mode, c.timeout, c.queue.maxsize) == \
        (WRITE_KEY, dataplane.url, True, False, 15, 10000)


def test_missing_write_key_is_an_assertion_error(module_settings):
    analytics.default_client = None
    analytics.write_key = None
    with pytest.raises(AssertionError, match="write_key"):
        analytics.track("u", "E")
    with pytest.raises(AssertionError):
        Client()


def test_client_returns_the_message_the_engine_sends(dataplane):
    c = Client(WRITE_KEY, host=dataplane.url, upload_interval=0.05)
    ok, msg = c.track("u", "Bought", {"price": 3}, message_id="mid-1")
    c.shutdown()
    assert ok is True and msg["messageId"] == "mid-1"
    [sent] = dataplane.wait_events(1)
    assert (sent["messageId"], sent["event"], sent["properties"], sent["timestamp"]) == \
        ("mid-1", "Bought", {"price": 3}, msg["timestamp"])
    assert sent["context"]["library"]["name"] == "ruddercore"   # the engine says who sent it
    assert c.queue.empty() and not c.consumers[0].is_alive()


def test_a_refused_batch_reaches_on_error_as_api_error(dataplane):
    errors = []
    c = Client("bad_key", host=dataplane.url, on_error=lambda e, batch: errors.append((e, batch)))
    c.track("u", "E")
    c.shutdown()
    assert len(errors) == 1
    error, batch = errors[0]
    assert isinstance(error, APIError) and error.status == 401
    assert batch[0]["event"] == "E"


def test_post_sends_now_and_raises_api_error_when_refused(dataplane):
    ok, msg = Client(WRITE_KEY, send=False).track("u", "Posted")
    assert post(WRITE_KEY, host=dataplane.url, batch=[msg]).status_code == 200
    assert dataplane.stats()["events"] == 1
    dataplane.control(status=400)
    with pytest.raises(APIError) as raised:
        post(WRITE_KEY, host=dataplane.url, timeout=5, batch=[msg])
    assert raised.value.status == 400


def test_sync_mode_delivers_before_returning_and_raises_when_refused(dataplane):
    c = Client(WRITE_KEY, host=dataplane.url, sync_mode=True)
    assert c.consumers is None
    assert c.track("u", "Sync")[0] is True
    assert dataplane.stats()["events"] == 1
    dataplane.control(status=400)
    with pytest.raises(APIError):
        c.track("u", "Refused")


def test_flush_is_bounded_against_an_unreachable_host():
    c = Client(WRITE_KEY, host="http://127.0.0.1:1", max_retries=10, timeout=1)
    c.flush_timeout = 0.5
    c.track("u", "Never Delivered")
    c.flush()   # returns with the event still being retried, not after ten backoffs
    assert not c.queue.empty()
    c.consumers[0].join(0)


def test_proxies_route_the_engine_through_a_proxy():
    received = []

    class Proxy(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            received.append((self.path, json.loads(body)))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Proxy)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        address = "127.0.0.1:%d" % server.server_port
        for proxies in (address, "http://" + address, {"http": "http://" + address}):
            c = Client(WRITE_KEY, host="http://data.example", proxies=proxies)
            c.track("u", "Via Proxy")
            c.shutdown()
            path, payload = received[-1]
            assert path == "http://data.example/v1/batch"
            assert payload["batch"][0]["event"] == "Via Proxy"
        assert len(received) == 3
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()
