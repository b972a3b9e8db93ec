"""rudder-sdk-python's helpers (rudderstack.analytics.utils): time zones and value cleaning.

clean() turns a value into what JSON (and the native engine) accepts, as the peer does:
Decimal -> float, Enum -> its value, sets and tuples -> lists, bytes -> text; a value it cannot
turn is logged and dropped from its dict.
"""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
import logging
import numbers
from typing import Any

log = logging.getLogger("rudderstack")


def is_naive(dt: datetime) -> bool:
    """True if dt carries no time zone."""
    return dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None


def total_seconds(delta: timedelta) -> float:
    """delta in seconds."""
    return delta.total_seconds()


def guess_timezone(dt: datetime) -> datetime:
    """A naive datetime made aware: local time if it is about now (datetime.now()), else UTC."""
    if not is_naive(dt):
        return dt
    if total_seconds(datetime.now() - dt) < 5:
        return dt.astimezone()   # the local zone, as dateutil's tzlocal()
    return dt.replace(tzinfo=timezone.utc)


def remove_trailing_slash(host: str) -> str:
    """host without one trailing slash."""
    return host[:-1] if host.endswith("/") else host


# exact types clean() returns as they are, checked first (the isinstance chain below, with
# numbers.Number's ABC check, costs more than the rest of a call)
_PLAIN = frozenset((str, int, float, bool, type(None), datetime, date))


def clean(item: Any) -> Any:
    """item with every value JSON can carry; raises TypeError for a value it cannot turn."""
    kind = type(item)
    if kind in _PLAIN:
        return item
    if kind is dict:
        return _clean_dict(item)
    if isinstance(item, Decimal):
        return float(item)
    if isinstance(item, (str, bool, numbers.Number, datetime, date, type(None))):
        return item
    if isinstance(item, (set, list, tuple)):
        return [clean(v) for v in item]
    if isinstance(item, dict):
        return _clean_dict(item)
    if isinstance(item, Enum):
        return clean(item.value)
    if isinstance(item, (bytes, bytearray)):
        return bytes(item).decode("utf-8", "replace")
    raise TypeError("unsupported value of type %s" % type(item).__name__)


def _clean_dict(dict_: dict) -> dict:
    data = {}
    for k, v in dict_.items():
        if type(v) in _PLAIN:
            data[k] = v
            continue
        try:
            data[k] = clean(v)
        except TypeError:
            log.warning('Dictionary values must be serializeable to JSON "%s" value %s of type %s '
                        "is unsupported.", k, v, type(v))
    return data
