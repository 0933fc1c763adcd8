"""Sorting hits as Elasticsearch does: fields by their doc values, `_score`, `_doc`, and
`_shard_doc` in a point in time; `search_after` against the same keys.

Multi-valued fields sort by their smallest value ascending and largest descending.
Missing values go last (`missing: _last`, the default) or first, by the sentinel
Elasticsearch uses and reports (`Long.MAX_VALUE` for integer-like fields, infinity
for floating ones, null for keywords); a `missing` value stands in for them. Equal
keys keep index order (Lucene's doc id on one shard).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from esorm.testing.memory._catalog import Catalog, Field
from esorm.testing.memory._errors import BadRequest, refuse
from esorm.testing.memory._index import Document
from esorm.testing.memory._numbers import (
    INTEGER_RANGES,
    LONG_MAX,
    LONG_MIN,
    short_float32,
    to_float16,
)
from esorm.testing.memory._query import Relevance, Score
from esorm.testing.memory._types import (
    DATES,
    FLOATS,
    KEYWORDS,
    TEXTS,
    date_bound,
    plain_number,
    query_value,
    range_bound,
)

_LONG_LIKE = frozenset(INTEGER_RANGES) | DATES | {"boolean"}


@dataclass(frozen=True, slots=True)
class SortKey:
    """One key of a sort: what it reads, in which direction, and where missing values go."""

    kind: str  # "field", "_score", "_doc", "_shard_doc"
    descending: bool
    field: Field | None = None
    missing_last: bool = True
    missing_value: Any = None
    mode: str | None = None

    @property
    def needs_score(self) -> bool:
        return self.kind == "_score"

    def value(self, document: Document, score: Score) -> Any:
        """The comparable value of this key for a document."""
        if self.kind == "_doc" or self.kind == "_shard_doc":
            return document.order
        if self.kind == "_score":
            assert not isinstance(score, Relevance)
            return score
        field = self.field
        if field is None:  # an unmapped field sorted with `unmapped_type`: all missing
            return self._missing()
        values = document.values.get(field.path)
        if not values:
            if self.missing_value is not None:
                return self.missing_value
            return self._missing()
        return min(values) if self._smallest else max(values)

    @property
    def _smallest(self) -> bool:
        if self.mode is not None:
            return self.mode == "min"
        return not self.descending

    def _missing(self) -> Any:
        high = self.missing_last != self.descending  # sorts last in the output's order
        if self.field is None or self.field.type in _LONG_LIKE:
            return LONG_MAX if high else LONG_MIN
        if self.field.type in FLOATS:
            return math.inf if high else -math.inf
        return _HIGH if high else _LOW

    def output(self, value: Any) -> Any:
        """A comparable value as Elasticsearch reports it in a hit's `sort`."""
        if value is _HIGH or value is _LOW:
            return None
        field = self.field
        if self.kind != "field" or field is None:
            return value
        if field.type in FLOATS:
            if math.isinf(value):
                return "Infinity" if value > 0 else "-Infinity"
            number = plain_number(field, value)
            if field.type == "float":
                return short_float32(number)
            if field.type == "half_float":
                return _short_float16(number)
            return number
        return value

    def parse_after(self, raw: Any) -> Any:
        """A `search_after` value as a comparable value of this key."""
        if self.kind != "field":
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                raise BadRequest("illegal_argument_exception", f"bad search_after value {raw!r}")
            return raw
        field = self.field
        if raw is None:
            return self._missing()
        if field is None:
            return raw
        if field.type in FLOATS and isinstance(raw, str) and raw in ("Infinity", "-Infinity"):
            return math.inf if raw == "Infinity" else -math.inf
        if field.type in DATES:
            return raw if isinstance(raw, int) else date_bound(field, raw, round_up=False)
        if field.type in INTEGER_RANGES or field.type == "boolean":
            return int(raw) if not isinstance(raw, str) else int(range_bound(field, raw, "gte"))
        if field.type in FLOATS:
            return range_bound(field, raw, "gte")
        return query_value(field, raw)


class _Extreme:
    """Stands for a missing keyword: above (or below) every string."""

    __slots__ = ("high",)

    def __init__(self, high: bool) -> None:
        self.high = high

    def __lt__(self, other: object) -> bool:
        return not self.high and other is not self

    def __gt__(self, other: object) -> bool:
        return self.high and other is not self

    def __le__(self, other: object) -> bool:
        return other is self or self < other

    def __ge__(self, other: object) -> bool:
        return other is self or self > other

    def __eq__(self, other: object) -> bool:
        return other is self

    __hash__ = object.__hash__


_HIGH, _LOW = _Extreme(True), _Extreme(False)


def _short_float16(value: float) -> float:
    for digits in range(1, 7):
        text = f"{value:.{digits}g}"
        if to_float16(float(text)) == value:
            return float(text)
    return value


def parse_sort(spec: Any, catalog: Catalog, *, pit: bool) -> list[SortKey]:
    """The keys of a request's `sort` (None: by score)."""
    if spec is None:
        return [SortKey("_score", True)]
    items = spec if isinstance(spec, list) else [spec]
    return [_key(item, catalog, pit) for item in items]


def _key(item: Any, catalog: Catalog, pit: bool) -> SortKey:
    options: Any
    if isinstance(item, str):
        name, options = item, {}
    elif isinstance(item, Mapping) and len(item) == 1:
        ((name, options),) = item.items()
        if isinstance(options, str):
            options = {"order": options}
    else:
        raise BadRequest("parsing_exception", f"malformed sort {item!r}")
    if not isinstance(options, Mapping):
        raise BadRequest("parsing_exception", f"malformed sort {item!r}")
    if name in ("_geo_distance", "_script"):
        raise refuse(f"sort {name!r}", "geo and script sorts are not evaluated")
    unknown = set(options) - {"order", "missing", "mode", "unmapped_type"}
    if unknown:
        raise refuse(
            f"sort on {name!r} with {sorted(unknown)}", "these sort options are not applied"
        )
    order = options.get("order")
    if order not in (None, "asc", "desc"):
        raise BadRequest("parsing_exception", f"unknown sort order {order!r}")
    if name == "_score":
        return SortKey("_score", order != "asc")
    if name in ("_doc", "_shard_doc"):
        if name == "_shard_doc" and not pit:
            raise BadRequest(
                "illegal_argument_exception",
                "[_shard_doc] sort field can only be used with point in time",
            )
        return SortKey(name, order == "desc")
    return _field_key(name, options, catalog, order == "desc")


def _field_key(name: str, options: Mapping[str, Any], catalog: Catalog, desc: bool) -> SortKey:
    mode = options.get("mode")
    if mode not in (None, "min", "max"):
        raise refuse(f"sort mode {mode!r} on {name!r}", "only min and max are applied")
    missing = options.get("missing", "_last")
    field = catalog.fields.get(name)
    if name == "_id":
        raise BadRequest(
            "illegal_argument_exception",
            "Fielddata access on the _id field is disallowed, you can re-enable it by updating "
            "the dynamic cluster setting: indices.id_field_data.enabled",
        )
    if field is None:
        if catalog.object_at(name) is None and options.get("unmapped_type") is not None:
            return SortKey("field", desc, None, missing != "_first")
        raise BadRequest(
            "query_shard_exception", f"No mapping found for [{name}] in order to sort on"
        )
    if field.nested is not None:
        raise refuse(f"sort on {name!r} inside a nested object", "nested sorts are not evaluated")
    if field.type in TEXTS and not field.doc_values:
        raise BadRequest(
            "illegal_argument_exception",
            "Text fields are not optimised for operations that require per-document field data "
            "like aggregations and sorting, so these operations are disabled by default. Please "
            f"use a keyword field instead. Alternatively, set fielddata=true on [{name}] in order "
            "to load field data by uninverting the inverted index. Note that this can use "
            "significant memory.",
        )
    if field.type not in KEYWORDS | _LONG_LIKE | FLOATS or "normalizer" in field.params:
        raise refuse(f"sort on {field.type} field {name!r}", "this field type is not sorted here")
    if not field.doc_values:
        raise BadRequest(
            "illegal_argument_exception",
            f"Can't load fielddata on [{name}] because fielddata is unsupported",
        )
    value = None
    if missing not in ("_last", "_first"):
        key = SortKey("field", desc, field)
        value = key.parse_after(missing)
    return SortKey("field", desc, field, missing != "_first", value, mode)


def sort_documents(
    found: list[tuple[Document, Score]], keys: Sequence[SortKey]
) -> list[tuple[Document, Score, list[Any]]]:
    """Matches in sort order, each with its comparable key values (ties: index order)."""
    rows = [
        (document, score, [k.value(document, score) for k in keys]) for document, score in found
    ]
    for position in range(len(keys) - 1, -1, -1):
        rows.sort(key=lambda row: row[2][position], reverse=keys[position].descending)
    return rows


def after(values: list[Any], cursor: list[Any], keys: Sequence[SortKey]) -> bool:
    """True when a hit's key values come strictly after the cursor in sort order."""
    for mine, theirs, key in zip(values, cursor, keys, strict=True):
        if mine == theirs:
            continue
        return bool(mine > theirs) != key.descending
    return False


def check_scores(found: list[tuple[Document, Score]]) -> None:
    """Refuse a search whose hits need relevance scores the store cannot compute."""
    for _, score in found:
        if isinstance(score, Relevance):
            raise refuse(
                score.clause,
                "scores by BM25 relevance, which the in-memory store does not compute; this "
                "search orders or reports hits by score",
                "sort it by fields (sort= or the entity's default_sort), or put the clause in "
                "a filter (esorm puts exact clauses combined with & into bool.filter)",
            )
