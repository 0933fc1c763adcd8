"""The query side of a repository: search, count, aggregate, deep iteration; all hits tracked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from esorm.errors import QueryError
from esorm.mapping import EntityMapping
from esorm.query import (
    EntityFields,
    Page,
    Pagination,
    QueryLike,
    SortLike,
    bool_,
    fields,
    to_query_dict,
)
from esorm.repository._relations import plan_relations
from esorm.repository._search import (
    HitStream,
    SearchResult,
    read_result,
    search_body,
    source_filter_of,
)
from esorm.repository._session import Session, operation
from esorm.repository._transport import translate_errors

E = TypeVar("E", bound=BaseModel)


class QueryMethods(Generic[E]):
    """Search-based reads of a repository; every hit goes through the identity map."""

    _session: Session
    _mapping: EntityMapping[E]

    @operation
    async def search(
        self,
        query: QueryLike | None = None,
        *,
        sort: SortLike | None = None,
        size: int | None = None,
        offset: int | None = None,
        source_includes: Sequence[str] | None = None,
        source_excludes: Sequence[str] | None = None,
        routing: str | None = None,
        track_total_hits: bool | int = True,
        aggs: Mapping[str, Any] | None = None,
        load: Sequence[str] | None = None,
        depth: int | None = None,
    ) -> SearchResult[E]:
        """Search with an esorm query or a raw DSL dict; hits come back as tracked entities.

        Args:
            sort: a `Sort`, a field name (`-name` descending), or a list; defaults to the
                entity's `default_sort`.
            size, offset: the window of hits (`from` in Elasticsearch), at most the
                index's `max_result_window` deep; use `iterate()` beyond it.
            track_total_hits: True counts exactly; a number stops counting there.
            load: relation paths to load for all hits at once (`["author"]`); None
                loads the registry's defaults.
            depth: how many hops default relations follow (the registry's by default).
        """
        plan = plan_relations(self._session.registry, self._mapping, load, depth)
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
        result = read_result(
            self._session,
            self._mapping,
            response,
            source_filter=source_filter_of(source_includes, source_excludes),
            offset=offset or 0,
        )
        if plan is not None:
            await plan.load(self._session, result.items)
        return result

    async def page(
        self,
        pagination: Pagination,
        query: QueryLike | None = None,
        *,
        sort: SortLike | None = None,
        routing: str | None = None,
        source_includes: Sequence[str] | None = None,
        source_excludes: Sequence[str] | None = None,
        load: Sequence[str] | None = None,
        depth: int | None = None,
        track_total_hits: bool | int = True,
    ) -> Page[E]:
        """One page of matches with the total, as a pagination value asked for.

        `track_total_hits` as for `search`: a number caps the counting, and the page then
        says whether its total is exact or a lower bound.
        """
        result = await self.search(
            query,
            sort=sort,
            size=pagination.size,
            offset=pagination.offset,
            track_total_hits=track_total_hits,
            routing=routing,
            source_includes=source_includes,
            source_excludes=source_excludes,
            load=load,
            depth=depth,
        )
        return Page(
            items=result.items,
            total=result.total,
            total_is_exact=result.total_is_exact,
            page=pagination.page,
            page_size=pagination.page_size,
        )

    @property
    def fields(self) -> EntityFields:
        """Typo-checked field expressions of this entity: `repo.fields.first_name == "Ann"`."""
        cached: EntityFields | None = self.__dict__.get("_fields")
        if cached is None:
            cached = fields(self._mapping)
            self.__dict__["_fields"] = cached
        return cached

    async def search_by_fields(
        self,
        values: Mapping[str, Any] | None = None,
        /,
        *,
        sort: SortLike | None = None,
        size: int | None = None,
        offset: int | None = None,
        routing: str | None = None,
        load: Sequence[str] | None = None,
        depth: int | None = None,
        **field_values: Any,
    ) -> SearchResult[E]:
        """Documents whose fields equal the given values exactly (a list means any of them).

        Values go into `term`/`terms` queries, never parsed as query syntax, so `*`,
        `a OR b` or quotes match only themselves. Text fields use their keyword subfield.
        Field names may be dotted (`{"address.city": "Oslo"}`) and are checked; pass
        fields named like an option (`sort`, `size`, `load`...) in the mapping form.
        """
        wanted = {**(values or {}), **field_values}
        if not wanted:
            raise QueryError("search_by_fields() needs at least one field value")
        refs = self.fields
        clauses = [
            refs[name].in_(list(value))
            if isinstance(value, list | tuple | set | frozenset)
            else refs[name] == value
            for name, value in wanted.items()
        ]
        return await self.search(
            bool_(filter=clauses),
            sort=sort,
            size=size,
            offset=offset,
            routing=routing,
            load=load,
            depth=depth,
        )

    async def search_one(self, query: QueryLike | None = None, **options: Any) -> E | None:
        """The first match (by the given or default sort), or None."""
        result = await self.search(query, size=1, track_total_hits=False, **options)
        return result.items[0] if result.items else None

    @operation
    async def count(self, query: QueryLike | None = None, *, routing: str | None = None) -> int:
        """The exact number of matches (not capped at 10,000)."""
        params: dict[str, Any] = {"index": self._mapping.index}
        query_body = to_query_dict(query)
        if query_body is not None:
            params["query"] = query_body
        if routing is not None:
            params["routing"] = routing
        with translate_errors(self._session.client, f"count {self._mapping.name}"):
            response = await self._session.client.count(**params)
        return int(response["count"])

    @operation
    async def aggregate(
        self, aggs: Mapping[str, Any], query: QueryLike | None = None, *, routing: str | None = None
    ) -> dict[str, Any]:
        """Run aggregations (optionally over a query's matches) and return their results."""
        if not aggs:
            raise QueryError("aggregate() needs at least one aggregation")
        body = search_body(self._mapping, query=query, size=0, aggs=aggs, track_total_hits=False)
        response = await self._send_search(body, routing)
        return dict(response.get("aggregations") or {})

    async def all(
        self,
        *,
        sort: SortLike | None = None,
        routing: str | None = None,
        load: Sequence[str] | None = None,
        depth: int | None = None,
    ) -> list[E]:
        """Every document of the index, tracked (ESORM's `all()` stops at 10)."""
        async with self.iterate(
            sort=sort, routing=routing, track=True, load=load, depth=depth
        ) as stream:
            return [entity async for entity in stream]

    def iterate(
        self,
        query: QueryLike | None = None,
        *,
        sort: SortLike | None = None,
        page_size: int = 1000,
        routing: str | None = None,
        keep_alive: str = "2m",
        track: bool = False,
        source_includes: Sequence[str] | None = None,
        source_excludes: Sequence[str] | None = None,
        load: Sequence[str] | None = None,
        depth: int | None = None,
    ) -> HitStream[E]:
        """Stream every match in sort order through a point in time and `search_after`.

        Entities are not tracked by default, so memory stays bounded by `page_size`;
        pass `track=True` to change and commit them. Close early with `async with`.
        Relations (`load`, `depth` as for `search`) load page by page, tracked like the hits.
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
            relations=plan_relations(self._session.registry, self._mapping, load, depth),
        )

    async def _send_search(self, body: dict[str, Any], routing: str | None) -> Any:
        params = {"index": self._mapping.index, **body}
        if routing is not None:
            params["routing"] = routing
        with translate_errors(self._session.client, f"search {self._mapping.name}"):
            return await self._session.client.search(**params)
