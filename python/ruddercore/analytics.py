"""Drop-in for rudder-sdk-python's module-level API (``rudderstack.analytics``).

    import ruddercore.analytics as rudder_analytics
    rudder_analytics.write_key = "WRITE_KEY"
    rudder_analytics.dataPlaneUrl = "https://hosted.rudderlabs.com"
    rudder_analytics.track("user-id", "Event")
    rudder_analytics.flush()

Same names, signatures and return values (None) as rudderstack.analytics.  The settings
below are read when the first call creates the shared client; rudder-sdk-python's names are
translated to the core's settings here (upload_size -> flush_at, ...).
"""
from typing import Any, Dict, Optional

from ._core import Client, __version__

"""Settings."""
write_key: Optional[str] = None
dataPlaneUrl: Optional[str] = None
host: Optional[str] = None
on_error: Any = None
debug = False
send = True
sync_mode = False
max_queue_size = 10000
gzip = True
timeout = 15
upload_interval = 0.5
upload_size = 100
max_retries = 10

default_client: Optional[Client] = None


def _settings() -> Dict[str, Any]:
    """rudder-sdk-python's module settings as the core's (snake_case) settings."""
    url = dataPlaneUrl if isinstance(dataPlaneUrl, str) and dataPlaneUrl != "" else host
    s: Dict[str, Any] = {
        "max_internal_queue_size": max_queue_size,
        "flush_at": upload_size,
        "flush_interval": max(10, int(upload_interval * 1000)),
        "retry_count": min(max_retries, 100),
        "gzip": gzip,
        "enable": bool(send),
        "request_timeout": max(100, int(timeout * 1000)),
    }
    if debug:
        s["log_level"] = "debug"
    if on_error is not None:
        s["on_error"] = on_error
    return {"write_key": write_key, "data_plane_url": url, **s}


def _client() -> Client:
    global default_client
    if default_client is None or default_client.closed:
        default_client = Client(**_settings())
    return default_client


def track(*args, **kwargs):
    """Send a track call."""
    _proxy("track", *args, **kwargs)


def identify(*args, **kwargs):
    """Send a identify call."""
    _proxy("identify", *args, **kwargs)


def group(*args, **kwargs):
    """Send a group call."""
    _proxy("group", *args, **kwargs)


def alias(*args, **kwargs):
    """Send a alias call."""
    _proxy("alias", *args, **kwargs)


def page(*args, **kwargs):
    """Send a page call."""
    _proxy("page", *args, **kwargs)


def screen(*args, **kwargs):
    """Send a screen call."""
    _proxy("screen", *args, **kwargs)


def flush():
    """Tell the client to flush."""
    if default_client is not None and not default_client.closed:
        default_client.flush()


def join():
    """Block program until the client clears the queue"""
    if default_client is not None and not default_client.closed:
        default_client.close(None)


def shutdown():
    """Flush all messages and cleanly shutdown the client"""
    flush()
    join()


def _proxy(method, *args, **kwargs):
    """Create an analytics client if one doesn't exist and send to it."""
    client = _client()
    getattr(client, method)(*args, **kwargs)
    if sync_mode:
        client.flush()
