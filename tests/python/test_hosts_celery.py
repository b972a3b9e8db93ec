"""Celery as users run it (installed from PyPI): a worker with the prefork pool on a Redis
broker (a redis-server started on 127.0.0.1), tasks that track one event each, pool
processes replaced every 25 tasks (--max-tasks-per-child), then a warm shutdown (SIGTERM)
while tasks are still queued.  Every event whose track() returned arrives exactly once, no
pool process hangs, and the event the main process queued before forking is sent once."""
import signal

import pytest

from hostrun import Host, assert_exactly_once, host_tool, pid_alive, record_dir, wait_master_event_sent  # noqa: F401
from conftest import wait_until
from test_persistence_redis import Redis

TASKS = 200


@pytest.fixture(scope="module")
def broker():
    r = Redis()
    yield "redis://127.0.0.1:%d/0" % r.port
    r.stop()


@pytest.mark.parametrize("create", ["import", "post_fork"], ids=["client-at-import", "worker_process_init"])
def test_celery_prefork_warm_shutdown(dataplane, record_dir, broker, create):
    from celery import Celery
    producer = Celery("producer", broker=broker)
    argv = [host_tool("celery"), "-A", "celery_app", "worker", "--pool", "prefork", "--concurrency", "2",
            "--max-tasks-per-child", "25", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
            "--without-heartbeat", "-n", "rudder-test-%s@127.0.0.1" % create]
    host = Host(argv, dataplane, create, record_dir, extra_env={"RUDDER_HOST_BROKER": broker})
    try:
        producer.connection_for_write().ensure_connection(max_retries=3)
        for i in range(TASKS):
            producer.send_task("celery_app.track_task", args=[i])
        if create == "import":
            wait_master_event_sent(host, dataplane)
        wait_until(lambda: sum(host.recorded("task").values()) >= TASKS // 2, 120, "half the tasks to run")
        host.signal(signal.SIGTERM)        # warm shutdown: running tasks finish, queued ones stay
        status = host.wait_exit(60)
        assert status == 0, host.text()[-3000:]
        assert not [p for p in host.pids() if pid_alive(p)], "a pool process outlived the worker"
        delivered = assert_exactly_once(host, dataplane)
        tasks = host.recorded("task")
        assert TASKS // 2 <= len(tasks) <= TASKS and set(tasks) <= delivered
        assert len(host.pids() - {host.proc.pid}) > 2, "pool processes were replaced"
        assert bool(host.recorded("master")) == (create == "import")
    finally:
        host.close()
        producer.connection_for_write().default_channel.client.flushdb()
