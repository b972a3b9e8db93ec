"""Drop-in for rudder-sdk-python (``rudderstack.analytics``), sending through the native engine.

    import ruddercore.analytics as rudder_analytics
    rudder_analytics.write_key = "WRITE_KEY"
    rudder_analytics.dataPlaneUrl = "https://hosted.rudderlabs.com"
    rudder_analytics.track("user-id", "Event")
    rudder_analytics.flush()

The same submodules (client, consumer, request, utils, version) and names as rudder-sdk-python
2.1.9.  The module-level calls go to ``default_client``, whatever it is (a Client, a mock, your
own object); the first call creates a Client from the settings below when it is None.
What "drop-in" covers and what it does not: docs/PYTHON.md, "Migrating from rudder-sdk-python".
"""
from typing import Any, Optional

from .client import Client
from .version import VERSION

__version__ = VERSION

"""Settings."""
write_key: Optional[str] = Client.DefaultConfig.write_key
dataPlaneUrl: Optional[str] = None
host: Optional[str] = Client.DefaultConfig.host
on_error: Any = Client.DefaultConfig.on_error
debug = Client.DefaultConfig.debug
send = Client.DefaultConfig.send
sync_mode = Client.DefaultConfig.sync_mode
max_queue_size = Client.DefaultConfig.max_queue_size
gzip = Client.DefaultConfig.gzip
timeout = Client.DefaultConfig.timeout
upload_interval = Client.DefaultConfig.upload_interval
upload_size = Client.DefaultConfig.upload_size
max_retries = Client.DefaultConfig.max_retries

default_client: Any = None


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
    _proxy("flush")


def join():
    """Block program until the client clears the queue"""
    _proxy("join")


def shutdown():
    """Flush all messages and cleanly shutdown the client"""
    _proxy("shutdown")


def _proxy(method, *args, **kwargs):
    """Create an analytics client if one doesn't exist and send to it."""
    global default_client
    # a Client ended by shutdown() is replaced (the peer's would queue events it never sends);
    # any other object, a mock included, is used as it is
    if not default_client or getattr(default_client, "closed", False) is True:
        url = dataPlaneUrl if isinstance(dataPlaneUrl, str) and dataPlaneUrl != "" else host
        default_client = Client(write_key, host=url, debug=debug, max_queue_size=max_queue_size,
                                send=send, on_error=on_error, gzip=gzip, max_retries=max_retries,
                                sync_mode=sync_mode, timeout=timeout, upload_size=upload_size,
                                upload_interval=upload_interval)
    getattr(default_client, method)(*args, **kwargs)
