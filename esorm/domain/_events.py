"""Domain events recorded by plain entities: kept beside their fields, never stored as fields.

Example:
    class Post(Aggregate):
        id: str
        title: str

        def publish(self) -> None:
            self.record_event(PostPublished(post_id=self.id))

The events live in a pydantic private attribute, so they are not fields: no dump, no
schema, no API output, and no part of the values a unit of work compares to find
changes. A unit of work hands them to a message bus once the server confirmed the
entity's write.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, PrivateAttr

from esorm.domain._ids import new_id

E = TypeVar("E")
"""The event type."""

_EVENTS = "_esorm_events"


@dataclass(frozen=True, slots=True)
class RecordedEvent(Generic[E]):
    """One event as its entity recorded it: a stable id, the event, and when.

    The id is a time-ordered UUIDv7 made when the event is recorded; every delivery of
    the event carries it, so consumers can recognise one they have seen.
    """

    id: str
    event: E
    recorded_at: datetime.datetime


class Aggregate(BaseModel):
    """Base of entities that record domain events (a pydantic model, nothing else).

    Recorded events are not fields and do not make the entity changed on their own;
    copies (`model_copy`, `deepcopy`) keep them, validating a dump does not (they are
    not data). Two entities that differ only in their recorded events are equal.
    """

    _esorm_events: tuple[RecordedEvent[Any], ...] = PrivateAttr(default=())

    def record_event(self, event: E) -> RecordedEvent[E]:
        """Record that something happened to this entity; delivered after its next commit.

        `event` is any value pydantic can serialize: a pydantic model or a dataclass.
        """
        recorded = RecordedEvent(new_id(), event, datetime.datetime.now(datetime.UTC))
        private = self.__pydantic_private__
        assert private is not None  # pydantic sets it up for models with private attributes
        private[_EVENTS] = (*private.get(_EVENTS, ()), recorded)
        return recorded

    @property
    def recorded_events(self) -> tuple[RecordedEvent[Any], ...]:
        """The events recorded and not yet handed over, in recording order."""
        return recorded_events(self)

    def __eq__(self, other: object) -> bool:
        if type(other) is type(self) and isinstance(other, Aggregate):
            mine, theirs = _private(self), _private(other)
            if mine.get(_EVENTS, ()) != theirs.get(_EVENTS, ()):
                other = other.model_copy()  # a copy has a private dict of its own
                _private(other)[_EVENTS] = mine.get(_EVENTS, ())
        return super().__eq__(other)

    __hash__ = BaseModel.__hash__


def recorded_events(entity: object) -> tuple[RecordedEvent[Any], ...]:
    """The events an entity recorded and nobody took yet; () for entities that record none."""
    if not isinstance(entity, Aggregate):
        return ()
    private = entity.__pydantic_private__
    return private.get(_EVENTS, ()) if private else ()


def forget_events(entity: object, ids: Collection[str] | None = None) -> None:
    """Drop the recorded events with these ids (all of them for None): they were handed
    over, or the work that recorded them was discarded. Events recorded since stay."""
    if not isinstance(entity, Aggregate):
        return
    private = _private(entity)
    events = private.get(_EVENTS, ())
    if events:
        private[_EVENTS] = () if ids is None else tuple(e for e in events if e.id not in ids)


def _private(entity: BaseModel) -> dict[str, Any]:
    private = entity.__pydantic_private__
    assert private is not None
    return private
