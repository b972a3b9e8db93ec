"""Client.create_persistence_queue: the Node SDK's createPersistenceQueue for users porting
code.  A real redis-server is started on a free 127.0.0.1 port and stopped by pid; a missing
redis-server fails loudly (CI installs it)."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile

import pytest

import ruddercore
from conftest import WRITE_KEY, wait_until


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    def __init__(self):
        if not shutil.which("redis-server"):
            pytest.fail("redis-server is not installed (CI installs it: scripts/install-deps.sh)")
        self.port = _free_port()
        self.dir = tempfile.mkdtemp(prefix="rudder-redis-py-")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: self.cli("PING") == "PONG", 10, "redis-server to answer")

    def cli(self, *args):
        r = subprocess.run(["redis-cli", "-p", str(self.port), "--raw", *args], capture_output=True, text=True)
        return r.stdout.strip()

    def raw(self, *args):
        return subprocess.run(["redis-cli", "-p", str(self.port), "--raw", *args], capture_output=True).stdout

    def keys(self):
        out = self.cli("KEYS", "*")
        return [k for k in out.splitlines() if k]

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def redis():
    r = Redis()
    yield r
    r.stop()


def _require_hiredis(client, redis):
    """This module was built with hiredis (setup.py finds it with pkg-config)."""
    try:
        client.create_persistence_queue("redis://127.0.0.1:%d" % redis.port)
    except ruddercore.ConfigError as e:
        if "libhiredis-dev" in str(e):
            pytest.fail("ruddercore._core was built without hiredis: %s" % e)
        raise


def test_events_go_through_redis_with_the_node_sdk_options(dataplane, redis):
    delivered = []
    c = ruddercore.Client(WRITE_KEY, dataplane.url, flush_at=20, flush_interval=50,
                          on_delivery=lambda ids: delivered.extend(ids))
    try:
        c.create_persistence_queue({
            "queueName": "pyQueue",
            "isMultiProcessor": False,
            "redisOpts": {"host": "127.0.0.1", "port": redis.port, "db": 0},
            "jobOpts": {"maxAttempts": 3},
        })
        ids = [c.track("user-%d" % i, "Order Completed", {"i": i}) for i in range(200)]
        assert c.flush(20) == 0  # everything is in Redis
        events = dataplane.wait_events(200)
        assert sorted(e["messageId"] for e in events) == sorted(ids)
        assert [e["properties"]["i"] for e in events] == list(range(200))
        # callbacks survive the switch: the processor's reports reach on_delivery
        wait_until(lambda: c.poll(0.05) >= 0 and len(delivered) >= 200, 20, "on_delivery for 200 events")
        assert sorted(delivered) == sorted(ids)
        wait_until(lambda: not [k for k in redis.keys() if ":b:" in k], 10, "delivered batches deleted")
        assert all(k.startswith("{rudder}:pyQueue:") for k in redis.keys())
        for k in redis.keys():
            assert WRITE_KEY.encode() not in redis.raw("DUMP", k)
    finally:
        c.close(5)


def test_snake_case_options_and_a_url_work_too(dataplane, redis):
    c = ruddercore.Client(WRITE_KEY, dataplane.url, flush_interval=50)
    try:
        _require_hiredis(c, redis)
    finally:
        c.close(5)
    c = ruddercore.Client(WRITE_KEY, dataplane.url, flush_interval=50)
    try:
        c.create_persistence_queue({"port": redis.port, "queue_name": "snake", "max_attempts": 2})
        c.track("u", "E")
        assert c.flush(20) == 0
        dataplane.wait_events(1)
    finally:
        c.close(5)


def test_after_the_first_call_it_is_refused(dataplane, redis):
    c = ruddercore.Client(WRITE_KEY, dataplane.url)
    try:
        c.track("u", "E")
        with pytest.raises(ruddercore.ConfigError, match="already accepted calls"):
            c.create_persistence_queue({"port": redis.port})
    finally:
        c.close(5)


def test_unreachable_redis_is_an_error_to_retry_with_backoff(dataplane):
    c = ruddercore.Client(WRITE_KEY, dataplane.url)
    try:
        with pytest.raises(ruddercore.ConfigError, match="cannot connect to Redis at 127.0.0.1:1") as e:
            c.create_persistence_queue({"redisOpts": {"host": "127.0.0.1", "port": 1, "password": "pw-secret"}})
        assert "pw-secret" not in str(e.value)
        with pytest.raises(ruddercore.ConfigError, match="persistence.redisOpts.port"):
            c.create_persistence_queue({"redisOpts": {"port": "6379"}})
        with pytest.raises(TypeError):
            c.create_persistence_queue(42)
        # the client still works without persistence after a failed attempt
        c.track("u", "E")
        assert c.flush(10) == 0
    finally:
        c.close(5)
