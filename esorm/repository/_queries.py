"""The query side of a repository: search, count, aggregate, deep iteration; all hits tracked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel

from esorm.errors import QueryError
from esorm.mapping import EntityMapping
from esorm.repository._search import HitStream, SearchResult, read_result, search_body
from esorm.repository._session import Session
from esorm.repository._transport import translate_errors

if TYPE_CHECKING:
    from esorm.query import Page, Pagination

E = TypeVar("E", bound=BaseModel)


class QueryMethods(Generic[E]):
    """Search-based reads of a repository; every hit goes through the identity map."""

    _session: Session
    _mapping: EntityMapping[E]

    async def search(
        self,
        query: Any = None,
        *,
        sort: Any = None,
        size: int | None = None,
        offset: int | None = None,
        source_includes: Sequence[str] | None = None,
        source_excludes: Sequence[str] | None = None,
        routing: str | None = None,
        track_total_hits: bool | int = True,
        aggs: Mapping[str, Any] | None = None,
    ) -> SearchResult[E]:
        """Search with an esorm query or a raw DSL dict; hits come back as tracked entities.

        Args:
            sort: a `Sort`, a field name (`-name` descending), or a list; defaults to the
                entity's `default_sort`.
            size, offset: the window of hits (`from` in Elasticsearch), at most the
                index's `max_result_window` deep; use `iterate()` beyond it.
            track_total_hits: True counts exactly; a number stops counting there.
        """
        self._session.guard()
        body = search_body(
            self._mapping,
            query=query,
            sort=sort,
            size=size,
            offset=offset,
            source_includes=source_includes,
            source_excludes=source_excludes,
            track_total_hits=track_total_hits,
            aggs=aggs,
        )
        response = await self._send_search(body, routing)
        return read_result(
            self._session,
            self._mapping,
            response,
            source_filtered=bool(source_includes or source_excludes),
        )

    async def page(
        self,
        pagination: Pagination,
        query: Any = None,
        *,
        sort: Any = None,
        routing: str | None = None,
        source_includes: Sequence[str] | None = None,
        source_excludes: Sequence[str] | None = None,
    ) -> Page[E]:
        """One page of matches with the total, as a pagination value asked for."""
        from esorm.query import Page

        result = await self.search(
            query,
            sort=sort,
            size=pagination.size,
            offset=pagination.offset,
            routing=routing,
            source_includes=source_includes,
            source_excludes=source_excludes,
        )
        return Page(
            items=result.items,
            total=result.total,
            total_is_exact=result.total_is_exact,
            page=pagination.page,
            page_size=pagination.page_size,
        )

    async def search_one(self, query: Any = None, **options: Any) -> E | None:
        """The first match (by the given or default sort), or None."""
        result = await self.search(query, size=1, track_total_hits=False, **options)
        return result.items[0] if result.items else None

    async def count(self, query: Any = None, *, routing: str | None = None) -> int:
        """The exact number of matches (not capped at 10,000)."""
        from esorm.repository._search import query_dict

        self._session.guard()
        params: dict[str, Any] = {"index": self._mapping.index}
        query_body = query_dict(query)
        if query_body is not None:
            params["query"] = query_body
        if routing is not None:
            params["routing"] = routing
        with translate_errors(self._session.client, f"count {self._mapping.name}"):
            response = await self._session.client.count(**params)
        return int(response["count"])

    async def aggregate(
        self, aggs: Mapping[str, Any], query: Any = None, *, routing: str | None = None
    ) -> dict[str, Any]:
        """Run aggregations (optionally over a query's matches) and return their results."""
        if not aggs:
            raise QueryError("aggregate() needs at least one aggregation")
        body = search_body(self._mapping, query=query, size=0, aggs=aggs, track_total_hits=False)
        response = await self._send_search(body, routing)
        return dict(response.get("aggregations") or {})

    async def all(self, *, sort: Any = None, routing: str | None = None) -> list[E]:
        """Every document of the index, tracked (ESORM's `all()` stops at 10)."""
        async with self.iterate(sort=sort, routing=routing, track=True) as stream:
            return [entity async for entity in stream]

    def iterate(
        self,
        query: Any = None,
        *,
        sort: Any = None,
        page_size: int = 1000,
        routing: str | None = None,
        keep_alive: str = "2m",
        track: bool = False,
        source_includes: Sequence[str] | None = None,
        source_excludes: Sequence[str] | None = None,
    ) -> HitStream[E]:
        """Stream every match in sort order through a point in time and `search_after`.

        Entities are not tracked by default, so memory stays bounded by `page_size`;
        pass `track=True` to change and commit them. Close early with `async with`.
        """
        self._session.guard()
        return HitStream(
            self._session,
            self._mapping,
            query=query,
            sort=sort,
            page_size=page_size,
            routing=routing,
            keep_alive=keep_alive,
            track=track,
            source_includes=source_includes,
            source_excludes=source_excludes,
        )

    async def _send_search(self, body: dict[str, Any], routing: str | None) -> Any:
        params = {"index": self._mapping.index, **body}
        if routing is not None:
            params["routing"] = routing
        with translate_errors(self._session.client, f"search {self._mapping.name}"):
            return await self._session.client.search(**params)
