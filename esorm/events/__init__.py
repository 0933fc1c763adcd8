"""Domain events after the commit: a message bus whose handlers get confirmed entities' events.

Entities record events (`esorm.domain.Aggregate.record_event`); a `UnitOfWork` given a
`MessageBus` hands them over once the server confirmed the entity's write, in recording
order. `esorm.outbox` delivers the events of outbox entities that a crash kept from
being dispatched.
"""

from esorm.events._bus import FailureCallback, MessageBus
from esorm.events._errors import EventChainError
from esorm.events._message import Message, event_name
from esorm.events._report import DispatchReport, Handler, HandlerFailure
from esorm.events._run import Settle
from esorm.events._stored import (
    StoredEvent,
    decoded,
    format_time,
    message_of,
    outbox_value,
    parse_time,
    stored_event,
    without,
)

__all__ = [
    "DispatchReport",
    "EventChainError",
    "FailureCallback",
    "Handler",
    "HandlerFailure",
    "Message",
    "MessageBus",
    "Settle",
    "StoredEvent",
    "decoded",
    "event_name",
    "format_time",
    "message_of",
    "outbox_value",
    "parse_time",
    "stored_event",
    "without",
]
