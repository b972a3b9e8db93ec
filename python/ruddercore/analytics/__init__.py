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

# Module settings, read when the first call creates default_client (rudder-sdk-python's names).
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


def _module_call(method: str, doc: str):
    """A module-level function that forwards to default_client's method of the same name."""
    def call(*args, **kwargs):
        _proxy(method, *args, **kwargs)
    call.__name__ = call.__qualname__ = method
    call.__doc__ = doc
    return call


track = _module_call("track", "Queues a track call on default_client (created on first use).")
identify = _module_call("identify", "Queues an identify call on default_client (created on first use).")
group = _module_call("group", "Queues a group call on default_client (created on first use).")
alias = _module_call("alias", "Queues an alias call on default_client (created on first use).")
page = _module_call("page", "Queues a page call on default_client (created on first use).")
screen = _module_call("screen", "Queues a screen call on default_client (created on first use).")


def flush():
    """Sends what default_client holds; waits at most Client.flush_timeout."""
    _proxy("flush")


def join():
    """Sends what default_client holds and stops its sender (a bounded wait)."""
    _proxy("join")


def shutdown():
    """flush() then join() on default_client."""
    _proxy("shutdown")


def _proxy(method, *args, **kwargs):
    """Calls default_client.<method>, first creating a Client from the module settings when
    there is none (or ours was shut down)."""
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
