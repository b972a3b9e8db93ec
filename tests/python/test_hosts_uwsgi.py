"""uWSGI as users run it (built from PyPI into the test venv, started on 127.0.0.1):
--master --processes 4, with and without --lazy-apps, a loopback load loop, SIGHUP (graceful
reload) mid-load, then the graceful stop ('q' on the master FIFO; in uWSGI 2.0 SIGTERM is a
brutal reload and SIGINT/SIGQUIT kill at once).  Every event whose track() returned arrives
exactly once, no worker hangs.  Without --lazy-apps the app is imported in the master, which
tracks one event before forking: uWSGI's master never runs Python's atexit and re-executes
itself on a reload, so that event must be sent right after the fork — once, never by a worker."""
import os
import signal

import pytest

from hostrun import Host, LoadLoop, free_port, host_tool, record_dir, reload_and_stop_under_load  # noqa: F401
from conftest import wait_until


@pytest.mark.parametrize("lazy", [False, True], ids=["app-in-master", "lazy-apps"])
def test_uwsgi_reload_and_stop_under_load(dataplane, record_dir, lazy):
    port = free_port()
    fifo = os.path.join(record_dir, "master.fifo")
    argv = [host_tool("uwsgi"), "--master", "--processes", "4", "--http-socket", "127.0.0.1:%d" % port,
            "--wsgi-file", "wsgi_app.py", "--need-app", "--master-fifo", fifo, "--disable-logging"]
    if lazy:
        argv.append("--lazy-apps")
    # with --lazy-apps each worker imports the app, so the client is made after the fork
    host = Host(argv, dataplane, "worker_import" if lazy else "import", record_dir)

    def graceful_stop():
        with open(fifo, "w") as f:
            f.write("q")

    def reloaded():
        # uWSGI itself can hang when a graceful stop arrives while --lazy-apps workers are still
        # loading the app after a reload (seen without ruddercore too): stop once all are up
        def up():
            after = host.text().rsplit("(RE)spawned uWSGI master", 1)[-1]
            return after.count("spawned uWSGI worker") >= 4 and (not lazy or after.count(") ready in ") >= 4)
        wait_until(up, 60, "uWSGI's four new workers to be ready")

    try:
        reload_and_stop_under_load(host, dataplane, port, lambda: host.signal(signal.SIGHUP), graceful_stop,
                                   master_event=not lazy, reloaded=reloaded)
    finally:
        host.close()


def test_uwsgi_skip_atexit_is_named_in_a_warning(dataplane, record_dir):
    """--skip-atexit stops workers from closing their clients: the import warns, naming it."""
    port = free_port()
    fifo = os.path.join(record_dir, "master.fifo")
    argv = [host_tool("uwsgi"), "--master", "--processes", "1", "--http-socket", "127.0.0.1:%d" % port,
            "--wsgi-file", "wsgi_app.py", "--need-app", "--master-fifo", fifo, "--skip-atexit"]
    host = Host(argv, dataplane, "import", record_dir)
    try:
        wait_until(lambda: "--skip-atexit" in host.text() and "ruddercore" in host.text(), 30,
                   "the skip-atexit warning in uWSGI's log")
        assert "RuntimeWarning" in host.text()
        load = LoadLoop(port, max_requests=1)   # stop once the worker serves (see reloaded above)
        load.run()
        assert load.answers, host.text()[-3000:]
        with open(fifo, "w") as f:
            f.write("q")
        host.wait_exit(30)
    finally:
        host.close()
