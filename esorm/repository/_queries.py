"""The query side of a repository: search, pages, counts, aggregations, deep iteration.

Every method takes its query first and builds one `SearchRequest`; hits go through
the identity map.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeVar, Unpack

from pydantic import BaseModel

from esorm.errors import QueryError
from esorm.mapping import EntityMapping
from esorm.query import (
    EntityFields,
    OneOptions,
    Page,
    PageOptions,
    Pagination,
    QueryLike,
    SearchOptions,
    SearchRequest,
    SortLike,
    StreamOptions,
    bool_,
    fields,
    to_query_dict,
)
from esorm.repository._context import RepositoryContext
from esorm.repository._guard import guarded
from esorm.repository._relation_loading import plan_relations
from esorm.repository._results import SearchResult, read_result
from esorm.repository._stream import HitStream
from esorm.telemetry import span

E = TypeVar("E", bound=BaseModel)


class QueryMethods(Generic[E]):
    """Search-based reads of a repository; every hit goes through the identity map."""

    _context: RepositoryContext
    _mapping: EntityMapping[E]

    async def search(
        self, query: QueryLike | None = None, **options: Unpack[SearchOptions]
    ) -> SearchResult[E]:
        """Search with an esorm query or a raw DSL dict; hits come back as tracked entities.

        Options (all keyword, as `SearchRequest` takes them):
            sort: a `Sort`, a field name (`-name` descending), or a list; defaults to the
                entity's `default_sort`.
            size, offset: the window of hits (`from` in Elasticsearch), at most the
                index's `max_result_window` deep; use `iterate()` beyond it.
            search_after: the sort values of the previous page's last hit, instead of offset.
            track_total_hits: True counts exactly; a number stops counting there.
            aggs: aggregations to run beside the hits (in `result.aggregations`).
            source_includes, source_excludes: load only part of each document.
            routing: the shard routing value.
            load: relation paths to load for all hits at once (`["author"]`); None
                loads the registry's defaults. depth: how many hops defaults follow.
            track: False returns detached entities, outside the identity map.
            skip_unreadable: leave out stored documents that do not validate, listed in
                `result.unreadable`, instead of failing the whole search.
        """
        return await self.execute(SearchRequest(_checked(query, "search"), **options))

    @guarded
    async def execute(self, request: SearchRequest) -> SearchResult[E]:
        """Run a search request built beforehand (`search` builds one from its arguments)."""
        context, mapping = self._context, self._mapping
        plan = plan_relations(context.registry, mapping, request.load, request.depth)
        with span("esorm.search", **{"esorm.entity": mapping.name, "esorm.index": mapping.index}):
            response = await context.store.search(
                mapping, request.body(mapping), routing=request.routing
            )
        result = read_result(
            context.identity,
            mapping,
            response,
            source_filter=request.source_filter,
            track=request.track,
            offset=request.offset or 0,
            skip_unreadable=request.skip_unreadable,
        )
        if plan is not None:
            await plan.load(context, result.items, track=request.track)
        return result

    async def page(
        self,
        query: QueryLike | None = None,
        pagination: Pagination | None = None,
        **options: Unpack[PageOptions],
    ) -> Page[E]:
        """One page of matches with the total; the first page of 10 without `pagination`.

        `track_total_hits` as for `search`: a number caps the counting, and the page then
        says whether its total is exact or a lower bound. Other options as for `search`.
        """
        if pagination is None:
            pagination = Pagination()
        elif not isinstance(pagination, Pagination):
            raise QueryError(
                f"page() takes the query first, then a Pagination: page(query, pagination); "
                f"got {type(pagination).__name__} as pagination"
            )
        request = SearchRequest(
            _checked(query, "page"), size=pagination.size, offset=pagination.offset, **options
        )
        result = await self.execute(request)
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
        search_after: Sequence[Any] | None = None,
        track_total_hits: bool | int = True,
        aggs: Mapping[str, Any] | None = None,
        source_includes: Sequence[str] | None = None,
        source_excludes: Sequence[str] | None = None,
        routing: str | None = None,
        load: Sequence[str] | None = None,
        depth: int | None = None,
        track: bool = True,
        **field_values: Any,
    ) -> SearchResult[E]:
        """Documents whose fields equal the given values exactly (a list means any of them).

        Values go into `term`/`terms` queries, never parsed as query syntax, so `*`,
        `a OR b` or quotes match only themselves. Text fields use their keyword subfield.
        Field names may be dotted (`{"address.city": "Oslo"}`) and are checked; pass
        fields named like an option (`sort`, `size`, `load`...) in the mapping form.
        Options as for `search`.
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
        request = SearchRequest(
            bool_(filter=clauses),
            sort=sort,
            size=size,
            offset=offset,
            search_after=search_after,
            track_total_hits=track_total_hits,
            aggs=aggs,
            source_includes=source_includes,
            source_excludes=source_excludes,
            routing=routing,
            load=load,
            depth=depth,
            track=track,
        )
        return await self.execute(request)

    async def search_one(
        self, query: QueryLike | None = None, **options: Unpack[OneOptions]
    ) -> E | None:
        """The first match (by the given or default sort), or None. Options as for `search`."""
        request = SearchRequest(
            _checked(query, "search_one"), size=1, track_total_hits=False, **options
        )
        result = await self.execute(request)
        return result.items[0] if result.items else None

    @guarded
    async def count(self, query: QueryLike | None = None, *, routing: str | None = None) -> int:
        """The exact number of matches (not capped at 10,000)."""
        return await self._context.store.count(
            self._mapping, to_query_dict(_checked(query, "count")), routing=routing
        )

    @guarded
    async def aggregate(
        self,
        query: QueryLike | None = None,
        aggs: Mapping[str, Any] | None = None,
        *,
        routing: str | None = None,
    ) -> dict[str, Any]:
        """Run aggregations over a query's matches (every document for None); their results."""
        if not aggs or not isinstance(aggs, Mapping):
            raise QueryError(
                "aggregate() needs at least one aggregation, after the query: "
                "aggregate(query, {'name': {...}}) or aggregate(aggs={...})"
            )
        request = SearchRequest(
            _checked(query, "aggregate"), size=0, aggs=aggs, track_total_hits=False
        )
        response = await self._context.store.search(
            self._mapping, request.body(self._mapping), routing=routing
        )
        return dict(response.get("aggregations") or {})

    async def all(
        self, query: QueryLike | None = None, **options: Unpack[StreamOptions]
    ) -> list[E]:
        """Every match (every document for None), tracked; ESORM's `all()` stops at 10.

        Streams through a point in time like `iterate`, whose options it takes.
        """
        options.setdefault("track", True)
        async with self.iterate(query, **options) as stream:
            return [entity async for entity in stream]

    def iterate(
        self, query: QueryLike | None = None, **options: Unpack[StreamOptions]
    ) -> HitStream[E]:
        """Stream every match in sort order through a point in time and `search_after`.

        Entities are not tracked by default, so memory stays bounded by `page_size`
        (1000 by default); pass `track=True` to change and commit them. The point in time
        lives `keep_alive` ("2m") between pages and closes when the stream ends, on
        `async with` exit, or when the unit of work ends. Relations (`load`, `depth` as
        for `search`) load page by page, tracked like the hits.
        """
        self._context.guard.check()
        request = SearchRequest(
            _checked(query, "iterate"),
            sort=options.get("sort"),
            source_includes=options.get("source_includes"),
            source_excludes=options.get("source_excludes"),
            routing=options.get("routing"),
            load=options.get("load"),
            depth=options.get("depth"),
            track=options.get("track", False),
        )
        plan = plan_relations(self._context.registry, self._mapping, request.load, request.depth)

        async def load_relations(entities: list[Any]) -> None:
            assert plan is not None
            await plan.load(self._context, entities, track=request.track)

        return HitStream(
            self._context,
            self._mapping,
            request,
            page_size=options.get("page_size", 1000),
            keep_alive=options.get("keep_alive", "2m"),
            on_page=load_relations if plan is not None else None,
        )


def _checked(query: QueryLike | None, method: str) -> QueryLike | None:
    """Refuse a pagination value where the query goes: the old `page(pagination, query)`."""
    if isinstance(query, Pagination):
        raise QueryError(
            f"{method}() takes the query first: {method}(query, pagination); got a Pagination "
            f"as the query"
        )
    return query
