"""Pool processes that end with os._exit() (no atexit) still deliver what they queued:
multiprocessing's pool children run only multiprocessing's finalizers before os._exit (Celery's
prefork pool, which runs only its worker_process_shutdown signal, is in test_hosts_celery.py)."""
import subprocess
import sys

from conftest import WRITE_KEY

POOL_SCRIPT = r"""
import multiprocessing, sys, ruddercore
client = None

def init(url):
    global client   # far from flushAt and flushInterval: only the child's exit sends
    client = ruddercore.Client("%s", url, flush_at=10000, flush_interval=600000)

def task(i):
    return client.track("pool-user", "Pool Task", {"i": i})

if __name__ == "__main__":
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2, initializer=init, initargs=(sys.argv[1],), maxtasksperchild=5) as pool:
        ids = pool.map(task, range(40), chunksize=1)
        pool.close()
        pool.join()
    print("\n".join(ids))
""" % WRITE_KEY


def test_multiprocessing_pool_children_deliver_at_exit(dataplane, tmp_path):
    script = tmp_path / "pool.py"
    script.write_text(POOL_SCRIPT)
    r = subprocess.run([sys.executable, str(script), dataplane.url], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    ids = r.stdout.split()
    assert len(set(ids)) == 40
    events = dataplane.wait_events(40, timeout=30)
    assert sorted(e["messageId"] for e in events) == sorted(ids)
    assert dataplane.stats()["duplicates"] == 0
