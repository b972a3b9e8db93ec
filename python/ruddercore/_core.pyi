"""Type stubs for ruddercore._core (the C extension)."""
import builtins
import datetime
import decimal
import uuid
from types import TracebackType
from typing_extensions import disjoint_base
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Type, Union

__version__: str

_JSONValue = Union[
    None, bool, int, float, str, datetime.datetime, datetime.date, decimal.Decimal, uuid.UUID,
    Mapping[Union[str, int], Any], List[Any], Tuple[Any, ...],
]
_Properties = Mapping[Union[str, int], Any]
_Timestamp = Union[datetime.datetime, datetime.date, str]
_Id = Union[str, int]
_OnError = Callable[["Error", List[Dict[str, Any]]], Any]
_OnDelivery = Callable[[List[str]], Any]

class Error(Exception):
    code: int
    name: str
    message: str
    def __init__(self, code: int, message: str = ...) -> None: ...

class InvalidMessageError(Error, ValueError): ...
class QueueFullError(Error): ...
class ClosedError(Error): ...
class TimeoutError(Error, builtins.TimeoutError): ...
class ConfigError(Error, ValueError): ...

class DeliveryError(Error):
    http_status: int
    count: int
    message_ids: List[str]

@disjoint_base
class Client:
    def __init__(self, write_key: str, data_plane_url: Optional[str], **settings: Any) -> None: ...
    @property
    def closed(self) -> bool: ...
    def track(
        self,
        user_id: Optional[_Id] = None,
        event: Optional[str] = None,
        properties: Optional[_Properties] = None,
        context: Optional[_Properties] = None,
        timestamp: Optional[_Timestamp] = None,
        anonymous_id: Optional[_Id] = None,
        integrations: Optional[_Properties] = None,
        message_id: Optional[str] = None,
    ) -> str: ...
    def identify(
        self,
        user_id: Optional[_Id] = None,
        traits: Optional[_Properties] = None,
        context: Optional[_Properties] = None,
        timestamp: Optional[_Timestamp] = None,
        anonymous_id: Optional[_Id] = None,
        integrations: Optional[_Properties] = None,
        message_id: Optional[str] = None,
    ) -> str: ...
    def group(
        self,
        user_id: Optional[_Id] = None,
        group_id: Optional[_Id] = None,
        traits: Optional[_Properties] = None,
        context: Optional[_Properties] = None,
        timestamp: Optional[_Timestamp] = None,
        anonymous_id: Optional[_Id] = None,
        integrations: Optional[_Properties] = None,
        message_id: Optional[str] = None,
    ) -> str: ...
    def page(
        self,
        user_id: Optional[_Id] = None,
        category: Optional[str] = None,
        name: Optional[str] = None,
        properties: Optional[_Properties] = None,
        context: Optional[_Properties] = None,
        timestamp: Optional[_Timestamp] = None,
        anonymous_id: Optional[_Id] = None,
        integrations: Optional[_Properties] = None,
        message_id: Optional[str] = None,
    ) -> str: ...
    def screen(
        self,
        user_id: Optional[_Id] = None,
        category: Optional[str] = None,
        name: Optional[str] = None,
        properties: Optional[_Properties] = None,
        context: Optional[_Properties] = None,
        timestamp: Optional[_Timestamp] = None,
        anonymous_id: Optional[_Id] = None,
        integrations: Optional[_Properties] = None,
        message_id: Optional[str] = None,
    ) -> str: ...
    def alias(
        self,
        previous_id: Optional[_Id] = None,
        user_id: Optional[_Id] = None,
        context: Optional[_Properties] = None,
        timestamp: Optional[_Timestamp] = None,
        integrations: Optional[_Properties] = None,
        message_id: Optional[str] = None,
    ) -> str: ...
    def flush(self, timeout: Optional[float] = None) -> int: ...
    def poll(self, timeout: Optional[float] = 0) -> int: ...
    def close(self, timeout: Optional[float] = None) -> int: ...
    def stats(self) -> Dict[str, Any]: ...
    def create_persistence_queue(self, queue_opts: Union[str, Mapping[str, Any]]) -> None: ...
    def __enter__(self) -> "Client": ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
        /,
    ) -> bool: ...
    def __len__(self) -> int: ...
    def __bool__(self) -> bool: ...

@disjoint_base
class Destination:
    def __init__(self, config: Union[str, bytes, Mapping[str, Any]], **settings: Any) -> None: ...
    @property
    def closed(self) -> bool: ...
    def push(self, event: Union[str, bytes, Mapping[str, Any]], /) -> None: ...
    def push_many(
        self, events: Union[str, bytes, Sequence[Mapping[str, Any]]], /
    ) -> List[Dict[str, Any]]: ...
    def map(self, event: Union[str, bytes, Mapping[str, Any]], /) -> List[List[Any]]: ...
    def command(self, command: str, data: Any = None) -> None: ...
    def flush(self, timeout: Optional[float] = None) -> int: ...
    def poll(self, timeout: Optional[float] = 0) -> int: ...
    def close(self, timeout: Optional[float] = None) -> int: ...
    def stats(self) -> Dict[str, Any]: ...
    def __enter__(self) -> "Destination": ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
        /,
    ) -> bool: ...
    def __len__(self) -> int: ...
    def __bool__(self) -> bool: ...

def version() -> str: ...
def properties() -> List[Dict[str, Any]]: ...
def err_name(code: int, /) -> str: ...
def to_json(value: Any, /) -> str: ...
def from_json(text: Union[str, bytes], /) -> Any: ...
def _close_all() -> None: ...
