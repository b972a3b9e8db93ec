"""gunicorn as users run it (installed from PyPI, started on 127.0.0.1): the client created at
import with --preload (before fork) or in the post_fork hook, sync and gthread workers, a
loopback load loop, SIGHUP (reload) mid-load, then SIGTERM (graceful stop).  Every event
whose track() returned arrives exactly once, no worker hangs, and the event the master
queued before forking is sent once (by the master, right after it forked), never by a worker."""
import signal

import pytest

from hostrun import Host, free_port, host_tool, record_dir, reload_and_stop_under_load  # noqa: F401


@pytest.mark.parametrize("worker", ["sync", "gthread"])
@pytest.mark.parametrize("create", ["import", "post_fork"], ids=["preload", "post_fork"])
def test_gunicorn_reload_and_stop_under_load(dataplane, record_dir, create, worker):
    port = free_port()
    argv = [host_tool("gunicorn"), "-c", "gunicorn_conf.py", "--bind", "127.0.0.1:%d" % port,
            "--workers", "2", "--worker-class", worker]
    if worker == "gthread":
        argv += ["--threads", "4"]
    if create == "import":
        argv.append("--preload")
    host = Host(argv + ["wsgi_app:application"], dataplane, create, record_dir)
    try:
        reload_and_stop_under_load(host, dataplane, port, lambda: host.signal(signal.SIGHUP),
                                   lambda: host.signal(signal.SIGTERM), master_event=create == "import")
        log = host.text()
        assert "WORKER TIMEOUT" not in log and "SIGKILL" not in log, log[-3000:]
    finally:
        host.close()
