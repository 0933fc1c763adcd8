"""Guarded rewrites of the undelivered events a document holds: cleared, claimed, rescheduled.

They go through the commit's own machinery (`Sender`): guarded by the document's version
and carrying a write id, so a lost answer is settled by reading the document back and
nothing is applied twice. A conflict reads the document's events again and applies the
rewrite to what it holds now, a few times at most.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from esorm.events import StoredEvent, outbox_value
from esorm.mapping import OUTBOX_FIELD, WRITES_FIELD
from esorm.repository import Entry, IdentityMap
from esorm.store import DocumentStore, Refresh
from esorm.uow._bulk import BulkSettings, Sender
from esorm.uow._markers import chained, new_markers
from esorm.uow._outcome import Operation, Outcome, Status
from esorm.uow._writes import replace_fields

Rewrite = Callable[[tuple[StoredEvent, ...]], Sequence[StoredEvent] | None]
"""The events a document should hold instead of the ones it holds (None: leave it)."""

_CONFLICT = 409


@dataclass(eq=False)
class _Target:
    """One document to rewrite, as last known: its version, write ids and events."""

    entry: Entry
    rewrite: Rewrite
    seq_no: int | None
    primary_term: int | None
    writes: tuple[str, ...]
    events: tuple[StoredEvent, ...]
    tracked: bool
    """The target is its entry's own state, which a confirmed rewrite keeps in step."""
    result: tuple[StoredEvent, ...] | None = None


async def rewrite_outboxes(
    store: DocumentStore,
    identity: IdentityMap,
    targets: Sequence[tuple[Entry, Rewrite]],
    *,
    settings: BulkSettings,
    refresh: Refresh,
    attempts: int = 3,
) -> list[tuple[StoredEvent, ...] | None]:
    """Apply each rewrite to its entry's document; the events each holds afterwards, in
    order (None where the document is gone or kept conflicting).

    An entry `identity` tracks takes the new version, write ids and events; one it no
    longer tracks (its unit of work ended) is left as it is.

    Raises:
        TransportFailedError: the server could not be reached, or kept losing answers.
    """
    everything = [_target(identity, entry, rewrite) for entry, rewrite in targets]
    pending = everything
    markers = new_markers()
    for _ in range(attempts):
        planned: list[tuple[_Target, Operation, tuple[StoredEvent, ...]]] = []
        for target in pending:
            new = _rewritten(target)
            if new is not None:
                planned.append((target, _operation(target, new, next(markers)), new))
        if not planned:
            break
        sender = Sender(store, identity, settings, refresh, Outcome())
        await sender.send([operation for _, operation, _ in planned])
        conflicts = [t for t, op, new in planned if not _settled(t, op, new)]
        if not conflicts:
            break
        pending = await _reload(store, conflicts)
    return [target.result for target in everything]


def _target(identity: IdentityMap, entry: Entry, rewrite: Rewrite) -> _Target:
    return _Target(
        entry,
        rewrite,
        entry.seq_no,
        entry.primary_term,
        entry.writes,
        tuple(entry.outbox),
        tracked=identity.entry_of(entry.entity) is entry,
    )


def _rewritten(target: _Target) -> tuple[StoredEvent, ...] | None:
    """The events to write, or None when the rewrite leaves the document as it is."""
    if target.seq_no is None or target.primary_term is None:
        return None  # no confirmed version to guard the write with
    new = target.rewrite(target.events)
    if new is None:
        target.result = target.events
        return None
    return tuple(new)


def _operation(target: _Target, events: tuple[StoredEvent, ...], marker: str) -> Operation:
    entry = target.entry
    value = outbox_value(events)
    doc: dict[str, object] = {WRITES_FIELD: list(chained(marker, target.writes))}
    if value is not None:
        doc[OUTBOX_FIELD] = value
    source = replace_fields(doc, [] if value is not None else [OUTBOX_FIELD], entry)
    owner = entry if target.tracked else None
    return Operation(
        "update",
        entry.index,
        entry.id,
        source,
        entry.routing,
        target.seq_no,
        target.primary_term,
        marker=marker,
        entry=owner,
        snapshot=entry.snapshot if owner is not None else None,
    )


def _settled(target: _Target, operation: Operation, events: tuple[StoredEvent, ...]) -> bool:
    """Record the outcome of one rewrite; False when it conflicted and should be retried."""
    if operation.status is Status.CONFIRMED:
        target.result = events
        if target.tracked:
            target.entry.outbox = events  # its version and write ids: `mark_written`
        return True
    status = int((operation.result or {}).get("status", 0))
    return status != _CONFLICT  # gone (404) or refused: nothing more to do


async def _reload(store: DocumentStore, targets: list[_Target]) -> list[_Target]:
    """Read what each conflicting document holds now; the ones still there, to retry."""
    found: list[_Target] = []
    for target in targets:
        entry = target.entry
        hit = await store.get(
            entry.mapping, entry.id, routing=entry.routing, source=((OUTBOX_FIELD,), ())
        )
        if hit is None:
            continue
        source = hit.get("_source") or {}
        stored = source.get(OUTBOX_FIELD) or {}
        target.seq_no, target.primary_term = hit.get("_seq_no"), hit.get("_primary_term")
        target.writes = tuple(source.get(WRITES_FIELD) or ())
        target.events = tuple(stored.get("events") or ())
        target.tracked = False  # the entity's values are older than this version
        found.append(target)
    return found
