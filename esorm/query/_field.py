"""A reference to one field of an entity, checked at build time, that builds queries and sorts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from esorm._internal.frozen import FrozenMap
from esorm.errors import QueryError
from esorm.query import _clauses
from esorm.query._leaves import Leaf, NestedQuery
from esorm.query._path import FieldPath
from esorm.query._query import Query, QueryLike, as_query
from esorm.query._sort_field import SortField, SortMode
from esorm.query._values import (
    NOT_COMPARABLE,
    STRINGS,
    a,
    check_string,
    check_value,
)

_SCORE_MODES = ("avg", "max", "min", "none", "sum")


@dataclass(frozen=True, eq=False, repr=False)
class FieldRef(FieldPath):
    """One field of an entity, checked at build time; comparisons and methods build queries.

    `F.age >= 18`, `F.status == Status.ACTIVE`, `F.title.keyword == "x"`. Values are checked
    against the field's type before anything is sent. Text fields get full-text queries
    (`match`, `match_phrase`); term-level operations (`==`, `!=`, `in_`, ranges, `prefix`,
    `wildcard`, sorting) on a `text` field run on its keyword subfield and fail without one.
    A clause on a field inside a `nested` object is wrapped in a `nested` query on its own;
    `F.comments.nested(a & b)` makes a and b hold for the same element. `str(ref)` is the
    stored dotted path. Methods shadow sub-fields of the same name: use `ref["name"]`.
    """

    # -- comparisons ----------------------------------------------------------------------------

    def __eq__(self, value: object) -> Query:  # type: ignore[override]
        """`term` query; `== None` matches documents without the field."""
        if value is None:
            return ~self.exists()
        return self.term(value)

    def __ne__(self, value: object) -> Query:  # type: ignore[override]
        """NOT `term`; on an array field: no element equals the value."""
        return ~(self == value)

    def __lt__(self, value: Any) -> Query:
        return self.range(lt=value)

    def __le__(self, value: Any) -> Query:
        return self.range(lte=value)

    def __gt__(self, value: Any) -> Query:
        return self.range(gt=value)

    def __ge__(self, value: Any) -> Query:
        return self.range(gte=value)

    __hash__ = None  # type: ignore[assignment]

    def term(
        self, value: Any, *, boost: float | None = None, case_insensitive: bool | None = None
    ) -> Query:
        """Exact value (a `term` query); on an array field: some element equals it."""
        target = self._exact("==")
        checked = check_value(
            value, target._mapping, target._where(), exact=True, classes=target._classes
        )
        options = _options(boost=boost, case_insensitive=case_insensitive)
        body = {"value": checked, **options} if options else checked
        return target._leaf("term", {target._path: body})

    def in_(self, values: Iterable[Any]) -> Query:
        """One of `values` (a `terms` query)."""
        if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
            raise QueryError(f"{self._where()}: in_() takes a list of values, got {values!r}")
        target = self._exact("in_()")
        classes = target._classes
        checked = [
            check_value(v, target._mapping, target._where(), exact=True, classes=classes)
            for v in values
        ]
        return target._leaf("terms", {target._path: checked})

    one_of = in_

    def range(
        self,
        *,
        gt: Any = None,
        gte: Any = None,
        lt: Any = None,
        lte: Any = None,
        format: str | None = None,
        time_zone: str | None = None,
        boost: float | None = None,
    ) -> Query:
        """A `range` query; give at least one bound. `format`/`time_zone` are for dates."""
        target = self._exact("a range")
        if target.es_type == "boolean":
            raise QueryError(f"{target._where()} is a boolean field; compare it with ==")
        target._ordered("a range")
        bounds = {"gt": gt, "gte": gte, "lt": lt, "lte": lte}
        body = {
            op: check_value(v, target._mapping, target._where(), exact=False)
            for op, v in bounds.items()
            if v is not None
        }
        if not body:
            raise QueryError(f"{target._where()}: a range needs at least one bound")
        body.update(_options(format=format, time_zone=time_zone, boost=boost))
        return target._leaf("range", {target._path: body})

    def between(self, low: Any, high: Any) -> Query:
        """`low <= field <= high`, both ends inclusive; None leaves that end open."""
        return self.range(gte=low, lte=high)

    def exists(self) -> Query:
        """Documents that have a non-null value for the field."""
        return self._leaf("exists", {"field": self._path})

    # -- full text and patterns ----------------------------------------------------------------

    def match(
        self,
        text: Any,
        *,
        operator: Literal["and", "or"] | None = None,
        fuzziness: int | str | None = None,
        minimum_should_match: int | str | None = None,
        analyzer: str | None = None,
        boost: float | None = None,
    ) -> Query:
        """Full-text `match`: analyzes `text` and scores documents by relevance."""
        self._searchable("match()")
        if self.es_type in STRINGS:
            value = check_string(text, self._where(), "the text to match")
        else:
            value = check_value(text, self._mapping, self._where(), exact=True)
        options = _options(
            operator=_clauses.operator(operator, self._where()),
            fuzziness=_clauses.fuzziness(fuzziness, self._where()),
            minimum_should_match=minimum_should_match,
            analyzer=analyzer,
            boost=boost,
        )
        return self._leaf("match", {self._path: {"query": value, **options} if options else value})

    def match_phrase(
        self,
        text: str,
        *,
        slop: int | None = None,
        analyzer: str | None = None,
        boost: float | None = None,
    ) -> Query:
        """The words of `text` in this order (`slop` allows words between or moved)."""
        self._searchable("match_phrase()", strings=True)
        value = check_string(text, self._where(), "the phrase")
        options = _options(slop=slop, analyzer=analyzer, boost=boost)
        return self._leaf(
            "match_phrase", {self._path: {"query": value, **options} if options else value}
        )

    def prefix(self, value: str, *, case_insensitive: bool | None = None) -> Query:
        """Values starting with `value` (a `prefix` query, on the keyword subfield of text)."""
        return self._pattern("prefix", value, case_insensitive)

    def wildcard(self, pattern: str, *, case_insensitive: bool | None = None) -> Query:
        """Values matching `pattern` with `*` and `?` (a `wildcard` query)."""
        return self._pattern("wildcard", pattern, case_insensitive)

    # -- geo, vectors, nested --------------------------------------------------------------------

    def geo_distance(self, lat: float, lon: float, distance: str | float) -> Query:
        """Points within `distance` ("10km", "5mi"; a number is meters) of (`lat`, `lon`)."""
        if self.es_type != "geo_point":
            raise self._wrong_kind("geo_distance()", "geo_point")
        body = _clauses.geo_distance(self._path, lat, lon, distance, self._where())
        return self._leaf("geo_distance", body)

    def knn(
        self,
        vector: Iterable[float],
        k: int | None = None,
        num_candidates: int | None = None,
        *,
        similarity: float | None = None,
        filter: QueryLike | Iterable[QueryLike] | None = None,
        boost: float | None = None,
    ) -> Query:
        """The `knn` query (Elasticsearch 8.12+) for the vectors nearest to `vector`.

        This is the query form, usable inside `bool` like any query; ES's top-level `knn`
        search option is a different request shape and is not produced here.
        """
        if self.es_type != "dense_vector":
            raise self._wrong_kind("knn()", "dense_vector")
        body = _clauses.knn(
            self._path,
            self._mapping,
            vector,
            k,
            num_candidates,
            self._where(),
            similarity=similarity,
            filter=filter,
            boost=boost,
        )
        return self._leaf("knn", body)

    def nested(
        self,
        query: QueryLike,
        *,
        score_mode: Literal["avg", "max", "min", "none", "sum"] | None = None,
        ignore_unmapped: bool | None = None,
    ) -> Query:
        """All of `query` must match within ONE element of this nested field."""
        if self.es_type != "nested":
            raise self._wrong_kind("nested()", "nested")
        if score_mode is not None and score_mode not in _SCORE_MODES:
            raise QueryError(f"{self._where()}: score_mode must be one of {_SCORE_MODES}")
        return NestedQuery(
            self._path, as_query(query), self._nested[:-1], score_mode, ignore_unmapped
        )

    # -- sorting ---------------------------------------------------------------------------------

    def asc(
        self,
        *,
        missing: Any = None,
        mode: SortMode | None = None,
        unmapped_type: str | None = None,
    ) -> SortField:
        """Sort ascending by this field (a text field sorts by its keyword subfield)."""
        return self._sort("asc", missing, mode, unmapped_type)

    def desc(
        self,
        *,
        missing: Any = None,
        mode: SortMode | None = None,
        unmapped_type: str | None = None,
    ) -> SortField:
        """Sort descending by this field (a text field sorts by its keyword subfield)."""
        return self._sort("desc", missing, mode, unmapped_type)

    # -- internals -------------------------------------------------------------------------------

    def _leaf(self, clause: str, body: Mapping[str, Any]) -> Query:
        return Leaf(clause, FrozenMap(body), (self._path,), self._nested)

    def _searchable(self, operation: str, *, strings: bool = False) -> None:
        kind = self.es_type
        if kind in NOT_COMPARABLE or (strings and kind is not None and kind not in STRINGS):
            raise QueryError(
                f"{self._where()} is {a(kind)} field; {operation} needs a text or keyword field"
            )

    def _pattern(self, clause: str, value: str, case_insensitive: bool | None) -> Query:
        target = self._exact(f"{clause}()")
        if target.es_type is not None and target.es_type not in STRINGS:
            raise target._wrong_kind(f"{clause}()", "keyword")
        checked = check_string(value, target._where(), f"the {clause}")
        options = _options(case_insensitive=case_insensitive)
        body = {"value": checked, **options} if options else checked
        return target._leaf(clause, {target._path: body})

    def _sort(
        self,
        order: Literal["asc", "desc"],
        missing: Any,
        mode: SortMode | None,
        unmapped: str | None,
    ) -> SortField:
        target = self._exact("sorting")
        target._ordered("sorting")
        if missing is not None and missing not in ("_last", "_first"):
            missing = check_value(missing, target._mapping, target._where(), exact=False)
        return SortField(target._path, order, missing, mode, unmapped, target._nested)


def _options(**options: Any) -> dict[str, Any]:
    return {k: v for k, v in options.items() if v is not None}
