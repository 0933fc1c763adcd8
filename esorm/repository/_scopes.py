"""Scopes of a unit of work: what a joined `async with` block found, so its end can undo it.

A block entered inside an active unit of work (a use case called by an endpoint whose
request-scoped unit is open) is a scope of it. When the scope ends, what it left
uncommitted is undone: entities it started tracking and did not write are forgotten,
entities it found and changed without writing are put back as it found them, and the
domain events recorded in the scope and not written are dropped with the changes. A scope
that ends with an error also forgets everything it loaded, and reloads in place the
entities it found that its commit reported as conflicting, so a retry starts fresh.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from esorm.domain import forget_events, recorded_events
from esorm.errors import CommitError, EsormError
from esorm.repository._context import RepositoryContext
from esorm.repository._hydration import complete
from esorm.repository._identity import Entry, State
from esorm.repository._snapshots import EXTRA, UNTRACKED, take_snapshot


@dataclass(frozen=True, slots=True)
class _Found:
    """An entry as the scope found it; `values` only when it had changes of its own then."""

    state: State
    seq_no: int | None
    primary_term: int | None
    guarded: bool
    first_write: bool
    snapshot: dict[str, Any] | None
    values: dict[str, Any] | None
    events: frozenset[str]


@dataclass(frozen=True, slots=True)
class ScopeMark:
    """The identity map as a joined block found it, and what the unit had written by then."""

    found: dict[int, tuple[Entry, _Found]]
    written_before: int

    @classmethod
    def take(cls, context: RepositoryContext, written_before: int) -> ScopeMark:
        """Mark where a joined block begins (one pass over the tracked entries)."""
        found = {}
        for entry in context.identity:
            pending = entry.state is not State.CLEAN or entry.changed_since_snapshot()
            values = take_snapshot(entry.entity, entry.mapping.relation_fields) if pending else None
            found[id(entry)] = (
                entry,
                _Found(
                    entry.state,
                    entry.seq_no,
                    entry.primary_term,
                    entry.guarded,
                    entry.first_write,
                    entry.snapshot,
                    values,
                    frozenset(event.id for event in recorded_events(entry.entity)),
                ),
            )
        return cls(found, written_before)

    def undo(self, context: RepositoryContext, *, forget_loaded: bool) -> None:
        """Undo what the scope did not write; with `forget_loaded`, forget all it loaded."""
        identity = context.identity
        for entry in identity:
            known = self.found.get(id(entry))
            if known is None or known[0] is not entry:
                if forget_loaded or _pending(entry):
                    identity.discard(entry)
                    forget_events(entry.entity)
                continue
            _put_back(entry, known[1])
            _drop_events_since(entry, known[1].events)

    async def reload_conflicts(self, context: RepositoryContext, error: BaseException) -> None:
        """Reload in place the entities this scope found that its commit saw conflict, unless
        they held changes of the enclosing scope (those are never overwritten)."""
        if not isinstance(error, CommitError):
            return
        entries = _found_conflicts(self, context, error.failures)
        for entry in entries:
            try:
                hit = await context.store.get(entry.mapping, entry.id, routing=entry.routing)
            except EsormError:
                return  # the retry meets the conflict again and says so
            if hit is None:
                context.identity.discard(entry)
            else:
                complete(entry, hit)


def _found_conflicts(
    mark: ScopeMark, context: RepositoryContext, failures: Iterable[Any]
) -> list[Entry]:
    entries = []
    for failure in failures:
        if not failure.is_conflict or failure.entity is None:
            continue
        entry = context.identity.entry_of(failure.entity)
        known = mark.found.get(id(entry)) if entry is not None else None
        if entry is not None and known is not None and known[1].values is None:
            entries.append(entry)
    return entries


def _pending(entry: Entry) -> bool:
    return entry.state is not State.CLEAN or entry.changed_since_snapshot()


def _put_back(entry: Entry, found: _Found) -> None:
    """An entry the scope found, as it was then (or as last written, if the scope wrote it)."""
    written = (entry.seq_no, entry.primary_term) != (found.seq_no, found.primary_term)
    if written:
        if _pending(entry):
            entry.state = State.CLEAN
            _restore(entry, entry.snapshot or {})
        return
    entry.state = found.state
    entry.guarded = found.guarded
    entry.first_write = found.first_write
    entry.snapshot = found.snapshot
    if found.values is not None:
        _restore(entry, found.values)
    elif entry.changed_since_snapshot():
        _restore(entry, found.snapshot or {})


def _drop_events_since(entry: Entry, found: frozenset[str]) -> None:
    """Drop the events the entity recorded in the scope (those found at its start stay;
    events a commit of the scope wrote are already taken)."""
    events = recorded_events(entry.entity)
    if events:
        forget_events(entry.entity, {event.id for event in events if event.id not in found})


def _restore(entry: Entry, values: dict[str, Any]) -> None:
    """Set an entity's field values back to `values` (a snapshot); relations stay."""
    entity = entry.entity
    current = entity.__dict__
    for name in [key for key in current if key not in type(entity).model_fields]:
        del current[name]  # cached properties computed from the changed values
    for name, value in values.items():
        if name == EXTRA:
            object.__setattr__(entity, "__pydantic_extra__", copy.deepcopy(value))
        elif value is not UNTRACKED and name in type(entity).model_fields:
            current[name] = copy.deepcopy(value)
