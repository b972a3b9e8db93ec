"""pytest plugin for rudder-sdk-python's own tests (loaded by tests/peer/run.py).

It maps ``rudderstack.analytics`` and its submodules to ``ruddercore.analytics`` (the peer's
code is never installed nor extracted: only its tests are), starts the local data plane
stand-in on 127.0.0.1 as the peer's default host (its Client reads TEST_DATA_PLANE_URL), and
skips the tests below, which read or drive the peer's own internals rather than what a user of
the package observes.  The run fails if an entry matches no test (the list stays honest), if
the mapping did not hold, or if no event reached the data plane (the native engine did not
send).
"""
import importlib.abc
import importlib.machinery
import importlib.metadata
import os
import sys
import types

import pytest

PEER_TESTS = os.environ.get("RUDDER_PEER_TESTS", "")   # the extracted rudderstack/analytics/test
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "python"))
from conftest import DataPlane  # noqa: E402  (tests/python/conftest.py)

# Keys the peer's tests use that a data plane accepts; 'bad_key' must be refused (401).
WRITE_KEYS = ("test-init", "test-key", "testsecret")

SESSION = "patches the peer's requests.Session (request._session); ruddercore sends with libcurl"
CONSUMER = "drives the peer's Python consumer thread by hand; ruddercore's sender is native"
NOT_APPLICABLE = {
    # whole files
    "test_package_build.py": "runs the peer repository's setup.py (packaging of rudder-sdk-python)",
    "test_release_validation.py": "reads the peer repository's .github release workflow (not in the sdist)",
    "test_request_options.py": SESSION + "; proxy and timeout: tests/python/test_analytics_package.py",
    # single tests
    "test_public_api_contract.py::TestPublicApiContract::test_client_returns_false_and_message_when_queue_is_full":
        "takes an event back out of the peer's queue.Queue (get_nowait/put_nowait); a full queue "
        "returning (False, msg) is covered by test_module_returns_none_when_queue_accepts_or_rejects_event",
    "test_client.py::TestClient::test_user_defined_upload_size": CONSUMER + " (pause, join, upload())",
    "test_consumer.py::TestConsumer::test_next": CONSUMER + " (next())",
    "test_consumer.py::TestConsumer::test_next_limit": CONSUMER + " (next())",
    "test_consumer.py::TestConsumer::test_dropping_oversize_msg": CONSUMER + " (next())",
    "test_consumer.py::TestConsumer::test_upload": CONSUMER + " (upload() with consumer.post patched)",
    "test_consumer.py::TestConsumer::test_upload_interval": CONSUMER + " (consumer.post patched)",
    "test_consumer.py::TestConsumer::test_multiple_uploads_per_interval": CONSUMER + " (consumer.post patched)",
    "test_consumer.py::TestConsumer::test_request": CONSUMER + " (request() with consumer.post patched)",
    "test_consumer.py::TestConsumer::test_request_retry": CONSUMER + " (its backoff retries)",
    "test_consumer.py::TestConsumer::test_max_batch_size": CONSUMER + " (" + SESSION + ")",
    "test_consumer.py::TestConsumer::test_proxies": CONSUMER + " (" + SESSION + ")",
    "test_request.py::TestRequests::test_valid_request": SESSION,
    "test_request.py::TestRequests::test_json_error_response": SESSION,
    "test_request.py::TestRequests::test_non_json_error_response": SESSION,
    "test_request.py::TestRequests::test_request_error_is_propagated": SESSION,
    "test_request.py::TestRequests::test_connection_error_is_propagated": SESSION,
    "test_request.py::TestRequests::test_should_not_timeout": SESSION,
    "test_request.py::TestRequests::test_should_timeout": SESSION,
    "test_request.py::TestRequests::test_passes_proxy_and_timeout_to_session": SESSION,
}

_dataplane = None
_used = set()


class PeerTestsFinder(importlib.abc.MetaPathFinder):
    """Finds the package rudderstack.analytics.test in the extracted tests (rudderstack.analytics
    itself is ruddercore.analytics, whose folder does not hold them)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "rudderstack.analytics.test":
            return None
        return importlib.machinery.PathFinder.find_spec(fullname, [os.path.dirname(PEER_TESTS)])


def _map_rudderstack_to_ruddercore():
    import ruddercore.analytics as ours
    from ruddercore.analytics import client, consumer, request, utils, version  # noqa: F401
    namespace = types.ModuleType("rudderstack")
    namespace.__path__ = []
    namespace.analytics = ours
    sys.modules["rudderstack"] = namespace
    sys.modules["rudderstack.analytics"] = ours
    for name in ("client", "consumer", "request", "utils", "version"):
        sys.modules["rudderstack.analytics." + name] = getattr(ours, name)
    sys.meta_path.insert(0, PeerTestsFinder())


def pytest_configure(config):
    global _dataplane
    try:
        importlib.metadata.distribution("rudder-sdk-python")
        raise pytest.UsageError("rudder-sdk-python is installed in this venv: the run would test "
                                "the peer, not ruddercore; uninstall it")
    except importlib.metadata.PackageNotFoundError:
        pass
    if not os.path.isdir(PEER_TESTS):
        raise pytest.UsageError("RUDDER_PEER_TESTS must name the extracted peer tests")
    _dataplane = DataPlane(*[arg for key in WRITE_KEYS for arg in ("--write-key", key)])
    # read by Client.DefaultConfig.host, as rudder-sdk-python reads it, when the module loads
    os.environ["TEST_DATA_PLANE_URL"] = _dataplane.url
    _map_rudderstack_to_ruddercore()


def pytest_ignore_collect(collection_path, config):
    """A file listed whole is not imported (test_release_validation.py reads the peer's
    version.py as it loads); the summary names it with its reason."""
    if collection_path.name in NOT_APPLICABLE:
        _used.add(collection_path.name)
        return True
    return None


def pytest_collection_modifyitems(session, config, items):
    for item in items:
        key = item.nodeid.split("rudderstack/analytics/test/", 1)[-1]
        for entry, reason in NOT_APPLICABLE.items():
            if key == entry or key.startswith(entry + "::") or key.startswith(entry + "["):
                _used.add(entry)
                item.add_marker(pytest.mark.skip(reason="not applicable: " + reason))


def pytest_sessionfinish(session, exitstatus):
    problems = []
    unused = sorted(set(NOT_APPLICABLE) - _used)
    if unused:
        problems.append("not-applicable entries that match no peer test: %s" % unused)
    import ruddercore.analytics
    if sys.modules.get("rudderstack.analytics") is not ruddercore.analytics:
        problems.append("rudderstack.analytics is not ruddercore.analytics")
    events = _dataplane.stats()["events"] if _dataplane else 0
    if events == 0:
        problems.append("no event reached the local data plane")
    session.config._peer_summary = (events, problems)
    if problems and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    import ruddercore.analytics
    events, problems = getattr(config, "_peer_summary", (0, ["the session did not finish"]))
    terminalreporter.write_line("rudderstack.analytics answered by %s; %d events reached the local "
                                "data plane" % (ruddercore.analytics.__file__, events))
    for entry in sorted(e for e in _used if "::" not in e):
        terminalreporter.write_line("not applicable, not collected: %s (%s)" % (entry, NOT_APPLICABLE[entry]))
    for p in problems:
        terminalreporter.write_line("PEER SUITE PROBLEM: " + p, red=True)


def pytest_unconfigure(config):
    if _dataplane is not None:
        _dataplane.stop()
