"""What one relay pass did."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from esorm.errors import UnreadableDocumentError
from esorm.events import HandlerFailure, Message


@dataclass(frozen=True, slots=True)
class Undeliverable:
    """A stored event the relay could not turn into a message (unknown type, bad data)."""

    aggregate: str
    aggregate_id: str
    event_id: str
    name: str
    reason: str

    def __str__(self) -> str:
        return (
            f"{self.name} {self.event_id} of {self.aggregate} {self.aggregate_id!r}: {self.reason}"
        )


@dataclass(frozen=True, slots=True)
class RelayReport:
    """The outcome of one bounded relay pass.

    Attributes:
        documents: documents whose due events this pass claimed.
        delivered: messages every handler took; cleared from their documents.
        failures: handlers that raised; their events are due again after a backoff.
        undeliverable: stored events no message could be made of (type not subscribed
            on this bus, data that does not validate); retried like failures.
        undelivered: messages past the bus's chain bound; retried like failures.
        parked: events that used up their attempts in this pass; kept in the document,
            never due again (`esorm_outbox.parked` counts them).
        skipped: documents another writer changed first, with nothing left due.
        unreadable: documents that do not validate as their entity; left as they are.
        more: the pass stopped at its limit; more documents may be due.
    """

    documents: int = 0
    delivered: tuple[Message[Any], ...] = ()
    failures: tuple[HandlerFailure, ...] = ()
    undeliverable: tuple[Undeliverable, ...] = ()
    undelivered: tuple[Message[Any], ...] = ()
    parked: int = 0
    skipped: int = 0
    unreadable: tuple[UnreadableDocumentError, ...] = ()
    more: bool = False

    @property
    def ok(self) -> bool:
        """True when every event taken was delivered."""
        return not (self.failures or self.undeliverable or self.undelivered)

    def __str__(self) -> str:
        parts = [
            f"{_count(len(self.delivered), 'event')} delivered from "
            f"{_count(self.documents, 'document')}",
            _count(len(self.failures), "handler failure"),
        ]
        for count, what in (
            (len(self.undeliverable), "undeliverable"),
            (len(self.undelivered), "past the chain bound"),
            (self.parked, "parked"),
            (self.skipped, "skipped"),
            (len(self.unreadable), "unreadable"),
        ):
            if count:
                parts.append(f"{count} {what}")
        return ", ".join(parts) + (", more due" if self.more else "")


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"
