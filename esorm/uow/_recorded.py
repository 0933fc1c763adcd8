"""Entities that recorded events: written even when nothing else changed, dropped on rollback.

Only the buckets of entity types that record events are looked at, so commits of
entities that record none pay nothing for this.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from esorm.domain import forget_events, recorded_events
from esorm.mapping import EntityMapping
from esorm.repository import Change, IdentityMap, State


def with_recorded_events(
    identity: IdentityMap, sources: Sequence[EntityMapping[Any]], changes: list[Change]
) -> list[Change]:
    """`changes` plus a write of every unchanged tracked entity that recorded events.

    Its events go out only with a confirmed write of it, guarded by the version they were
    decided on, as a changed entity's do: if another writer changed it meanwhile, the
    write conflicts and the events stay with the entity.
    """
    planned: set[int] | None = None
    extra: list[Change] = []
    for mapping in sources:
        for found in identity.raw_bucket(mapping.entity, mapping.index).values():
            if not recorded_events(identity.entity_in(found)):
                continue
            entry = identity.entry(found)  # replaces a row in place: the loop goes on
            if entry.state is not State.CLEAN or entry.snapshot is None:
                continue
            if planned is None:
                planned = {id(planned_entry) for planned_entry, _ in changes}
            if id(entry) not in planned:
                extra.append((entry, "update" if entry.source_filter is not None else "index"))
    return [*changes, *extra] if extra else changes


def drop_recorded_events(identity: IdentityMap, sources: Sequence[EntityMapping[Any]]) -> None:
    """Forget the events of every tracked entity: the work that recorded them is discarded."""
    for mapping in sources:
        for found in identity.raw_bucket(mapping.entity, mapping.index).values():
            forget_events(identity.entity_in(found))
