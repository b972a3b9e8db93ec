"""rudder-sdk-python's consumer (rudderstack.analytics.consumer): what sends a Client's queue.

In rudder-sdk-python it is a Python thread draining a queue.Queue; here it is the native
engine's sender (a ruddercore._core.Client), which batches, gzips, retries and reports failures
to on_error.  The Consumer keeps the peer's attributes (retries, timeout, proxies, ...) and
lifecycle (start, pause, join, is_alive); it has no next()/upload()/request() to drive by hand.
"""
from typing import Any, Callable, Mapping, Optional

from .. import _core
from . import _engine
from .request import post  # noqa: F401  (rudderstack.analytics.consumer.post exists)

# The limits (the peer's are 4 MiB each): a larger message is refused (Client raises
# RuntimeError), and a request stops growing at BATCH_SIZE_LIMIT bytes.
MAX_MSG_SIZE = _engine.MAX_EVENT_BYTES
BATCH_SIZE_LIMIT = _engine.MAX_REQUEST_BYTES


class Consumer:
    """The native sender of one Client."""

    def __init__(self, queue: Any, write_key: str, upload_size: int = 100,
                 host: Optional[str] = None, on_error: Optional[Callable[..., Any]] = None,
                 upload_interval: float = 0.5, gzip: bool = True, retries: int = 10,
                 timeout: float = 15, proxies: Any = None, max_queue_size: int = 10000,
                 debug: bool = False):
        self.queue = queue
        self.write_key = write_key
        self.upload_size = upload_size
        self.upload_interval = upload_interval
        self.host = host
        self.on_error = on_error
        self.gzip = gzip
        self.retries = retries
        self.timeout = timeout
        self.proxies = proxies
        self.max_queue_size = max_queue_size
        self.debug = debug
        self.running = True
        self.daemon = True
        self._sender: Optional[_core.Client] = None

    def _start_sender(self, **overrides: Any) -> _core.Client:
        settings = _engine.settings(
            self.write_key, self.host, gzip=self.gzip, timeout=self.timeout, proxies=self.proxies,
            max_retries=self.retries, max_queue_size=self.max_queue_size,
            upload_size=self.upload_size, upload_interval=self.upload_interval, debug=self.debug,
            on_error=self.on_error)
        self._sender = _core.Client(**{**settings, **overrides})
        return self._sender

    def start(self) -> None:
        """Starts sending in the background (the peer starts its thread)."""
        if self._sender is None:
            self._start_sender()

    def put(self, msg: Mapping[str, Any]) -> str:
        """Queues msg; raises the engine's QueueFullError/ClosedError when not accepted.
        Never started (the client was made with send=False): the events are held and go
        out only on flush, as the peer's queue fills without a running consumer."""
        sender = self._sender
        if sender is None:
            sender = self._start_sender(flush_at=20000, flush_interval=86400000, close_timeout=0)
        return _engine.send(sender, msg)

    def pending(self) -> int:
        """Events accepted and not yet delivered or failed."""
        return 0 if self._sender is None or self._sender.closed else len(self._sender)

    def flush(self, timeout: float) -> None:
        """Sends what is queued, waiting up to timeout seconds; failures reach on_error."""
        if self._sender is not None and not self._sender.closed:
            self._sender.flush(timeout)

    def pause(self) -> None:
        """Stops taking new batches once join() ends the sender."""
        self.running = False

    def join(self, timeout: Optional[float] = None) -> None:
        """Ends the sender: delivers what is queued for up to timeout seconds (None: the
        client's flush timeout), then stops."""
        self.running = False
        if self._sender is not None:
            self._sender.close(timeout)

    def is_alive(self) -> bool:
        return self.running and self._sender is not None and not self._sender.closed
