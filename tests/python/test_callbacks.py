"""on_delivery / on_error run inside poll/flush/close on the calling thread; an exception
raised in one is re-raised from that call; log lines go to the 'ruddercore' logger."""
import logging
import threading

import pytest

import ruddercore
from conftest import WRITE_KEY, wait_until


def test_on_delivery_runs_on_the_flushing_thread(make_client, dataplane):
    seen = []
    c = make_client(on_delivery=lambda ids: seen.append((threading.get_ident(), list(ids))))
    ids = [c.track("u", "E%d" % i) for i in range(5)]
    assert c.flush(30) == 0
    assert sorted(i for _, batch in seen for i in batch) == sorted(ids)
    assert {t for t, _ in seen} == {threading.get_ident()}


def test_on_error_gets_the_error_and_the_events(dataplane):
    dataplane.control(status=400)
    failures = []
    c = ruddercore.Client(WRITE_KEY, dataplane.url, flush_interval=50,
                          on_error=lambda e, events: failures.append((e, events)))
    try:
        mid = c.track("u", "Rejected", {"k": 1})
        assert c.flush(30) == 0
        assert len(failures) == 1
        err, events = failures[0]
        assert isinstance(err, ruddercore.DeliveryError)
        assert err.name == "RUDDER_ERR_HTTP" and err.http_status == 400 and err.count == 1
        assert err.message_ids == [mid]
        assert [e["messageId"] for e in events] == [mid]
        assert events[0]["properties"] == {"k": 1}
        assert c.stats()["failedEvents"] == 1
    finally:
        dataplane.control()
        c.close(5)


def test_exception_in_on_delivery_is_raised_from_flush(make_client, dataplane):
    calls = []

    def boom(ids):
        calls.append(ids)
        raise RuntimeError("callback failed")

    c = make_client(on_delivery=boom)
    c.track("u", "E")
    with pytest.raises(RuntimeError, match="callback failed"):
        c.flush(30)
    assert calls
    # the client keeps working and the next flush does not raise again
    c.track("u", "E2")
    with pytest.raises(RuntimeError):
        c.flush(30)
    assert dataplane.wait_events(2)


def test_exception_in_on_error_is_raised_from_poll(dataplane):
    dataplane.control(status=400)

    def boom(e, events):
        raise KeyError("from on_error")

    c = ruddercore.Client(WRITE_KEY, dataplane.url, flush_interval=20, on_error=boom)
    try:
        c.track("u", "E")

        def polled():
            try:
                c.poll(0.1)
            except KeyError as e:
                return e
            return None

        err = wait_until(polled, 30, "the on_error exception from poll()")
        assert "from on_error" in str(err)
    finally:
        dataplane.control()
        c.close(5)


def test_exception_in_callback_during_close_is_raised_from_close(dataplane):
    def boom(ids):
        raise ValueError("during close")

    c = ruddercore.Client(WRITE_KEY, dataplane.url, flush_interval=60000, flush_at=1000, on_delivery=boom)
    c.track("u", "E")
    with pytest.raises(ValueError, match="during close"):
        c.close(30)
    assert c.closed
    assert dataplane.wait_events(1)


def test_callbacks_must_be_callable(dataplane):
    with pytest.raises(TypeError, match="on_error"):
        ruddercore.Client(WRITE_KEY, dataplane.url, on_error=42)


def test_log_lines_go_to_python_logging(dataplane, caplog):
    dataplane.control(status=503, count=1)
    with caplog.at_level(logging.DEBUG, logger="ruddercore"):
        c = ruddercore.Client(WRITE_KEY, dataplane.url, flush_interval=20, log_level="debug",
                              retry_base_delay=1)
        c.track("u", "E")
        assert c.flush(30) == 0
        c.close(5)
    assert any(r.name == "ruddercore" for r in caplog.records)


def test_track_from_a_callback_works_flush_does_not(dataplane):
    outcome = []
    holder = {}

    def on_delivery(ids):
        if not outcome:
            c = holder["c"]
            outcome.append(c.track("u", "From Callback"))
            try:
                c.flush()
            except ruddercore.Error as e:
                outcome.append(e.name)

    c = ruddercore.Client(WRITE_KEY, dataplane.url, flush_interval=20, on_delivery=on_delivery)
    holder["c"] = c
    try:
        c.track("u", "First")
        assert c.flush(30) == 0
        assert c.flush(30) == 0
        assert outcome[1] == "RUDDER_ERR_IN_CALLBACK"
        names = [e["event"] for e in dataplane.wait_events(2)]
        assert sorted(names) == ["First", "From Callback"]
    finally:
        c.close(5)


def test_poll_none_waits_for_a_report(make_client):
    got = []
    c = make_client(on_delivery=got.extend)
    mid = c.track("u", "E")
    served = 0
    while mid not in got:
        served += c.poll(None)
    assert served >= 1
