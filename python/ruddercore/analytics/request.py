"""rudder-sdk-python's request module (rudderstack.analytics.request): post() sends one batch
now and raises if it was refused; here the native engine sends it (one attempt, the peer's
consumer does the retrying, and ruddercore's sender does it for the Client)."""
from datetime import date, datetime
from gzip import GzipFile
from io import BytesIO
import json
from typing import Any, List, Optional

from .. import _core
from . import _engine

ERR_TIMEOUT = -22   # RUDDER_ERR_TIMEOUT in core/include/ruddercore.h


class APIError(Exception):
    """The data plane refused a batch: .status (HTTP), .code and .message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(status, code, message)
        self.message = message
        self.status = status
        self.code = code

    def __str__(self) -> str:
        return "[rudderstack] {0}: {1} ({2})".format(self.code, self.message, self.status)


class Response:
    """What post() returns once the data plane accepted the batch."""

    def __init__(self, status_code: int):
        self.status_code = status_code


def post(write_key: str, host: Optional[str] = None, gzip: bool = True, timeout: float = 15,
         proxies: Any = None, **kwargs: Any) -> Response:
    """Sends kwargs['batch'] (messages built as Client builds them) in one attempt, waiting up
    to timeout seconds; raises APIError if the data plane refused it, or the engine's
    DeliveryError/TimeoutError if it could not be reached in time."""
    failures: List[Exception] = []
    sender = _core.Client(**_engine.settings(
        write_key, host, gzip=gzip, timeout=timeout, proxies=proxies, max_retries=0,
        upload_size=20000, upload_interval=86400,
        on_error=lambda error, batch: failures.append(error)))
    try:
        for msg in kwargs.get("batch") or []:
            _engine.send(sender, msg)
        if sender.flush(timeout + 1):
            raise _core.TimeoutError(ERR_TIMEOUT, "post: batch not delivered within %ss" % timeout)
    finally:
        sender.close(0)
    if failures:
        raise failures[0]
    return Response(200)


def _gzip_json(data: str) -> bytes:
    """data (JSON text) gzipped, as the peer sends request bodies."""
    buf = BytesIO()
    with GzipFile(fileobj=buf, mode="w") as gz:
        gz.write(data.encode("utf-8"))
    return buf.getvalue()


class DatetimeSerializer(json.JSONEncoder):
    """json.dumps(..., cls=DatetimeSerializer) writes dates and datetimes as ISO 8601."""

    def default(self, o: Any) -> Any:
        if isinstance(o, (date, datetime)):
            return o.isoformat()
        return json.JSONEncoder.default(self, o)
