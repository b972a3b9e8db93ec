"""rudder-sdk-python's Client (rudderstack.analytics.client), sending through the native engine.

Same constructor, methods, return values ((success, msg)) and exceptions (AssertionError for a
missing or mistyped argument) as rudder-sdk-python 2.1.9; the message returned is the one the
peer builds.  Its consumer is ruddercore's native sender (consumer.py), its queue a view of the
sender's queue; flush() and join() wait at most flush_timeout seconds whatever the host does.
"""
from datetime import datetime, timezone
import logging
import numbers
import os
from typing import Any, Dict, Optional, Tuple
from uuid import uuid4

from .. import _core
from .consumer import MAX_MSG_SIZE, Consumer
from .request import post
from .utils import clean, guess_timezone
from .version import VERSION

ID_TYPES = (numbers.Number, str)
CHANNEL = "server"

Message = Dict[str, Any]


class Client(object):
    class DefaultConfig(object):
        write_key = None
        # the peer reads its default host from TEST_DATA_PLANE_URL (environment or .env)
        host = os.getenv("TEST_DATA_PLANE_URL")
        on_error = None
        debug = False
        send = True
        sync_mode = False
        max_queue_size = 10000
        gzip = True
        timeout = 15
        max_retries = 10
        proxies = None
        thread = 1
        upload_interval = 0.5
        upload_size = 100

    """rudder-sdk-python's Client over the native engine (see the module docstring)."""
    log = logging.getLogger("rudderstack")
    # longest wait of flush() and join(), in seconds (the peer's could last many minutes
    # against an unreachable host); what is still undelivered keeps being retried
    flush_timeout = 30.0

    def __init__(self,
                 write_key=DefaultConfig.write_key,
                 host=DefaultConfig.host,
                 debug=DefaultConfig.debug,
                 max_queue_size=DefaultConfig.max_queue_size,
                 send=DefaultConfig.send,
                 on_error=DefaultConfig.on_error,
                 gzip=DefaultConfig.gzip,
                 max_retries=DefaultConfig.max_retries,
                 sync_mode=DefaultConfig.sync_mode,
                 timeout=DefaultConfig.timeout,
                 proxies=DefaultConfig.proxies,
                 thread=DefaultConfig.thread,
                 upload_size=DefaultConfig.upload_size,
                 upload_interval=DefaultConfig.upload_interval,):
        require("write_key", write_key, str)
        self.queue = SenderQueue(max_queue_size)
        self.write_key = write_key
        self.on_error = on_error
        self.debug = debug
        self.send = send
        self.sync_mode = sync_mode
        self.host = host
        self.gzip = gzip
        self.timeout = timeout
        self.proxies = proxies
        if debug:
            self.log.setLevel(logging.DEBUG)
        if sync_mode:
            self.consumers = None
            return
        consumer = Consumer(self.queue, write_key, host=host, on_error=on_error,
                            upload_size=upload_size, upload_interval=upload_interval, gzip=gzip,
                            retries=max_retries, timeout=timeout, proxies=proxies,
                            max_queue_size=max_queue_size, debug=debug)
        self.consumers = [consumer]
        self.queue.consumer = consumer
        if send:
            consumer.start()

    @property
    def closed(self) -> bool:
        """True once join() or shutdown() ended the sender."""
        return self.consumers is not None and not self.consumers[0].running

    def identify(self, user_id=None, traits=None, context=None, timestamp=None,
                 anonymous_id=None, integrations=None, message_id=None) -> Tuple[bool, Message]:
        traits = traits or {}
        context = context or {}
        context["traits"] = traits   # the peer sends identify traits in context.traits
        require("user_id or anonymous_id", user_id or anonymous_id, ID_TYPES)
        require("traits", traits, dict)
        return self._message("identify", user_id, anonymous_id, context, timestamp, integrations,
                             message_id)

    def track(self, user_id=None, event=None, properties=None, context=None, timestamp=None,
              anonymous_id=None, integrations=None, message_id=None) -> Tuple[bool, Message]:
        properties = properties or {}
        require("user_id or anonymous_id", user_id or anonymous_id, ID_TYPES)
        require("properties", properties, dict)
        require("event", event, str)
        return self._message("track", user_id, anonymous_id, context, timestamp, integrations,
                             message_id, properties=properties, event=event)

    def alias(self, previous_id=None, user_id=None, context=None, timestamp=None,
              integrations=None, message_id=None) -> Tuple[bool, Message]:
        require("previous_id", previous_id, ID_TYPES)
        require("user_id", user_id, ID_TYPES)
        return self._message("alias", user_id, None, context, timestamp, integrations, message_id,
                             previousId=previous_id)

    def group(self, user_id=None, group_id=None, traits=None, context=None, timestamp=None,
              anonymous_id=None, integrations=None, message_id=None) -> Tuple[bool, Message]:
        traits = traits or {}
        require("user_id or anonymous_id", user_id or anonymous_id, ID_TYPES)
        require("group_id", group_id, ID_TYPES)
        require("traits", traits, dict)
        return self._message("group", user_id, anonymous_id, context, timestamp, integrations,
                             message_id, groupId=group_id, traits=traits)

    def page(self, user_id=None, category=None, name=None, properties=None, context=None,
             timestamp=None, anonymous_id=None, integrations=None,
             message_id=None) -> Tuple[bool, Message]:
        return self._page_or_screen("page", user_id, category, name, properties, context,
                                    timestamp, anonymous_id, integrations, message_id)

    def screen(self, user_id=None, category=None, name=None, properties=None, context=None,
               timestamp=None, anonymous_id=None, integrations=None,
               message_id=None) -> Tuple[bool, Message]:
        return self._page_or_screen("screen", user_id, category, name, properties, context,
                                    timestamp, anonymous_id, integrations, message_id)

    def _page_or_screen(self, kind, user_id, category, name, properties, context, timestamp,
                        anonymous_id, integrations, message_id) -> Tuple[bool, Message]:
        properties = properties or {}
        require("user_id or anonymous_id", user_id or anonymous_id, ID_TYPES)
        require("properties", properties, dict)
        if name:
            require("name", name, str)
        if category:
            require("category", category, str)
        return self._message(kind, user_id, anonymous_id, context, timestamp, integrations,
                             message_id, properties=properties, category=category, name=name)

    def _message(self, kind, user_id, anonymous_id, context, timestamp, integrations, message_id,
                 **fields) -> Tuple[bool, Message]:
        """The peer's message of type kind (its envelope plus fields), queued."""
        return self._enqueue({
            "type": kind, "userId": user_id, "anonymousId": anonymous_id,
            "context": context or {}, "timestamp": timestamp,
            "integrations": integrations or {}, "messageId": message_id, **fields,
        })

    def _enqueue(self, msg: Message) -> Tuple[bool, Message]:
        """Completes msg as the peer does and hands it to the sender; (accepted, msg)."""
        timestamp = msg["timestamp"]
        if timestamp is None:
            timestamp = datetime.now(timezone.utc)
        message_id = msg.get("messageId")
        if message_id is None:
            message_id = uuid4()
        if msg["integrations"] == {}:
            msg["integrations"] = {"All": True}
        require("integrations", msg["integrations"], dict)
        require("type", msg["type"], str)
        require("timestamp", timestamp, datetime)
        require("context", msg["context"], dict)

        msg["timestamp"] = guess_timezone(timestamp).isoformat()
        msg["messageId"] = stringify_id(message_id)
        msg["context"]["library"] = {"name": "analytics-python", "version": VERSION}
        msg["userId"] = stringify_id(msg.get("userId", None))
        msg["anonymousId"] = stringify_id(msg.get("anonymousId", None))
        msg["channel"] = CHANNEL
        msg = clean(msg)
        self.log.debug("queueing: %s", msg)

        if not self.send:
            return True, msg
        try:
            if self.sync_mode:
                post(self.write_key, self.host, gzip=self.gzip, timeout=self.timeout,
                     proxies=self.proxies, batch=[msg])
            else:
                self.consumers[0].put(msg)
        except _core.InvalidMessageError as e:
            if e.name == "RUDDER_ERR_TOO_LARGE":
                raise RuntimeError("Message exceeds %dkb limit. (%s)"
                                   % (MAX_MSG_SIZE // 1024, str(msg))) from None
            raise
        except (_core.QueueFullError, _core.ClosedError) as e:
            self.log.warning("analytics-python queue is full" if isinstance(e, _core.QueueFullError)
                             else "analytics-python client was shut down; event not sent")
            return False, msg
        return True, msg

    def flush(self) -> None:
        """Forces a flush from the internal queue to the server (waits up to flush_timeout)."""
        if self.consumers:
            self.consumers[0].flush(self.flush_timeout)

    def join(self) -> None:
        """Ends the sender once the queue is delivered (waits up to flush_timeout)."""
        for consumer in self.consumers or []:
            consumer.join(self.flush_timeout)

    def shutdown(self) -> None:
        """Flush all messages and cleanly shutdown the client"""
        self.flush()
        self.join()


class SenderQueue(object):
    """client.queue: the sender's queue as the peer's queue.Queue shows it (maxsize, qsize,
    empty, full, join); events are put and taken by the client and its sender only."""

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self.consumer: Optional[Consumer] = None

    def qsize(self) -> int:
        return self.consumer.pending() if self.consumer is not None else 0

    def empty(self) -> bool:
        return self.qsize() == 0

    def full(self) -> bool:
        return 0 < self.maxsize <= self.qsize()

    def join(self) -> None:
        if self.consumer is not None:
            self.consumer.flush(Client.flush_timeout)



def require(name: str, field: Any, data_type: Any) -> None:
    """Require that the named `field` has the right `data_type`"""
    if not isinstance(field, data_type):
        raise AssertionError("{0} must have {1}, got: {2}".format(name, data_type, field))


def stringify_id(val: Any) -> Optional[str]:
    if val is None:
        return None
    if isinstance(val, str):
        return val
    return str(val)
