"""A recorded event as handlers receive it: the event, its stable id, and where it came from."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

E = TypeVar("E")
"""The event type."""


@dataclass(frozen=True, slots=True)
class Message(Generic[E]):
    """One delivery of a domain event.

    Attributes:
        id: the event's id, made when it was recorded and the same in every delivery:
            what idempotent consumers remember.
        event: the event value the entity recorded.
        name: the event type's stored name (`event_name`).
        aggregate: the class name of the entity that recorded it.
        aggregate_id: that entity's document id.
        index: the index its document lives in.
        recorded_at: when it was recorded.
        attempt: which delivery this is; the first (1) is the only one delivered as new.
    """

    id: str
    event: E
    name: str
    aggregate: str
    aggregate_id: str
    index: str
    recorded_at: datetime.datetime
    attempt: int = 1

    @property
    def redelivered(self) -> bool:
        """True when an earlier delivery may have reached the handlers already."""
        return self.attempt > 1

    def __str__(self) -> str:
        return f"{self.name} {self.id} of {self.aggregate} {self.aggregate_id!r}"


def event_name(event_type: type[Any]) -> str:
    """The name an event type is stored and looked up by: `module.QualifiedName`."""
    return f"{event_type.__module__}.{event_type.__qualname__}"
