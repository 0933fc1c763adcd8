"""One flush per commit: planned changes, hooks around them, writes sent, outcomes applied.

The public `UnitOfWork` lives across commits; a `Flush` lives for one, as SQLAlchemy's
`UOWTransaction` does beside its `Session`. It keeps every operation until its outcome
is known, so nothing it sent is forgotten when a request fails.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from esorm.repository import Change, Entry, IdentityMap
from esorm.store import DocumentStore, Refresh, Write
from esorm.uow._bulk import BulkSettings, Sender
from esorm.uow._markers import new_markers
from esorm.uow._outcome import Operation, Outcome, Status
from esorm.uow._writes import write_for

_DEFAULTS = BulkSettings()


class FlushHook(Protocol):
    """Runs around every flush of a unit of work.

    `before_flush` sees the planned changes before anything is serialized: it may
    change their entities (timestamps) or `add` writes no entity owns; raising there
    refuses the commit with nothing sent. `after_flush` runs whatever happened (also
    after a refusal or a transport failure), in reverse order, with every operation's
    status known.
    """

    def before_flush(self, flush: Flush) -> None: ...

    def after_flush(self, flush: Flush) -> None: ...


class Flush:
    """The writes of one commit, from the changes the identity map holds to their outcome."""

    def __init__(
        self,
        store: DocumentStore,
        identity: IdentityMap,
        changes: Sequence[Change] = (),
        *,
        settings: BulkSettings = _DEFAULTS,
        now: datetime.datetime | None = None,
        hooks: Sequence[FlushHook] = (),
        outcome: Outcome | None = None,
    ) -> None:
        self.store = store
        self.identity = identity
        self.changes = changes
        self.now = now if now is not None else datetime.datetime.now(datetime.UTC)
        """The time of this commit (what timestamps are set to)."""
        self.operations: list[Operation] = []
        self.outcome = outcome if outcome is not None else Outcome()
        self._settings = settings
        self._hooks = hooks
        self._extra: list[Operation] = []
        self._beside: dict[int, dict[str, Any]] = {}

    def add(self, write: Write, on_outcome: Callable[[Operation], None] | None = None) -> Operation:
        """Send a write no tracked entity owns with this flush (from a `before_flush` hook).

        An `Operation` given as the write is sent as it is (no copy).
        """
        operation = write if isinstance(write, Operation) else Operation.of(write, on_outcome)
        if on_outcome is not None:
            operation.on_outcome = on_outcome
        self._extra.append(operation)
        return operation

    def store_beside(self, entry: Entry, name: str, value: Any) -> None:
        """Write a reserved field (`name`: a JSON-ready value) into a planned entry's document,
        in the same operation as its change (from a `before_flush` hook; the outbox does)."""
        self._beside.setdefault(id(entry), {})[name] = value

    def confirmed(self) -> list[Operation]:
        """The operations the server confirmed."""
        return [op for op in self.operations if op.status is Status.CONFIRMED]

    async def run(self, refresh: Refresh) -> Outcome:
        """Run the hooks, serialize every change, send, and apply what the server answered.

        Raises:
            InvalidEntityError: an entity cannot be stored; nothing was sent.
            TransportFailedError: the connection failed; see `send`.
        """
        ran: list[FlushHook] = []
        try:
            for hook in self._hooks:
                hook.before_flush(self)
                ran.append(hook)
            self.operations = self._serialize()
            if self.operations:
                sender = Sender(self.store, self.identity, self._settings, refresh, self.outcome)
                await sender.send(self.operations)
        finally:
            for hook in reversed(ran):
                hook.after_flush(self)
        return self.outcome

    def _serialize(self) -> list[Operation]:
        """Every change as a write, all checked before anything is sent: an entity that
        cannot be stored fails the whole commit up front instead of half-writing it.
        Whole documents are serialized again chunk by chunk as they are sent."""
        operations: list[Operation] = []
        append = operations.append
        markers = new_markers()
        beside = self._beside
        if beside:
            for entry, kind in self.changes:
                append(write_for(entry, kind, next(markers), beside.get(id(entry)), defer=True))
        else:
            for entry, kind in self.changes:
                append(write_for(entry, kind, next(markers), defer=True))
        operations.extend(self._extra)
        return operations
