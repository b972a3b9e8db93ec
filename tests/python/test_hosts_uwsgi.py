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

from hostrun import Host, free_port, host_tool, record_dir, reload_and_stop_under_load  # noqa: F401


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

    try:
        reload_and_stop_under_load(host, dataplane, port, lambda: host.signal(signal.SIGHUP), graceful_stop,
                                   master_event=not lazy)
    finally:
        host.close()
