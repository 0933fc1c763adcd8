"""Search requests and their results: body building, hit hydration, deep iteration with a PIT."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

from pydantic import BaseModel

from esorm.errors import QueryError
from esorm.mapping import EntityMapping
from esorm.query import QueryLike, SortLike, to_query_dict, to_sort_list
from esorm.repository._identity import SourceFilter
from esorm.repository._session import Session

if TYPE_CHECKING:
    from esorm.repository._relations import RelationPlan
from esorm.repository._transport import translate_errors

E = TypeVar("E", bound=BaseModel)

TIE_BREAKER: dict[str, Any] = {"_shard_doc": "asc"}
"""Unique per document within a point in time, so `search_after` never skips or repeats."""


@dataclass(frozen=True, slots=True)
class SearchResult(Generic[E]):
    """Entities of one search, the total (exact or a lower bound) and any aggregations."""

    items: list[E] = field(default_factory=list)
    total: int = 0
    total_is_exact: bool = True
    aggregations: dict[str, Any] = field(default_factory=dict)
    max_score: float | None = None

    def __iter__(self) -> Iterator[E]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def search_body(
    mapping: EntityMapping[Any],
    *,
    query: QueryLike | None = None,
    sort: SortLike | None = None,
    size: int | None = None,
    offset: int | None = None,
    source_includes: Sequence[str] | None = None,
    source_excludes: Sequence[str] | None = None,
    track_total_hits: bool | int = True,
    aggs: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Keyword arguments for `client.search`, checked before anything is sent."""
    if size is not None and size < 0:
        raise QueryError(f"size must not be negative, got {size}")
    if offset is not None and offset < 0:
        raise QueryError(f"from must not be negative, got {offset}")
    window = mapping.max_result_window
    if (offset or 0) + (size if size is not None else 10) > window:
        raise QueryError(
            f"{mapping.name}: from + size = {(offset or 0) + (size or 10)} is past the index's "
            f"max_result_window of {window}; use `iterate()` to walk deep result sets"
        )
    body: dict[str, Any] = {"seq_no_primary_term": True, "track_total_hits": track_total_hits}
    query_body = to_query_dict(query)
    if query_body is not None:
        body["query"] = query_body
    sort_body = to_sort_list(sort if sort is not None else mapping.default_sort, on=mapping)
    if sort_body:
        body["sort"] = sort_body
    if size is not None:
        body["size"] = size
    if offset:
        body["from_"] = offset
    if source_includes:
        body["source_includes"] = list(source_includes)
    if source_excludes:
        body["source_excludes"] = list(source_excludes)
    if aggs:
        body["aggregations"] = dict(aggs)
    return body


def source_filter_of(
    includes: Sequence[str] | None, excludes: Sequence[str] | None
) -> SourceFilter | None:
    """The filter a read asked for, as entries record it; None for the whole `_source`."""
    if not includes and not excludes:
        return None
    return (tuple(includes or ()), tuple(excludes or ()))


def read_result(
    session: Session,
    mapping: EntityMapping[E],
    response: Mapping[str, Any],
    *,
    source_filter: SourceFilter | None,
    track: bool = True,
    offset: int = 0,
) -> SearchResult[E]:
    """Hydrate every hit through the identity map and read totals and aggregations."""
    hits = response["hits"]
    items = session.hydrate_all(mapping, hits["hits"], source_filter=source_filter, track=track)
    total = hits.get("total")
    if total is None:  # not counted: all that is known is what this window holds
        total = {"value": offset + len(hits["hits"]), "relation": "gte"}
    elif isinstance(total, int):  # rest_total_hits_as_int style
        total = {"value": total, "relation": "eq"}
    return SearchResult(
        items=items,
        total=int(total["value"]),
        total_is_exact=total.get("relation", "eq") == "eq",
        aggregations=dict(response.get("aggregations") or {}),
        max_score=hits.get("max_score"),
    )


class HitStream(Generic[E]):
    """Every match, page by page, through a point in time and `search_after`.

    Memory stays bounded by the page size (entities are not tracked unless asked).
    The point in time is closed when the stream ends, fails, or is closed early: use
    `async with repo.iterate(...) as stream:` for a guaranteed close after `break`.
    """

    def __init__(
        self,
        session: Session,
        mapping: EntityMapping[E],
        *,
        query: QueryLike | None,
        sort: SortLike | None,
        page_size: int,
        routing: str | None,
        keep_alive: str,
        track: bool,
        source_includes: Sequence[str] | None,
        source_excludes: Sequence[str] | None,
        relations: RelationPlan | None = None,
    ) -> None:
        if page_size < 1:
            raise QueryError(f"page_size must be at least 1, got {page_size}")
        self._session = session
        self._mapping = mapping
        self._query = to_query_dict(query)
        self._sort = [
            *(to_sort_list(sort if sort is not None else mapping.default_sort, on=mapping) or []),
            TIE_BREAKER,
        ]
        self._page_size = page_size
        self._routing = routing
        self._keep_alive = keep_alive
        self._track = track
        self._includes = list(source_includes) if source_includes else None
        self._excludes = list(source_excludes) if source_excludes else None
        self._relations = relations
        self._pit_id: str | None = None
        self._buffer: list[E] = []
        self._after: list[Any] | None = None
        self._exhausted = False
        self._closed = False
        self.pages = 0

    @property
    def pit_id(self) -> str | None:
        """The point in time currently open, if any."""
        return self._pit_id

    def __aiter__(self) -> AsyncIterator[E]:
        return self

    async def __anext__(self) -> E:
        while not self._buffer:  # a page may hold only entities removed in this unit
            if self._exhausted or self._closed:
                await self.aclose()  # the last page was short: done, free the point in time
                raise StopAsyncIteration
            try:
                await self._fetch()
            except BaseException:
                await self.aclose()
                raise
        return self._buffer.pop()

    async def _fetch(self) -> None:
        with self._session.operation():  # a stream must not outlive its unit of work
            await self._fetch_page()

    async def _fetch_page(self) -> None:
        session, mapping = self._session, self._mapping
        if self._pit_id is None:
            params: dict[str, Any] = {"index": mapping.index, "keep_alive": self._keep_alive}
            if self._routing is not None:
                params["routing"] = self._routing
            with translate_errors(session.client, f"open point in time on {mapping.index}"):
                opened = await session.client.open_point_in_time(**params)
            self._pit_id = opened["id"]
        body: dict[str, Any] = {
            "pit": {"id": self._pit_id, "keep_alive": self._keep_alive},
            "size": self._page_size,
            "sort": self._sort,
            "seq_no_primary_term": True,
            "track_total_hits": False,
        }
        if self._query is not None:
            body["query"] = self._query
        if self._after is not None:
            body["search_after"] = self._after
        if self._includes:
            body["source_includes"] = self._includes
        if self._excludes:
            body["source_excludes"] = self._excludes
        with translate_errors(session.client, f"search {mapping.name}"):
            response = await session.client.search(**body)
        self.pages += 1
        self._pit_id = response.get("pit_id", self._pit_id)
        hits = response["hits"]["hits"]
        if len(hits) < self._page_size:
            self._exhausted = True
        if hits:
            self._after = hits[-1]["sort"]
        entities = session.hydrate_all(
            mapping,
            hits,
            source_filter=source_filter_of(self._includes, self._excludes),
            track=self._track,
        )
        if self._relations is not None:
            await self._relations.load(session, entities, track=self._track)
        entities.reverse()  # popped from the end
        self._buffer = entities

    async def aclose(self) -> None:
        """Close the point in time (idempotent); the stream yields nothing more."""
        self._closed = True
        self._buffer = []
        pit_id, self._pit_id = self._pit_id, None
        if pit_id is not None:
            with contextlib.suppress(Exception):
                await self._session.lenient.close_point_in_time(id=pit_id)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __del__(self) -> None:
        # a stream abandoned after `break` still frees its point in time, as async generators do
        if self._pit_id is not None:
            with contextlib.suppress(RuntimeError):
                task = asyncio.get_running_loop().create_task(self.aclose())
                _closing.add(task)
                task.add_done_callback(_closing.discard)


_closing: set[asyncio.Task[None]] = set()
