"""What every host app shares: the client, one tracked event per request or task, and the
record of each messageId whose track() call returned (one file per process, appended), which
the host tests compare with what the data plane received.

Configured by environment (set by the tests): RUDDER_HOST_URL (the data plane stand-in),
RUDDER_HOST_RECORD (a directory), RUDDER_HOST_WRITE_KEY."""
import os

import ruddercore

URL = os.environ["RUDDER_HOST_URL"]
RECORD_DIR = os.environ["RUDDER_HOST_RECORD"]
WRITE_KEY = os.environ["RUDDER_HOST_WRITE_KEY"]

client = None


def make_client():
    """The client as an app would create it: batches of 20, the rest by the interval or at exit."""
    global client
    client = ruddercore.Client(WRITE_KEY, URL, flush_at=20, flush_interval=30000)
    return client


def record(kind, message_id):
    # one short O_APPEND write per id: whole lines even with threads
    with open(os.path.join(RECORD_DIR, "%s-%d.ids" % (kind.lower(), os.getpid())), "a") as f:
        f.write(message_id + "\n")


def track(kind, **properties):
    """Tracks one event and records its messageId once the call has returned."""
    message_id = client.track("user-%d" % os.getpid(), kind, dict(properties, pid=os.getpid()))
    record(kind, message_id)
    return message_id
