"""ruddercore: send RudderStack events from Python through a native C core.

    import ruddercore
    with ruddercore.Client(WRITE_KEY, DATA_PLANE_URL, flush_at=50) as client:
        client.track("user-1", "Order Completed", {"revenue": 42})

The module-level drop-in for rudder-sdk-python is ``ruddercore.analytics``.
"""
import atexit as _atexit

from ._core import (
    Client,
    ClosedError,
    ConfigError,
    DeliveryError,
    Destination,
    Error,
    InvalidMessageError,
    QueueFullError,
    TimeoutError,
    __version__,
    err_name,
    from_json,
    properties,
    to_json,
    version,
)
from . import _core, _exit_hooks

__all__ = [
    "Client",
    "Destination",
    "Error",
    "InvalidMessageError",
    "QueueFullError",
    "ClosedError",
    "TimeoutError",
    "ConfigError",
    "DeliveryError",
    "err_name",
    "from_json",
    "properties",
    "to_json",
    "version",
    "__version__",
]

# Events accepted before a normal interpreter exit are delivered: every open client is
# closed with its close_timeout setting (bounded) at exit, and in the pool processes that
# end without atexit (Celery prefork, multiprocessing) from the hook those hosts do run.
_atexit.register(_core._close_all)
_exit_hooks.install()
