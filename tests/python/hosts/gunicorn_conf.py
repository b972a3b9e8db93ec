"""gunicorn settings for the host tests: without --preload the client is created after fork."""
import os

import tracking

graceful_timeout = 20


def post_fork(server, worker):
    if os.environ.get("RUDDER_HOST_CREATE") == "post_fork":
        tracking.make_client()
