"""The document store: the one seam between repositories, the unit of work and a server."""

from esorm.store._elasticsearch import ElasticsearchStore, as_store, point_in_time_gone
from esorm.store._protocol import (
    DocRef,
    DocumentStore,
    Hit,
    ItemResult,
    Refresh,
    SearchResponse,
)
from esorm.store._write import VersionType, Write, WriteAction

__all__ = [
    "DocRef",
    "DocumentStore",
    "ElasticsearchStore",
    "Hit",
    "ItemResult",
    "Refresh",
    "SearchResponse",
    "VersionType",
    "Write",
    "WriteAction",
    "as_store",
    "point_in_time_gone",
]
