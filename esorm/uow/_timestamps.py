"""Timestamps as a flush hook: `created_at` on the first write, `updated_at` on every write."""

from __future__ import annotations

from typing import Any

from esorm.repository import Entry
from esorm.uow._flush import Flush
from esorm.uow._outcome import Status


class TimestampHook:
    """Stamps the entities a flush writes, and puts the old values back where the server
    did not confirm the write (refused, not sent, or the commit failed before sending)."""

    __slots__ = ("_stamped",)

    def __init__(self) -> None:
        self._stamped: list[tuple[Entry, Any, Any]] = []

    def before_flush(self, flush: Flush) -> None:
        stamped = self._stamped = []
        now = flush.now
        for entry, kind in flush.changes:
            stamps = entry.mapping.timestamps
            if stamps is None or kind == "delete":
                continue
            entity = entry.entity
            created, updated = getattr(entity, stamps.created), getattr(entity, stamps.updated)
            stamped.append((entry, created, updated))
            if (kind == "create" or entry.first_write) and created is None:
                setattr(entity, stamps.created, now)
            setattr(entity, stamps.updated, now)
            if kind == "create" and entry.snapshot:  # esorm's own values: no change to check
                entry.snapshot[stamps.created] = getattr(entity, stamps.created)
                entry.snapshot[stamps.updated] = now

    def after_flush(self, flush: Flush) -> None:
        if not self._stamped:
            return
        written = {id(op.entry) for op in flush.operations if op.status is Status.CONFIRMED}
        for entry, created, updated in reversed(self._stamped):
            if id(entry) not in written:
                stamps = entry.mapping.timestamps
                assert stamps is not None
                setattr(entry.entity, stamps.created, created)
                setattr(entry.entity, stamps.updated, updated)
        self._stamped = []
