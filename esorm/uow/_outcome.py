"""What a flush achieved: each operation's outcome, applied to its entry, and the failures."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from esorm._internal.server_errors import error_reason, error_type
from esorm.errors import WriteFailure
from esorm.repository import Entry, IdentityMap
from esorm.store import ItemResult, Write
from esorm.uow._markers import chained

REJECTED = 429
"""The status of an item (or a whole request) refused because the node is overloaded."""


class Status(enum.Enum):
    """Where one operation of a flush stands."""

    PLANNED = "planned"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    UNKNOWN = "unknown"
    """Sent, but no answer came back: the server may or may not have applied it."""


class Retry(enum.Enum):
    """Why an operation is sent again: each reason has its own bound and backoff."""

    OVERLOADED = "overloaded"
    """Refused with 429, by item or for the whole request: sent again after a backoff."""
    IN_DOUBT = "in doubt"
    """Its answer was lost and reading back showed it was not applied."""
    BLOCKED = "blocked"
    """Its index was blocked for writing (a migration's final step)."""


@dataclass(slots=True, eq=False)
class Operation(Write):
    """One write of a flush (it is the `Write` the store sends), the entry it is for (None
    for writes no entity owns), and its outcome once known.

    `snapshot` is what the entry holds as clean once the write is confirmed. `doubtful`
    marks an operation one of whose sends got no readable answer: a later "already
    exists" or "version conflict" may be its own earlier send, so it is read back rather
    than reported. `on_outcome` is told the outcome of a write no entity owns (outbox,
    migration). `result` is the server's answer item for failures and for writes no
    entity owns; a confirmed entity's answer lives on in its entry (version, index, write
    ids), so it is not kept: 10,000 answer items are a third of a large commit's peak.
    """

    entry: Entry | None = field(default=None, repr=False)
    snapshot: dict[str, Any] | None = field(default=None, repr=False)
    doubtful: bool = False
    status: Status = Status.PLANNED
    retry: Retry | None = field(default=None, repr=False)
    result: ItemResult | None = field(default=None, repr=False)
    on_outcome: Callable[[Operation], None] | None = field(default=None, repr=False)
    deferred: bool = field(default=False, repr=False)
    """Its document is serialized when its chunk is sent (`uow._writes.render`)."""
    beside: Mapping[str, Any] | None = field(default=None, repr=False)
    """Reserved fields its deferred document carries (`Flush.store_beside`)."""

    def release(self) -> None:
        """Drop the request bytes of a settled write of a tracked entity: its outcome is
        known and applied, so a large commit keeps no body it has already sent."""
        if self.entry is not None and self.status in _SETTLED:
            self.source, self._line = None, None

    @property
    def write(self) -> Write:
        """The write itself (an operation is one)."""
        return self

    @property
    def writes(self) -> tuple[str, ...]:
        """The write ids the document carries once this write is applied."""
        if self.marker is None or self.entry is None:
            return ()
        return chained(self.marker, self.entry.writes)

    @classmethod
    def of(cls, write: Write, on_outcome: Callable[[Operation], None] | None = None) -> Operation:
        """An operation for a write built elsewhere (one no tracked entity owns)."""
        fields = {name: getattr(write, name) for name in _WRITE_FIELDS}
        return cls(**fields, on_outcome=on_outcome)


_SETTLED = frozenset({Status.CONFIRMED, Status.FAILED})

_WRITE_FIELDS = tuple(f.name for f in dataclasses.fields(Write) if f.init)


@dataclass(slots=True)
class Outcome:
    """What one flush achieved: counts per action, requests sent, and the failures."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    requests: int = 0
    failures: list[WriteFailure] = field(default_factory=list)

    @property
    def written(self) -> int:
        """Operations the server confirmed."""
        return self.created + self.updated + self.deleted


def apply_result(
    identity: IdentityMap, operation: Operation, item: ItemResult, outcome: Outcome
) -> bool:
    """Apply the server's answer to one operation; True when it was refused as overloaded
    (429), for the caller to send again."""
    status = item.get("status", 0)
    if status == REJECTED:
        return True
    if status >= 300 or "error" in item:
        fail(operation, item)
        return False
    operation.status = Status.CONFIRMED
    if operation.entry is None:  # a confirmed entity's answer is in its entry: not kept
        operation.result = item
    entry, action = operation.entry, operation.action
    if action == "delete":
        outcome.deleted += 1
        if entry is not None:
            identity.discard(entry)
    else:
        if action == "create":
            outcome.created += 1
        else:
            outcome.updated += 1
        if entry is not None:
            entry.mark_written(
                item["_seq_no"],
                item["_primary_term"],
                operation.snapshot,
                item.get("_index"),
                operation.writes or None,
            )
    if operation.on_outcome is not None:
        operation.on_outcome(operation)
    return False


def fail(operation: Operation, item: ItemResult) -> None:
    """Record a refused operation; its entry keeps its pre-commit state."""
    operation.status = Status.FAILED
    operation.result = item
    if operation.on_outcome is not None:
        operation.on_outcome(operation)


def failures_of(operations: Iterable[Operation]) -> list[WriteFailure]:
    """The reports of every refused operation, in the order they were planned."""
    return [
        failure(operation, operation.result)
        for operation in operations
        if operation.status is Status.FAILED and operation.result is not None
    ]


def failure(operation: Operation, item: ItemResult) -> WriteFailure:
    """The report of one refused operation, tied back to its entity."""
    write = operation
    status = int(item.get("status", 0))
    error = item.get("error")
    if isinstance(error, dict):
        kind, reason = error_type(error) or "unknown", error_reason(error, with_type=False)
    elif status == 404:
        kind, reason = "not_found", "the document does not exist (already deleted?)"
    else:
        kind, reason = "unknown", str(error or item.get("result", ""))
    entry = operation.entry
    return WriteFailure(
        entity=entry.entity if entry is not None else None,
        operation=write.action,
        index=entry.mapping.index if entry is not None else write.index,  # the name users know
        id=write.id,
        status=status,
        error_type=kind,
        reason=reason,
    )
