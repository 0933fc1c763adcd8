"""What a dispatch did: the messages every handler took, and each handler that failed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from esorm.events._message import Message

Handler = Callable[[Message[Any]], Awaitable[None] | None]
"""An event handler: called with each message of the types it subscribed to."""


@dataclass(frozen=True, slots=True, eq=False)
class HandlerFailure:
    """A handler that raised for one message; the other handlers still ran."""

    message: Message[Any]
    handler: Handler
    error: Exception

    @property
    def handler_name(self) -> str:
        """The handler's qualified name, for messages and logs."""
        return getattr(self.handler, "__qualname__", repr(self.handler))

    def __str__(self) -> str:
        return f"{self.handler_name} failed for {self.message}: {self.error!r}"


@dataclass(frozen=True, slots=True)
class DispatchReport:
    """The outcome of handing messages to a bus.

    Attributes:
        delivered: messages every handler took without raising, in the order handled
            (events raised by handlers included).
        failures: each handler that raised, with its message and error.
        deferred: messages handed over while the bus was already dispatching in this
            task (a handler's own commit): queued behind the current ones, handled
            before the outer dispatch returns.
        undelivered: messages past the bus's chain bound, never handled.
    """

    delivered: tuple[Message[Any], ...] = ()
    failures: tuple[HandlerFailure, ...] = ()
    deferred: tuple[Message[Any], ...] = ()
    undelivered: tuple[Message[Any], ...] = ()

    @property
    def ok(self) -> bool:
        """True when no handler failed and nothing was left undelivered."""
        return not self.failures and not self.undelivered

    @property
    def failed(self) -> tuple[Message[Any], ...]:
        """The messages some handler failed on, each once, in the order handled."""
        seen: dict[str, Message[Any]] = {}
        for failure in self.failures:
            seen.setdefault(failure.message.id, failure.message)
        return tuple(seen.values())
