"""The message bus: handlers per event type, called after the commit that wrote their events."""

from __future__ import annotations

import datetime
import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from esorm.events._errors import EventChainError
from esorm.events._message import Message, event_name
from esorm.events._report import DispatchReport, Handler, HandlerFailure
from esorm.events._run import Run, Settle, current_run, logger

E = TypeVar("E")

FailureCallback = Callable[[HandlerFailure], Awaitable[None] | None]
"""Told about every handler that raised (after it was logged), e.g. to alert or park it."""


class MessageBus:
    """Hands domain events to the handlers subscribed to their types, in order.

    A unit of work given this bus dispatches, after each commit, the events of every
    entity whose write the server confirmed. Handlers are async, run one after the
    other, and may open their own units of work and commit; the events those commits
    confirm are handled after the ones already queued. A handler that raises is logged
    and reported (`DispatchReport.failures`, `on_failure`); the others still run, and
    nothing is undone.

    Args:
        max_depth: how many times handled events may lead to further events in one
            dispatch; past it they are not delivered and `EventChainError` is raised.
        grace: how long the in-process dispatch of an outbox entity's events may take
            before the outbox relay takes them over (see `esorm.outbox`).
        on_failure: called with each `HandlerFailure`.
    """

    def __init__(
        self,
        *,
        max_depth: int = 8,
        grace: datetime.timedelta = datetime.timedelta(minutes=1),
        on_failure: FailureCallback | None = None,
    ) -> None:
        if max_depth < 0:
            raise ValueError("max_depth must be at least 0")
        if grace < datetime.timedelta(0):
            raise ValueError("grace cannot be negative")
        self.max_depth = max_depth
        self.grace = grace
        self.on_failure = on_failure
        self._handlers: dict[type[Any], list[Handler]] = {}
        self._types: dict[str, type[Any]] = {}

    # -- subscribing ------------------------------------------------------------------------

    def subscribe(
        self, event_type: type[E], handler: Callable[[Message[E]], Awaitable[None] | None]
    ) -> None:
        """Call `handler` with every message whose event is an `event_type` (subclasses too).

        Handlers of one type run in the order they subscribed.
        """
        if not isinstance(event_type, type):
            raise TypeError(f"subscribe takes an event class, got {event_type!r}")
        self._handlers.setdefault(event_type, []).append(handler)
        self._types[event_name(event_type)] = event_type

    def handles(
        self, event_type: type[E]
    ) -> Callable[
        [Callable[[Message[E]], Awaitable[None] | None]],
        Callable[[Message[E]], Awaitable[None] | None],
    ]:
        """Decorator form of `subscribe`."""

        def decorate(
            handler: Callable[[Message[E]], Awaitable[None] | None],
        ) -> Callable[[Message[E]], Awaitable[None] | None]:
            self.subscribe(event_type, handler)
            return handler

        return decorate

    def handlers_for(self, event_type: type[Any]) -> tuple[Handler, ...]:
        """The handlers a message of `event_type` goes to: its own, then its bases'."""
        found: list[Handler] = []
        for cls in event_type.__mro__:
            found.extend(self._handlers.get(cls, ()))
        return tuple(found)

    def event_type(self, name: str) -> type[Any] | None:
        """The subscribed event class stored under `name` (for events read back)."""
        return self._types.get(name)

    # -- dispatching ------------------------------------------------------------------------

    async def dispatch(
        self, messages: Sequence[Message[Any]], *, settle: Settle | None = None
    ) -> DispatchReport:
        """Handle `messages` in order, then what handlers caused, and report.

        Called while this bus is already dispatching in the same task (from a handler's
        commit), the messages join that run's queue and are handled before it ends.

        Args:
            settle: awaited with the report of these messages once each was handled.

        Raises:
            EventChainError: handled events led to further events past `max_depth`.
        """
        if not messages:
            return DispatchReport()
        run = current_run.get()
        if run is not None and run.owner is self and run.open:
            run.enqueue(messages, settle, run.depth + 1)
            return DispatchReport(deferred=tuple(messages))
        run = Run(self, self.max_depth)
        token = current_run.set(run)
        try:
            run.enqueue(messages, settle, 0)
            await run.drain(self._deliver)
        finally:
            run.open = False
            current_run.reset(token)
        report = run.report()
        if report.undelivered:
            raise EventChainError(report, self.max_depth)
        return report

    async def _deliver(self, message: Message[Any]) -> list[HandlerFailure]:
        failures: list[HandlerFailure] = []
        for handler in self.handlers_for(type(message.event)):
            try:
                result = handler(message)
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:
                failure = HandlerFailure(message, handler, exc)
                logger.exception("event handler %s failed for %s", failure.handler_name, message)
                failures.append(failure)
                await self._report(failure)
        return failures

    async def _report(self, failure: HandlerFailure) -> None:
        if self.on_failure is None:
            return
        try:
            result = self.on_failure(failure)
            if inspect.isawaitable(result):
                await result
        except Exception:
            logger.exception("on_failure callback failed for %s", failure)
