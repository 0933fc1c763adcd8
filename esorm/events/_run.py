"""One dispatch run: a queue of messages, handled in order; events raised meanwhile go last.

As in cosmicpython's message bus, what handlers cause is processed after what is already
queued, never in the middle of it. A handler's own unit of work hands its events to the
same bus; the run of the current task (a context variable) takes them into its queue,
one level deeper than the message being handled, up to the bus's bound.
"""

from __future__ import annotations

import collections
import contextvars
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from esorm.events._message import Message
from esorm.events._report import DispatchReport, HandlerFailure

logger = logging.getLogger("esorm.events")

Settle = Callable[[DispatchReport], Awaitable[None]]
"""Told what became of one batch of messages once each was handled (the outbox clears
what was delivered)."""

Deliver = Callable[[Message[Any]], Awaitable[list[HandlerFailure]]]


@dataclass(eq=False)
class _Batch:
    """The messages of one hand-over, and what became of them."""

    left: int
    settle: Settle | None
    delivered: list[Message[Any]] = field(default_factory=list)
    failures: list[HandlerFailure] = field(default_factory=list)


class Run:
    """The queue of one dispatch in one task, with everything it delivered and cut off."""

    def __init__(self, owner: object, max_depth: int) -> None:
        self.owner = owner
        self.max_depth = max_depth
        self.open = True
        self.depth = 0
        self._queue: collections.deque[tuple[Message[Any], int, _Batch]] = collections.deque()
        self._delivered: list[Message[Any]] = []
        self._failures: list[HandlerFailure] = []
        self._cut: list[Message[Any]] = []

    def enqueue(self, messages: Sequence[Message[Any]], settle: Settle | None, depth: int) -> None:
        """Queue a hand-over behind what is queued; past the bound it is cut off."""
        if depth > self.max_depth:
            logger.error(
                "event chain deeper than max_depth=%d: %d events not delivered (%s)",
                self.max_depth,
                len(messages),
                ", ".join(sorted({m.name for m in messages})),
            )
            self._cut.extend(messages)
            return
        batch = _Batch(len(messages), settle)
        self._queue.extend((message, depth, batch) for message in messages)

    async def drain(self, deliver: Deliver) -> None:
        """Handle every queued message, including those queued while handling."""
        queue = self._queue
        while queue:
            message, depth, batch = queue.popleft()
            self.depth = depth
            failures = await deliver(message)
            if failures:
                batch.failures.extend(failures)
                self._failures.extend(failures)
            else:
                batch.delivered.append(message)
                self._delivered.append(message)
            batch.left -= 1
            if batch.left == 0 and batch.settle is not None:
                await _settle(batch)

    def report(self) -> DispatchReport:
        """Everything this run delivered, every failure, and what it cut off."""
        return DispatchReport(
            delivered=tuple(self._delivered),
            failures=tuple(self._failures),
            undelivered=tuple(self._cut),
        )


async def _settle(batch: _Batch) -> None:
    settle = batch.settle
    assert settle is not None
    try:
        await settle(DispatchReport(tuple(batch.delivered), tuple(batch.failures)))
    except Exception:
        logger.exception("settling %d delivered events failed", len(batch.delivered))


current_run: contextvars.ContextVar[Run | None] = contextvars.ContextVar(
    "esorm_events_run", default=None
)
"""The run dispatching in this task (and the tasks it starts), if any."""
