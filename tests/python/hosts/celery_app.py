"""A Celery app whose task tracks one event (the Celery host test).  Broker: RUDDER_HOST_BROKER.

RUDDER_HOST_CREATE=import: the client is created at import, in the worker's main process,
which tracks one event ("master") before it forks its prefork pool.
RUDDER_HOST_CREATE=post_fork: each pool process creates its client in worker_process_init."""
import os

from celery import Celery
from celery.signals import worker_process_init

import tracking

app = Celery("celery_app", broker=os.environ["RUDDER_HOST_BROKER"])
app.conf.update(broker_connection_retry_on_startup=True, worker_prefetch_multiplier=1,
                task_ignore_result=True, worker_hijack_root_logger=False)

CREATE = os.environ.get("RUDDER_HOST_CREATE")
if CREATE == "import":
    tracking.make_client()
    tracking.track("master")


@worker_process_init.connect
def make_client_in_pool_process(**_):
    if CREATE == "post_fork":
        tracking.make_client()


@app.task
def track_task(i):
    return tracking.track("task", i=i)
