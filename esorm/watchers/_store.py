"""The runner's own indices (watch states and history), under the application's prefix."""

from __future__ import annotations

from elasticsearch import AsyncElasticsearch

from esorm.indices import IndexManager
from esorm.mapping import Registry
from esorm.watchers._history import WatchRecord
from esorm.watchers._status import WatchState

STATE_INDEX = "watcher-state"
HISTORY_INDEX = "watcher-history"


def store_registry(prefix: str) -> Registry:
    """A registry of the lease/state and history entities, with the application's prefix."""
    registry = Registry(prefix=prefix)
    registry.register(WatchState, index=STATE_INDEX)
    registry.register(WatchRecord, index=HISTORY_INDEX)
    return registry


async def ensure_indices(client: AsyncElasticsearch, registry: Registry) -> None:
    """Create (or reconcile) the state and history indices; idempotent."""
    await IndexManager(client, registry).create_all()
