"""What the repositories of one unit of work share: store, registry, identity map, guard."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

from esorm.mapping import Registry
from esorm.repository._guard import TaskGuard
from esorm.repository._identity import IdentityMap
from esorm.store import DocumentStore


@dataclass(eq=False, slots=True)
class RepositoryContext:
    """The state behind a unit of work's repositories; the unit of work owns and flushes it.

    Attributes:
        store: where documents are read (and, by the unit of work, written).
        registry: how each entity type is stored.
        identity: the tracked entities, one instance per document.
        guard: the one-task-at-a-time check every operation runs under.
        relation_concurrency: the most requests relation loading keeps in flight.
        streams: the streams opened in this unit, closed when it ends.
    """

    store: DocumentStore
    registry: Registry
    identity: IdentityMap = field(default_factory=IdentityMap)
    guard: TaskGuard = field(default_factory=TaskGuard)
    relation_concurrency: int = 16
    streams: weakref.WeakSet[Any] = field(default_factory=weakref.WeakSet)

    def __post_init__(self) -> None:
        if self.relation_concurrency < 1:
            raise ValueError("relation_concurrency must be at least 1")
