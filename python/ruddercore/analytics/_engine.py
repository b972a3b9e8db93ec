"""The bridge from rudder-sdk-python's shapes to the native engine (ruddercore._core.Client).

rudder-sdk-python options become the core's settings here, a message dict the way the peer
builds it becomes one native call, and a native delivery error becomes the peer's APIError.
Used by the client's sender (consumer.py) and by the one-shot post() (request.py).
"""
from typing import Any, Callable, Dict, Mapping, Optional, Union

from .. import _core
from .utils import remove_trailing_slash

# rudder-sdk-python posts to this when no host is configured (request.post)
DEFAULT_HOST = "https://api.rudderstack.com"
# the core's largest request body, and single event in it (the peer allows 4 MiB for both)
MAX_REQUEST_BYTES = 4000000
MAX_EVENT_BYTES = MAX_REQUEST_BYTES - 64


def _clamp(value: float, low: int, high: int) -> int:
    return int(max(low, min(high, value)))


def proxy_url(proxies: Union[None, str, Mapping[str, str]], host: str) -> str:
    """The one proxy URL for host from the peer's `proxies` (a URL string, host:port, or a
    requests-style {scheme: url} mapping); "" for none."""
    if not proxies:
        return ""
    if isinstance(proxies, str):
        return proxies if "://" in proxies else "http://" + proxies
    scheme = "https" if host.startswith("https:") else "http"
    return proxies.get(scheme) or proxies.get("all") or ""


def settings(write_key: str, host: Optional[str], *, gzip: bool = True, timeout: float = 15,
             proxies: Any = None, max_retries: int = 10, max_queue_size: int = 10000,
             upload_size: int = 100, upload_interval: float = 0.5, debug: bool = False,
             on_error: Optional[Callable[..., Any]] = None) -> Dict[str, Any]:
    """The native client's settings for rudder-sdk-python's options (seconds -> ms, counts
    clamped to the core's ranges)."""
    url = remove_trailing_slash(host or DEFAULT_HOST)
    s: Dict[str, Any] = {
        "write_key": write_key,
        "data_plane_url": url,
        "gzip": bool(gzip),
        "request_timeout": _clamp(timeout * 1000, 100, 600000),
        "connect_timeout": _clamp(timeout * 1000, 100, 600000),
        "retry_count": _clamp(max_retries, 0, 100),
        "max_internal_queue_size": _clamp(max_queue_size, 1, 100000000),
        "flush_at": _clamp(upload_size, 1, 20000),
        "flush_interval": _clamp(upload_interval * 1000, 10, 86400000),
        "max_event_bytes": MAX_EVENT_BYTES,
        "max_queue_size": MAX_REQUEST_BYTES,
        "proxy": proxy_url(proxies, url),
    }
    if debug:
        s["log_level"] = "debug"
    if on_error is not None:
        s["on_error"] = peer_on_error(on_error)
    return s


def peer_on_error(on_error: Callable[..., Any]) -> Callable[..., Any]:
    """on_error(error, batch) as the peer calls it: an HTTP refusal arrives as APIError."""
    def report(error: Exception, batch: Any) -> None:
        on_error(api_error(error), batch)
    return report


def api_error(error: Exception) -> Exception:
    """A native DeliveryError with an HTTP status as the peer's APIError; anything else as is."""
    from .request import APIError
    status = getattr(error, "http_status", 0)
    if not status or isinstance(error, APIError):
        return error
    return APIError(status, getattr(error, "name", "unknown"), getattr(error, "message", str(error)))


def send(client: _core.Client, msg: Mapping[str, Any]) -> str:
    """Queues one message built the peer's way (client._enqueue) on a native client."""
    kind = msg.get("type")
    context = {k: v for k, v in (msg.get("context") or {}).items() if k != "library"}
    common: Dict[str, Any] = {"context": context, "timestamp": msg.get("timestamp"),
              "integrations": msg.get("integrations"), "message_id": msg.get("messageId")}
    if kind == "alias":
        return client.alias(msg.get("previousId"), msg.get("userId"), **common)
    who: Dict[str, Any] = {"user_id": msg.get("userId"), "anonymous_id": msg.get("anonymousId"), **common}
    if kind == "track":
        return client.track(event=msg.get("event"), properties=msg.get("properties"), **who)
    if kind == "identify":
        return client.identify(traits=context.get("traits", msg.get("traits")), **who)
    if kind == "group":
        return client.group(group_id=msg.get("groupId"), traits=msg.get("traits"), **who)
    if kind in ("page", "screen"):
        call = client.page if kind == "page" else client.screen
        return call(category=msg.get("category"), name=msg.get("name"),
                    properties=msg.get("properties"), **who)
    raise AssertionError("type must be one of track, identify, group, alias, page, screen, "
                         "got: {0}".format(kind))
