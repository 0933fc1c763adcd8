"""Recorded events through a flush: into outbox documents with the write, then into
messages for the entities whose write the server confirmed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from esorm.domain import RecordedEvent, forget_events, recorded_events
from esorm.errors import InvalidEntityError
from esorm.events import Message, MessageBus, StoredEvent, event_name, outbox_value, stored_event
from esorm.mapping import OUTBOX_FIELD
from esorm.repository import ChangeKind, Entry
from esorm.uow._flush import Flush
from esorm.uow._outcome import Status


@dataclass(frozen=True, slots=True)
class _Plan:
    """What one planned write carries: the events taken from its entity, and for outbox
    entities every undelivered event its document holds once the write is applied."""

    entry: Entry
    recorded: tuple[RecordedEvent[Any], ...]
    outbox: tuple[StoredEvent, ...] | None


class EventsHook:
    """A flush hook for the events of `Aggregate` entities.

    Before the flush: an outbox entity's new events join its document's undelivered ones
    (every full write carries those on), due after the bus's grace period, their
    in-process delivery counted as the first attempt; other entities' events need a bus.
    After it: the entities whose write was confirmed give up their events, which become
    `messages` (and, for outbox entities, `delivering`: what to clear once delivered).
    An entity whose write failed keeps its events for the next commit.
    """

    def __init__(self, bus: MessageBus | None) -> None:
        self._bus = bus
        self._plans: dict[int, _Plan] = {}
        self.messages: list[Message[Any]] = []
        self.delivering: list[tuple[Entry, frozenset[str]]] = []

    def before_flush(self, flush: Flush) -> None:
        bus = self._bus
        due = flush.now + bus.grace if bus is not None else flush.now
        attempts = 1 if bus is not None else 0
        for entry, kind in flush.changes:
            mapping = entry.mapping
            if not mapping.records_events:
                continue
            recorded = recorded_events(entry.entity)
            if mapping.outbox:
                self._plan_outbox(flush, entry, kind, recorded, (due, attempts))
            elif recorded:
                if bus is None:
                    raise InvalidEntityError(_no_bus(entry, recorded))
                self._plans[id(entry)] = _Plan(entry, recorded, None)

    def _plan_outbox(
        self,
        flush: Flush,
        entry: Entry,
        kind: ChangeKind,
        recorded: tuple[RecordedEvent[Any], ...],
        timing: tuple[Any, int],
    ) -> None:
        if kind == "delete":
            if recorded:
                raise InvalidEntityError(_removed_with_events(entry, recorded))
            return
        if not recorded and (kind == "update" or not entry.outbox):
            return  # nothing new, and a partial update leaves the stored events alone
        known = {event["id"] for event in entry.outbox}
        try:
            new = [
                stored_event(r, due=timing[0], attempts=timing[1])
                for r in recorded
                if r.id not in known
            ]
        except ValueError as exc:
            raise InvalidEntityError(
                f"{entry.mapping.name} {entry.id!r}: {exc}. Nothing was sent."
            ) from exc
        events = (*entry.outbox, *new)
        flush.store_beside(entry, OUTBOX_FIELD, outbox_value(events))
        self._plans[id(entry)] = _Plan(entry, recorded, events)

    def after_flush(self, flush: Flush) -> None:
        if not self._plans:
            return
        for operation in flush.operations:
            entry = operation.entry
            if operation.status is not Status.CONFIRMED or entry is None:
                continue
            plan = self._plans.get(id(entry))
            if plan is None:
                continue
            if plan.outbox is not None:
                entry.outbox = plan.outbox
            if plan.recorded:
                self._hand_over(plan)
        self._plans = {}

    def _hand_over(self, plan: _Plan) -> None:
        entry, recorded = plan.entry, plan.recorded
        ids = frozenset(r.id for r in recorded)
        forget_events(entry.entity, ids)
        if self._bus is None:
            return  # outbox events without a bus: the relay delivers them
        self.messages.extend(_message(entry, r) for r in recorded)
        if plan.outbox is not None:
            self.delivering.append((entry, ids))


def _message(entry: Entry, recorded: RecordedEvent[Any]) -> Message[Any]:
    return Message(
        id=recorded.id,
        event=recorded.event,
        name=event_name(type(recorded.event)),
        aggregate=entry.mapping.name,
        aggregate_id=entry.id,
        index=entry.index,
        recorded_at=recorded.recorded_at,
    )


def _names(recorded: Sequence[RecordedEvent[Any]]) -> str:
    return ", ".join(sorted({type(r.event).__name__ for r in recorded}))


def _no_bus(entry: Entry, recorded: Sequence[RecordedEvent[Any]]) -> str:
    name = entry.mapping.name
    return (
        f"{name} {entry.id!r} recorded {len(recorded)} events ({_names(recorded)}), and this "
        f"unit of work has no bus to hand them to: pass bus=MessageBus(...) to the unit of "
        f"work, or register {name} with outbox=True for the relay to deliver them. "
        f"Nothing was sent."
    )


def _removed_with_events(entry: Entry, recorded: Sequence[RecordedEvent[Any]]) -> str:
    name = entry.mapping.name
    return (
        f"{name} {entry.id!r} is removed and recorded {len(recorded)} events "
        f"({_names(recorded)}): {name} keeps its undelivered events in its own document "
        f"(outbox=True), which the delete removes. Record them on an entity that stays, or "
        f"mark {name} deleted instead of removing it. Nothing was sent."
    )
