"""One search as a value: what to match, which window, which fields, what to load and track."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from esorm._internal.frozen import FrozenMap, freeze, thaw
from esorm.errors import QueryError
from esorm.mapping import OUTBOX_FIELD, WRITES_FIELD
from esorm.query._query import Query, QueryLike, as_query
from esorm.query._sort import Sort, SortLike, _as_sort, to_sort_list

if TYPE_CHECKING:
    from esorm.mapping import EntityMapping

SourceFilter = tuple[tuple[str, ...], tuple[str, ...]]
"""The `_source` includes and excludes a read asked for (and an entity was loaded with)."""

DEFAULT_SIZE = 10
"""Elasticsearch's window when a search names no size."""


def source_filter_of(
    includes: Sequence[str] | None, excludes: Sequence[str] | None
) -> SourceFilter | None:
    """The filter a read asked for, as entries record it; None for the whole `_source`."""
    if not includes and not excludes:
        return None
    return (_names(includes, "source_includes"), _names(excludes, "source_excludes"))


def source_body(source: SourceFilter | None) -> dict[str, list[str]] | None:
    """The `_source` object of a request body for a filter, or None for the whole source.

    Included fields always bring the ids of the document's latest writes, which its
    next write carries on (`WRITES_FIELD`), and any undelivered events (`OUTBOX_FIELD`).
    """
    if source is None:
        return None
    includes, excludes = source
    body: dict[str, list[str]] = {}
    if includes:
        body["includes"] = [*includes, WRITES_FIELD, OUTBOX_FIELD]
    if excludes:
        body["excludes"] = list(excludes)
    return body


class FetchOptions(TypedDict, total=False):
    """What every read accepts: which fields of each document, and which relations."""

    source_includes: Sequence[str] | None
    source_excludes: Sequence[str] | None
    load: Sequence[str] | None
    depth: int | None


class ReadOptions(FetchOptions, total=False):
    """A read's options, with the shard routing value (for routed entities)."""

    routing: str | None


class OneOptions(ReadOptions, total=False):
    """What `search_one` accepts beside its query: the order, and whether to track."""

    sort: SortLike | None
    track: bool


class PageOptions(OneOptions, total=False):
    """What a page of a search accepts beside its query and pagination."""

    track_total_hits: bool | int


class SearchOptions(PageOptions, total=False):
    """What a search accepts beside its query: window, order, totals, aggregations, tracking."""

    size: int | None
    offset: int | None
    search_after: Sequence[Any] | None
    aggs: Mapping[str, Any] | None
    skip_unreadable: bool


class StreamOptions(OneOptions, total=False):
    """What a stream over every match accepts: page size and point-in-time keep-alive."""

    page_size: int
    keep_alive: str


@dataclass(frozen=True, slots=True, init=False)
class SearchRequest:
    """One search, built once by the public methods and passed down whole.

    Immutable: `replace(...)` returns a changed copy. Checked when built (negative
    sizes, `offset` beside `search_after`) and again against the index's
    `max_result_window` when it becomes a request body (`body`).

    Attributes:
        query: an esorm query value (raw DSL dicts are turned into one).
        sort: the order; None means the entity's `default_sort`.
        size, offset: the window of hits (`from` in Elasticsearch).
        search_after: the sort values of the last hit of the previous page.
        routing: the shard routing value, for routed entities.
        track_total_hits: True counts exactly; a number stops counting there.
        aggs: aggregations to run beside the hits.
        load, depth: relation paths to load for every hit at once (None: the
            registry's defaults), and how many hops defaults follow.
        track: whether hits join the identity map (streams default to False).
        skip_unreadable: leave out stored documents that do not validate as the entity,
            listing them in the result's `unreadable`, instead of failing the search.
    """

    query: Query | None = None
    sort: Sort | None = None
    size: int | None = None
    offset: int | None = None
    search_after: tuple[Any, ...] | None = None
    source_includes: tuple[str, ...] = ()
    source_excludes: tuple[str, ...] = ()
    routing: str | None = None
    track_total_hits: bool | int = True
    aggs: FrozenMap | None = None
    load: tuple[str, ...] | None = None
    depth: int | None = None
    track: bool = True
    skip_unreadable: bool = False

    def __init__(
        self,
        query: QueryLike | None = None,
        *,
        sort: SortLike | None = None,
        size: int | None = None,
        offset: int | None = None,
        search_after: Sequence[Any] | None = None,
        source_includes: Sequence[str] | None = None,
        source_excludes: Sequence[str] | None = None,
        routing: str | None = None,
        track_total_hits: bool | int = True,
        aggs: Mapping[str, Any] | None = None,
        load: Sequence[str] | None = None,
        depth: int | None = None,
        track: bool = True,
        skip_unreadable: bool = False,
    ) -> None:
        _check_window(size, offset, search_after)
        values = {
            "query": None if query is None else as_query(query),
            "sort": None if sort is None else _as_sort(sort),
            "size": size,
            "offset": offset,
            "search_after": None if search_after is None else tuple(search_after),
            "source_includes": _names(source_includes, "source_includes"),
            "source_excludes": _names(source_excludes, "source_excludes"),
            "routing": None if routing is None else str(routing),
            "track_total_hits": track_total_hits,
            "aggs": _aggregations(aggs),
            "load": _load(load),
            "depth": depth,
            "track": track,
            "skip_unreadable": skip_unreadable,
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def replace(self, **changes: Any) -> SearchRequest:
        """A copy with some fields changed (arguments as for the constructor)."""
        current: dict[str, Any] = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        current.update(changes)
        return SearchRequest(current.pop("query"), **current)

    @property
    def source_filter(self) -> SourceFilter | None:
        """The `_source` filter this search asks for, as entries record it."""
        if not self.source_includes and not self.source_excludes:
            return None
        return (self.source_includes, self.source_excludes)

    def body(self, mapping: EntityMapping[Any]) -> dict[str, Any]:
        """The search body for `mapping`'s index, refused before sending past its window."""
        size, offset = self.size, self.offset or 0
        window = mapping.max_result_window
        if self.search_after is None and offset + (DEFAULT_SIZE if size is None else size) > window:
            raise QueryError(
                f"{mapping.name}: from + size = {offset + (size or DEFAULT_SIZE)} is past the "
                f"index's max_result_window of {window}; use `iterate()` to walk deep result sets"
            )
        body: dict[str, Any] = {
            "seq_no_primary_term": True,
            "track_total_hits": self.track_total_hits,
        }
        if self.query is not None:
            body["query"] = self.query.to_dict()
        sort = to_sort_list(
            self.sort if self.sort is not None else mapping.default_sort, on=mapping
        )
        if sort:
            body["sort"] = sort
        if size is not None:
            body["size"] = size
        if offset:
            body["from"] = offset
        if self.search_after is not None:
            body["search_after"] = thaw(self.search_after)
        source = source_body(self.source_filter)
        if source is not None:
            body["_source"] = source
        if self.aggs:
            body["aggs"] = thaw(self.aggs)
        return body

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{f.name}={getattr(self, f.name)!r}"
            for f in dataclasses.fields(self)
            if getattr(self, f.name) != f.default
        )
        return f"SearchRequest({shown})"


def _check_window(size: int | None, offset: int | None, search_after: Sequence[Any] | None) -> None:
    for name, value in (("size", size), ("from", offset)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise QueryError(f"{name} must be an int, got {type(value).__name__} {value!r}")
        if value is not None and value < 0:
            raise QueryError(f"{name} must not be negative, got {value}")
    if search_after is not None and offset:
        raise QueryError("a search takes either offset (from) or search_after, not both")


def _names(values: Sequence[str] | None, option: str) -> tuple[str, ...]:
    if not values:
        return ()
    if isinstance(values, str):
        return (values,)
    names = tuple(values)
    for name in names:
        if not isinstance(name, str):
            raise QueryError(f"{option} takes field names, got {name!r}")
    return names


def _load(load: Sequence[str] | None) -> tuple[str, ...] | None:
    if load is None:
        return None
    return (load,) if isinstance(load, str) else tuple(load)


def _aggregations(aggs: Mapping[str, Any] | None) -> FrozenMap | None:
    if aggs is None:
        return None
    if not isinstance(aggs, Mapping):
        raise QueryError(f"aggs must be a mapping of aggregation names to bodies, got {aggs!r}")
    frozen = freeze(aggs)
    assert isinstance(frozen, FrozenMap)
    return frozen
