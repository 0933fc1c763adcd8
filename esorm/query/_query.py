"""Query values and their boolean algebra: `&` (AND), `|` (OR), `~` (NOT), raw dicts mixed in."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from esorm._internal.frozen import FrozenMap, freeze, thaw, to_json
from esorm.errors import QueryError

# Clause types that never contribute to the score; AND puts them into `bool.filter`.
FILTER_CLAUSES = frozenset(
    {
        "term",
        "terms",
        "range",
        "exists",
        "ids",
        "prefix",
        "wildcard",
        "regexp",
        "geo_distance",
        "geo_bounding_box",
        "geo_shape",
        "match_all",
        "match_none",
    }
)


class Query:
    """Base of every query value: immutable, compared and hashed by the JSON it sends.

    `str()` and `repr()` show that JSON. Combine with `&`, `|` and `~`; a raw DSL dict
    (`Mapping[str, Any]`) is accepted on either side of `&` and `|`. AND flattens and puts
    clauses that only filter (term, terms, range, exists, ids, prefix, wildcard,
    geo_distance, and bools of those) into `bool.filter`, scoring ones (match, match_phrase,
    multi_match, knn, other raw queries) into `bool.must`: exact conditions cost no scoring
    and are cached, relevance comes from the full-text parts. OR flattens into `should`.
    A query has no truth value: `and`/`or`/`not` and chained comparisons raise.
    """

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """The Elasticsearch query DSL, as a fresh dict the caller may change."""
        return self._render(())

    @property
    def scores(self) -> bool:
        """Whether the clause contributes to relevance (AND puts it in `must`, else `filter`)."""
        raise NotImplementedError

    def _render(self, scope: tuple[str, ...]) -> dict[str, Any]:
        """The DSL inside the nested queries for `scope` (paths already entered)."""
        raise NotImplementedError

    def _field_paths(self) -> Iterator[str]:
        """Stored paths of the fields this query searches (for nested-scope checks)."""
        return iter(())

    def __and__(self, other: QueryLike) -> Query:
        return and_(self, as_query(other))

    def __rand__(self, other: QueryLike) -> Query:
        return and_(as_query(other), self)

    def __or__(self, other: QueryLike) -> Query:
        return or_(self, as_query(other))

    def __ror__(self, other: QueryLike) -> Query:
        return or_(as_query(other), self)

    def __invert__(self) -> Query:
        return not_(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Query):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(freeze(self.to_dict()))

    def __bool__(self) -> bool:
        raise QueryError(
            "a query has no truth value: combine queries with &, | and ~ (not and/or/not), "
            "and write `18 <= F.age < 65` as F.age.between(18, 65)"
        )

    def __str__(self) -> str:
        return to_json(self.to_dict())

    def __repr__(self) -> str:
        return f"Query({self})"


QueryLike: TypeAlias = Query | Mapping[str, Any]


@dataclass(frozen=True, eq=False, repr=False)
class Raw(Query):
    """A query given as a raw DSL dict, sent as is (see `esorm.query.dsl` for typed dicts)."""

    body: FrozenMap

    @property
    def scores(self) -> bool:
        return next(iter(self.body)) not in FILTER_CLAUSES

    def _render(self, scope: tuple[str, ...]) -> dict[str, Any]:
        result: dict[str, Any] = thaw(self.body)
        return result


@dataclass(frozen=True, eq=False, repr=False)
class Bool(Query):
    """A `bool` query; build it with `bool_(...)` or the `&`, `|`, `~` operators."""

    must: tuple[Query, ...] = ()
    should: tuple[Query, ...] = ()
    filter: tuple[Query, ...] = ()
    must_not: tuple[Query, ...] = ()
    minimum_should_match: int | str | None = None
    boost: float | None = None

    @property
    def scores(self) -> bool:
        return any(q.scores for q in (*self.must, *self.should))

    def _render(self, scope: tuple[str, ...]) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for name in ("must", "should", "filter", "must_not"):
            clauses: tuple[Query, ...] = getattr(self, name)
            if clauses:
                body[name] = [q._render(scope) for q in clauses]
        if self.minimum_should_match is not None:
            body["minimum_should_match"] = self.minimum_should_match
        if self.boost is not None:
            body["boost"] = self.boost
        return {"bool": body}

    def _field_paths(self) -> Iterator[str]:
        for q in (*self.must, *self.should, *self.filter, *self.must_not):
            yield from q._field_paths()

    @property
    def _only_and(self) -> bool:
        """True when merging the clauses into an enclosing AND keeps the meaning."""
        return not self.should and self.minimum_should_match is None and self.boost is None

    @property
    def _only_or(self) -> bool:
        """True for a plain OR (`should` only), which another OR may extend.

        A bool without clauses matches every document, so it is no OR to extend.
        """
        return (
            bool(self.should)
            and not (self.must or self.filter or self.must_not)
            and self.minimum_should_match in (None, 1)
            and self.boost is None
        )


def as_query(value: object) -> Query:
    """A query value from a query value or a raw DSL mapping; anything else is a `QueryError`."""
    if isinstance(value, Query):
        return value
    if isinstance(value, Mapping):
        return raw(value)
    raise QueryError(
        f"expected a query (from esorm.query) or a raw DSL dict, got {type(value).__name__} "
        f"{value!r}; a bare comparison like `x == 1` outside fields(...) is a bool, not a query"
    )


def raw(body: Mapping[str, Any]) -> Query:
    """A raw DSL query such as `{"term": {"tags": "x"}}`, kept exactly; one top-level key."""
    if not isinstance(body, Mapping):
        raise QueryError(f"a raw query must be a dict, got {type(body).__name__} {body!r}")
    if len(body) != 1 or not all(isinstance(k, str) and k for k in body):
        raise QueryError(
            f"a raw query has exactly one top-level key, the query type (e.g. "
            f'{{"term": {{...}}}}), got keys {sorted(map(str, body))}'
        )
    return Raw(FrozenMap(body))


def and_(left: Query, right: Query) -> Query:
    """`left AND right`, flattening ANDs and placing exact clauses in `filter`."""
    must: list[Query] = []
    filters: list[Query] = []
    must_not: list[Query] = []
    for q in (left, right):
        if isinstance(q, Bool) and q._only_and:
            must += q.must
            filters += q.filter
            must_not += q.must_not
        elif q.scores:
            must.append(q)
        else:
            filters.append(q)
    return Bool(must=tuple(must), filter=tuple(filters), must_not=tuple(must_not))


def or_(left: Query, right: Query) -> Query:
    """`left OR right`, flattening ORs into one `should` list (at least one must match)."""
    should: list[Query] = []
    for q in (left, right):
        if isinstance(q, Bool) and q._only_or:
            should += q.should
        else:
            should.append(q)
    return Bool(should=tuple(should))


def not_(query: Query) -> Query:
    """`NOT query`; a double negation cancels out."""
    if (
        isinstance(query, Bool)
        and len(query.must_not) == 1
        and not (query.must or query.should or query.filter)
        and query.boost is None
    ):
        return query.must_not[0]
    return Bool(must_not=(query,))


def to_query_dict(query: QueryLike | None) -> dict[str, Any] | None:
    """The DSL dict for a query value or raw dict (a fresh copy), or None for no query."""
    if query is None:
        return None
    return as_query(query).to_dict()
