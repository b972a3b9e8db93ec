"""A WSGI app that tracks one event per request (gunicorn and uWSGI host tests).

RUDDER_HOST_CREATE=import: the client is created at import and the master tracks one event
("master") before any fork: with gunicorn --preload or uWSGI without --lazy-apps it is
still queued in the master when the workers are forked, and must arrive once.
RUDDER_HOST_CREATE=post_fork: the host's post-fork hook calls tracking.make_client().
RUDDER_HOST_CREATE=worker_import: each worker imports the app (uWSGI --lazy-apps) and creates
its client then; nothing runs in the master."""
import os

import tracking

CREATE = os.environ.get("RUDDER_HOST_CREATE")
if CREATE in ("import", "worker_import"):
    tracking.make_client()
if CREATE == "import":
    tracking.track("master")


def application(environ, start_response):
    message_id = tracking.track("request", path=environ.get("PATH_INFO", ""))
    body = ("%d %s\n" % (os.getpid(), message_id)).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
