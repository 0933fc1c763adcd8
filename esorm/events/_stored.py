"""How an outbox keeps events in a document: one JSON object per event, in recording order.

Each stored event holds its id, its type's name, when it was recorded, when it is due
for the relay (None: parked after too many failed attempts), how many deliveries were
started (the in-process one counts from the commit that wrote it), and its data.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Sequence
from typing import Any, NotRequired, TypedDict

from pydantic import TypeAdapter

from esorm.domain import RecordedEvent
from esorm.events._message import Message, event_name


class StoredEvent(TypedDict):
    """One undelivered event as its document holds it."""

    id: str
    type: str
    at: str
    due: str | None
    attempts: int
    data: Any
    claim: NotRequired[str]
    """The pass of the relay that claimed it (until `due`), while it delivers it."""


def stored_event(
    recorded: RecordedEvent[Any], *, due: datetime.datetime, attempts: int
) -> StoredEvent:
    """The stored form of a recorded event.

    Raises:
        ValueError: pydantic cannot serialize the event as JSON.
    """
    event = recorded.event
    try:
        data = _adapter(type(event)).dump_python(event, mode="json", warnings="error")
    except Exception as exc:  # pydantic's serialization errors, or a type it cannot handle
        raise ValueError(f"event {type(event).__name__} cannot be stored as JSON: {exc}") from exc
    return {
        "id": recorded.id,
        "type": event_name(type(event)),
        "at": format_time(recorded.recorded_at),
        "due": format_time(due),
        "attempts": attempts,
        "data": data,
    }


def decoded(stored: StoredEvent, event_type: type[Any]) -> Any:
    """The event value a stored event holds, validated as `event_type`."""
    return _adapter(event_type).validate_python(stored["data"], strict=False)


def message_of(
    stored: StoredEvent, event: Any, *, aggregate: str, aggregate_id: str, index: str
) -> Message[Any]:
    """The message delivering a stored event; its attempt is the one `attempts` counts."""
    return Message(
        id=stored["id"],
        event=event,
        name=stored["type"],
        aggregate=aggregate,
        aggregate_id=aggregate_id,
        index=index,
        recorded_at=parse_time(stored["at"]),
        attempt=max(1, int(stored.get("attempts", 1))),
    )


def outbox_value(events: Sequence[StoredEvent]) -> dict[str, Any] | None:
    """The document's outbox field for these events: the earliest due time (what the relay
    searches for), how many are parked, and the events; None when there are none."""
    if not events:
        return None
    dues = [parse_time(due) for e in events if (due := e.get("due")) is not None]
    value: dict[str, Any] = {"events": list(events)}
    if dues:
        value["due"] = format_time(min(dues))
    parked = len(events) - len(dues)
    if parked:
        value["parked"] = parked
    return value


def without(events: Iterable[StoredEvent], ids: Collection[str]) -> list[StoredEvent]:
    """The events whose ids are not among `ids` (those delivered), in order."""
    return [event for event in events if event["id"] not in ids]


def format_time(moment: datetime.datetime) -> str:
    """A UTC time as Elasticsearch's date fields read it, to the millisecond."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone; outbox times are UTC")
    utc = moment.astimezone(datetime.UTC)
    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime.datetime:
    """A stored time back as an aware datetime."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(event_type: type[Any]) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(event_type)
    if adapter is None:
        adapter = _ADAPTERS[event_type] = TypeAdapter(event_type)
    return adapter
