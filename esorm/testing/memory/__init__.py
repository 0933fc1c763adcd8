"""An in-memory document store with Elasticsearch's semantics, for service-layer tests."""

from esorm.testing.memory._store import InMemoryStore

__all__ = ["InMemoryStore"]
