"""After a commit: the confirmed entities' events to the bus, then cleared from the outbox.

The commit that wrote an outbox entity's events counted their in-process delivery as the
first attempt and made them due for the relay only after the bus's grace period. Once
every handler took an event, a guarded rewrite removes it from the document; an event a
handler failed on stays, for the relay to deliver again once it is due.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from esorm.events import DispatchReport, MessageBus, Settle, StoredEvent, without
from esorm.repository import Entry
from esorm.uow._events import EventsHook
from esorm.uow._outbox import Rewrite

Rewriter = Callable[[Sequence[tuple[Entry, Rewrite]]], Awaitable[Any]]
"""Applies rewrites to the outbox of entries (the unit of work's `rewrite_outboxes`)."""


async def dispatch_confirmed(
    bus: MessageBus | None, events: EventsHook | None, rewrite: Rewriter
) -> DispatchReport:
    """Hand the confirmed entities' events to the bus in recording order; clear the
    delivered ones from outbox documents once they are handled."""
    if bus is None or events is None or not events.messages:
        return DispatchReport()
    messages = sorted(events.messages, key=lambda message: message.id)  # ids follow time
    delivering = list(events.delivering)
    events.messages, events.delivering = [], []
    settle = _clearing(delivering, rewrite) if delivering else None
    return await bus.dispatch(messages, settle=settle)


def _clearing(delivering: list[tuple[Entry, frozenset[str]]], rewrite: Rewriter) -> Settle:
    async def settle(report: DispatchReport) -> None:
        delivered = {message.id for message in report.delivered}
        targets = [
            (entry, _remove(ids & delivered)) for entry, ids in delivering if ids & delivered
        ]
        if targets:
            await rewrite(targets)

    return settle


def _remove(ids: frozenset[str]) -> Rewrite:
    def rewrite(events: tuple[StoredEvent, ...]) -> list[StoredEvent] | None:
        if not any(event["id"] in ids for event in events):
            return None  # already cleared (by the relay, or a repeated clearing)
        return without(events, ids)

    return rewrite
