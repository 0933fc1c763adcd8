"""The document store: the one seam between esorm's repositories and unit of work and a server.

Everything that reads or writes documents goes through a `DocumentStore`; nothing
above it sees a client. Requests and answers keep Elasticsearch's own JSON shapes
(search bodies, hits, bulk items), so an implementation that is not Elasticsearch
(an in-memory one for service-layer tests) keeps the same semantics by construction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol, TypeAlias, TypedDict, runtime_checkable

from esorm.mapping import EntityMapping
from esorm.query import SourceFilter
from esorm.store._write import Write

Refresh: TypeAlias = bool | Literal["wait_for"]
"""When written documents become visible to searches: now, when the next refresh ran, or
whenever the index refreshes on its own (False)."""


class Hit(TypedDict, total=False):
    """A document as a server returns it from get, mget and search."""

    _index: str
    _id: str
    _source: dict[str, Any]
    _seq_no: int
    _primary_term: int
    _version: int
    _routing: str
    found: bool
    sort: list[Any]


SearchResponse: TypeAlias = Mapping[str, Any]
"""A search answer as Elasticsearch shapes it: `hits` (`total`, `hits`), `aggregations`,
`pit_id`."""

ItemResult: TypeAlias = Mapping[str, Any]
"""The answer to one bulk item: `status`, `_index`, `_id`, `_seq_no`, `_primary_term`,
`result`, or `error`."""

DocRef: TypeAlias = tuple[str, str | None]
"""A document id and its routing (None: default routing)."""


@runtime_checkable
class DocumentStore(Protocol):
    """What repositories and the unit of work need from a server, and nothing more.

    Reads take the entity's mapping and go to its read target (its index name; an
    alias after a migration); writes name the concrete index they go to. Failures
    arrive as esorm errors: `IndexMissingError`, `QueryError` for a refused request,
    `ConnectionFailedError` when the server cannot be reached.
    """

    def write_target(self, mapping: EntityMapping[Any]) -> str:
        """The name new documents of this entity are created under (its alias)."""
        ...

    async def write_index(self, mapping: EntityMapping[Any]) -> str:
        """The concrete index the entity's writes go to now (its alias resolved)."""
        ...

    async def get(
        self,
        mapping: EntityMapping[Any],
        doc_id: str,
        *,
        routing: str | None = None,
        source: SourceFilter | None = None,
    ) -> Hit | None:
        """One document by id, or None when it does not exist."""
        ...

    async def mget(
        self,
        mapping: EntityMapping[Any],
        refs: Sequence[DocRef],
        *,
        source: SourceFilter | None = None,
    ) -> list[Hit | None]:
        """Many documents in one request, in the order asked; None for each missing one."""
        ...

    async def exists(
        self, mapping: EntityMapping[Any], doc_id: str, *, routing: str | None = None
    ) -> bool:
        """Whether a document exists (`IndexMissingError` when its index does not)."""
        ...

    async def search(
        self,
        mapping: EntityMapping[Any],
        body: Mapping[str, Any],
        *,
        routing: str | None = None,
    ) -> SearchResponse:
        """Run a search body (`query`, `sort`, `size`, `from`, `search_after`, `_source`,
        `aggs`, `track_total_hits`, `seq_no_primary_term`) on the entity's documents."""
        ...

    async def count(
        self,
        mapping: EntityMapping[Any],
        query: Mapping[str, Any] | None = None,
        *,
        routing: str | None = None,
    ) -> int:
        """The exact number of documents matching a query (all of them for None)."""
        ...

    async def open_point_in_time(
        self, mapping: EntityMapping[Any], *, keep_alive: str, routing: str | None = None
    ) -> str:
        """Open a point in time over the entity's documents; returns its id."""
        ...

    async def search_point_in_time(
        self, mapping: EntityMapping[Any], body: Mapping[str, Any]
    ) -> SearchResponse:
        """Run a search body whose `pit` names an open point in time."""
        ...

    async def close_point_in_time(self, pit_id: str) -> None:
        """Close a point in time; closing one that is gone is not an error."""
        ...

    async def bulk(self, writes: Sequence[Write], *, refresh: Refresh = False) -> list[ItemResult]:
        """Send writes as one bulk request, once: one result per write, in order.

        Nothing below the store sends it again. A request the server refuses as a whole
        (429, 400, 413) comes back as that refusal repeated for every write, so callers
        handle item and request failures alike.

        Raises:
            OutcomeUnknownError: the request went out but no readable, complete answer
                came back (a dropped connection, a timeout, a 5xx, a garbled body, too
                few items): the server may have applied any of the writes.
            ClusterAccessError: credentials refused (401/403); nothing was applied.
            ConnectionFailedError: the server could not be reached; nothing was sent.
        """
        ...

    async def read_back(self, writes: Sequence[Write]) -> list[Hit | None]:
        """What the server holds now for the documents `writes` went to, in order (None:
        no such document): `_seq_no`, `_primary_term`, `_version` and, in `_source`,
        only the ids of the document's latest writes (`WRITES_FIELD`)."""
        ...

    async def refresh(self, mapping: EntityMapping[Any]) -> None:
        """Make every write to the entity's index visible to searches."""
        ...
