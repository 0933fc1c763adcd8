"""Query DSL evaluated exactly, or refused: a compiled query scores a document or misses it.

Decided here: `term`, `terms`, `ids`, `range`, `exists`, `prefix`, `match_all`,
`match_none`, `constant_score` and `bool` (`must`, `filter`, `should`, `must_not`,
`minimum_should_match`), by each field's mapped type (keyword, numbers, dates,
booleans, ips; a text field's keyword sub-field; dotted object paths; an array
matches when any element does). Everything else (full-text queries, scripts, geo,
vectors, nested documents, joins, spans, function scores) raises `Refused`.

Scores are exact where Elasticsearch's are constant: filters score 0, `match_all`,
`terms`, `range`, `exists`, `prefix`, `ids` and numeric or date `term`s score their
boost, `bool` adds up. A `term` on a keyword or boolean field scores by BM25, which
depends on index statistics the store does not model: such a score is a `Relevance`,
and a search that would have to order by it or report it is refused.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from esorm.testing.memory._catalog import Catalog, Field
from esorm.testing.memory._errors import BadRequest, refuse
from esorm.testing.memory._index import Document
from esorm.testing.memory._numbers import to_float32
from esorm.testing.memory._types import (
    DATES,
    EVALUATED,
    KEYWORDS,
    NO_MATCH,
    TEXTS,
    date_bound,
    ip_matcher,
    query_value,
    range_bound,
)


@dataclass(frozen=True, slots=True)
class Relevance:
    """A score that depends on term statistics (BM25): known to exist, not its value."""

    clause: str
    """The first clause that scored by relevance, for the refusal's message."""


Score = float | Relevance
Matcher = Callable[[Document], Score | None]
"""A compiled query: the document's score, or None when it does not match."""

_FULL_TEXT = frozenset(
    {
        "match",
        "match_phrase",
        "match_phrase_prefix",
        "match_bool_prefix",
        "multi_match",
        "query_string",
        "simple_query_string",
        "combined_fields",
        "intervals",
        "more_like_this",
        "fuzzy",
        "regexp",
        "wildcard",
        "semantic",
        "sparse_vector",
        "text_expansion",
        "weighted_tokens",
    }
)
_ELASTICSEARCH_QUERIES = frozenset(
    {
        "bool",
        "boosting",
        "constant_score",
        "dis_max",
        "function_score",
        "match_all",
        "match_none",
        "exists",
        "ids",
        "prefix",
        "range",
        "term",
        "terms",
        "terms_set",
        "distance_feature",
        "percolate",
        "pinned",
        "rank_feature",
        "rule",
        "wrapper",
        "span_containing",
        "span_field_masking",
        "span_first",
        "span_multi",
        "span_near",
        "span_not",
        "span_or",
        "span_term",
        "span_within",
        "script",
        "script_score",
        "geo_distance",
        "geo_bounding_box",
        "geo_shape",
        "geo_polygon",
        "geo_grid",
        "shape",
        "knn",
        "nested",
        "has_child",
        "has_parent",
        "parent_id",
    }
    | _FULL_TEXT
)
"""Every query clause Elasticsearch knows; any other name is its 400 `parsing_exception`."""
_WHY = {
    **dict.fromkeys(_FULL_TEXT, "needs text analysis and relevance scoring"),
    **dict.fromkeys(("script", "script_score", "function_score"), "needs Painless scripts"),
    **dict.fromkeys(
        ("geo_distance", "geo_bounding_box", "geo_shape", "geo_polygon", "geo_grid", "shape"),
        "needs geo evaluation",
    ),
    **dict.fromkeys(("knn",), "needs vector search"),
    **dict.fromkeys(("nested", "has_child", "has_parent", "parent_id"), "needs nested documents"),
}


def compile_query(query: Mapping[str, Any] | None, catalog: Catalog, index: str) -> Matcher:
    """The matcher of a query body (None: every document, scored 1.0)."""
    if query is None:
        return _always(1.0)
    return _Compiler(catalog, index).compile(query)


def scores_of(matcher: Matcher, documents: list[Document]) -> list[tuple[Document, Score]]:
    """The matching documents, in index order, with their scores."""
    found: list[tuple[Document, Score]] = []
    for document in documents:
        score = matcher(document)
        if score is not None:
            found.append((document, score))
    return found


def _always(score: Score) -> Matcher:
    return lambda document: score


def _never(document: Document) -> Score | None:
    return None


def _boosted(score: Score, boost: float) -> Score:
    if isinstance(score, Relevance) or boost == 1.0:
        return score
    return to_float32(score * boost)


def _added(scores: list[Score]) -> Score:
    total = 0.0
    for score in scores:
        if isinstance(score, Relevance):
            return score
        total += score
    return to_float32(total)


class _Compiler:
    def __init__(self, catalog: Catalog, index: str) -> None:
        self.catalog = catalog
        self.index = index

    def compile(self, query: Any) -> Matcher:
        if not isinstance(query, Mapping) or len(query) != 1:
            raise BadRequest("parsing_exception", f"a query has one clause, got {query!r}")
        ((clause, body),) = query.items()
        method = getattr(self, f"_q_{clause}", None)
        if clause not in _ELASTICSEARCH_QUERIES:
            raise BadRequest("parsing_exception", f"unknown query [{clause}]")
        if method is None:
            why = _WHY.get(clause, "is not a clause the in-memory store evaluates")
            raise refuse(f"query {clause!r}", why, "run this test against the embedded server")
        if not isinstance(body, Mapping):
            raise BadRequest("parsing_exception", f"[{clause}] query malformed, got {body!r}")
        matcher: Matcher = method(body)
        return matcher

    # -- compound ------------------------------------------------------------------------------

    def _q_match_all(self, body: Mapping[str, Any]) -> Matcher:
        _allowed(body, "match_all", ())
        return _always(_boost(body))

    def _q_match_none(self, body: Mapping[str, Any]) -> Matcher:
        _allowed(body, "match_none", ())
        return _never

    def _q_constant_score(self, body: Mapping[str, Any]) -> Matcher:
        _allowed(body, "constant_score", ("filter",))
        inner = self.compile(body.get("filter"))
        boost = _boost(body)
        return lambda document: None if inner(document) is None else boost

    def _q_bool(self, body: Mapping[str, Any]) -> Matcher:
        _allowed(body, "bool", ("must", "filter", "should", "must_not", "minimum_should_match"))
        must = [self.compile(q) for q in _clauses(body.get("must"))]
        filters = [self.compile(q) for q in _clauses(body.get("filter"))]
        should = [self.compile(q) for q in _clauses(body.get("should"))]
        must_not = [self.compile(q) for q in _clauses(body.get("must_not"))]
        boost = _boost(body)
        if not (must or filters or should or must_not):
            return _always(boost)  # an empty bool is match_all
        spec = body.get("minimum_should_match")
        if spec is None:
            needed = 1 if should and not (must or filters) else 0
        else:
            needed = _minimum_should_match(spec, len(should))
        scoring = bool(must or should)

        def matcher(document: Document) -> Score | None:
            scores: list[Score] = []
            for clause in must:
                score = clause(document)
                if score is None:
                    return None
                scores.append(score)
            for clause in filters:
                if clause(document) is None:
                    return None
            for clause in must_not:
                if clause(document) is not None:
                    return None
            matched = 0
            for clause in should:
                score = clause(document)
                if score is not None:
                    matched += 1
                    scores.append(score)
            if matched < needed:
                return None
            return _boosted(_added(scores), boost) if scoring else 0.0

        return matcher

    # -- leaves --------------------------------------------------------------------------------

    def _q_term(self, body: Mapping[str, Any]) -> Matcher:
        path, spec = _single_field(body, "term")
        value, boost, insensitive = _term_spec(spec, "term")
        return self._term(path, [value], boost, insensitive, "term")

    def _q_terms(self, body: Mapping[str, Any]) -> Matcher:
        boost = _boost(body)
        fields = {k: v for k, v in body.items() if k not in ("boost", "_name")}
        if "_name" in body:
            raise refuse("named queries (_name)", "matched_queries are not reported")
        if len(fields) != 1:
            raise BadRequest("parsing_exception", "[terms] query requires exactly one field")
        ((path, values),) = fields.items()
        if isinstance(values, Mapping):
            raise refuse("terms lookup", "the in-memory store does not fetch terms from documents")
        if not isinstance(values, list):
            raise BadRequest("parsing_exception", "[terms] query requires an array of values")
        return self._term(path, values, boost, False, "terms")

    def _q_ids(self, body: Mapping[str, Any]) -> Matcher:
        _allowed(body, "ids", ("values",))
        wanted = {str(v) for v in body.get("values") or ()}
        boost = _boost(body)
        return lambda document: boost if document.id in wanted else None

    def _q_exists(self, body: Mapping[str, Any]) -> Matcher:
        _allowed(body, "exists", ("field",))
        path = str(body.get("field"))
        boost = _boost(body)
        paths = self._existing_paths(path)
        return lambda document: boost if any(document.values.get(p) for p in paths) else None

    def _existing_paths(self, path: str) -> list[str]:
        if path.startswith("_"):
            raise refuse(f"exists on {path!r}", "metadata fields are not evaluated")
        field = self.catalog.fields.get(path)
        if field is not None:
            self._check_field(field, "exists")
            return [path]
        obj = self.catalog.object_at(path)
        if obj is not None:
            if obj.nested is not None:
                raise _nested(path, "exists")
            return [f.path for f in self.catalog.leaves_under(path) if f.nested is None]
        self._check_unmapped(path, "exists")
        return []

    def _q_prefix(self, body: Mapping[str, Any]) -> Matcher:
        path, spec = _single_field(body, "prefix")
        if isinstance(spec, Mapping):
            _allowed(spec, "prefix", ("value", "case_insensitive", "rewrite"))
            value, insensitive, boost = (
                spec.get("value"),
                spec.get("case_insensitive"),
                _boost(spec),
            )
        else:
            value, insensitive, boost = spec, False, 1.0
        field = self._field(path, "prefix")
        if field is None:
            return _never
        if field.type not in KEYWORDS:
            raise BadRequest(
                "query_shard_exception",
                f"Can only use prefix queries on keyword, text and wildcard fields - not on "
                f"[{path}] which is of type [{field.type}]",
            )
        text = str(value)
        if insensitive:
            _check_ascii(text, "prefix", path)
            text = text.lower()

        def matcher(document: Document) -> Score | None:
            for stored in document.values.get(path) or ():
                if (stored.lower() if insensitive else stored).startswith(text):
                    return boost
            return None

        return matcher

    def _q_range(self, body: Mapping[str, Any]) -> Matcher:
        path, spec = _single_field(body, "range")
        if not isinstance(spec, Mapping):
            raise BadRequest("parsing_exception", "[range] query malformed")
        bounds = _range_bounds(spec)
        if spec.get("format") is not None:
            raise refuse(f"range on {path!r} with a format", "formats other than the field's")
        zone = spec.get("time_zone")
        if zone not in (None, "Z", "UTC", "+00:00", "+0000", "+00"):
            raise refuse(f"range on {path!r} with time_zone {zone!r}", "time zones are not applied")
        if spec.get("relation") not in (None, "intersects", "INTERSECTS"):
            raise refuse(
                f"range relation {spec.get('relation')!r}", "range fields are not evaluated"
            )
        boost = _boost(spec)
        field = self._field(path, "range")
        if field is None:
            return _never
        if field.type == "ip" and not bounds:
            return lambda document: boost if document.values.get(path) else None
        checks = [(op, range_bound(field, raw, op)) for op, raw in bounds]
        return _range_matcher(path, checks, boost)

    # -- helpers -------------------------------------------------------------------------------

    def _term(
        self, path: str, values: list[Any], boost: float, insensitive: bool, clause: str
    ) -> Matcher:
        if path in ("_id", "_index", "_routing"):
            return self._metadata_term(path, values, boost, clause)
        field = self._field(path, clause)
        if field is None:
            return _never
        if field.type in DATES:
            spans = [
                (date_bound(field, v, round_up=False), date_bound(field, v, round_up=True))
                for v in values
            ]
            return _span_matcher(path, spans, boost)
        if field.type == "ip":
            networks = [ip_matcher(v) for v in values]
            return lambda document: (
                boost
                if any(v in n for v in document.values.get(path) or () for n in networks)
                else None
            )
        wanted = {query_value(field, v) for v in values} - {NO_MATCH}
        if insensitive:
            for text in wanted:
                _check_ascii(str(text), clause, path)
            wanted = {str(t).lower() for t in wanted}
        relevance = clause == "term" and not insensitive and field.type in KEYWORDS | {"boolean"}
        scored: Score = Relevance(f"term on {field.type} field {path!r}") if relevance else boost

        def matcher(document: Document) -> Score | None:
            for stored in document.values.get(path) or ():
                if (stored.lower() if insensitive else stored) in wanted:
                    return scored
            return None

        return matcher

    def _metadata_term(self, path: str, values: list[Any], boost: float, clause: str) -> Matcher:
        wanted = {str(v) for v in values}
        if path == "_id":
            return lambda document: boost if document.id in wanted else None
        if path == "_index":
            return _always(boost) if self.index in wanted else _never
        return lambda document: boost if document.routing in wanted else None

    def _field(self, path: str, clause: str) -> Field | None:
        """The field a term-level clause runs on, None when unmapped (it matches nothing)."""
        if path.startswith("_"):
            raise refuse(
                f"{clause} on {path!r}", "metadata fields other than _id are not evaluated"
            )
        field = self.catalog.fields.get(path)
        if field is None:
            if self.catalog.object_at(path) is not None:
                raise refuse(f"{clause} on object field {path!r}", "objects hold no values")
            self._check_unmapped(path, clause)
            return None
        self._check_field(field, clause)
        if field.type in TEXTS:
            raise refuse(
                f"{clause} on text field {path!r}",
                "matching analyzed text needs text analysis",
                "query its keyword sub-field (Text(keyword=True)) or use the embedded server",
            )
        return field

    def _check_field(self, field: Field, clause: str) -> None:
        path = field.path
        if field.nested is not None:
            raise _nested(path, clause)
        if field.type not in EVALUATED:
            raise refuse(
                f"{clause} on {field.type} field {path!r}", "this field type is not evaluated"
            )
        if path in self.catalog.copy_targets:
            raise refuse(f"{clause} on {path!r}", "it receives values through copy_to")
        if "normalizer" in field.params:
            raise refuse(f"{clause} on {path!r}", "keyword normalizers are not applied")
        if not field.searchable:
            raise BadRequest(
                "query_shard_exception",
                f"failed to create query: Cannot search on field [{path}] since it is not "
                f"indexed nor has doc values.",
            )

    def _check_unmapped(self, path: str, clause: str) -> None:
        if path in self.catalog.runtime or path in self.catalog.copy_targets:
            raise refuse(f"{clause} on {path!r}", "runtime and copy_to fields are not evaluated")


def _nested(path: str, clause: str) -> Exception:
    return refuse(
        f"{clause} on {path!r} inside a nested object",
        "nested documents are not evaluated (a query outside a nested query matches none)",
    )


def _range_matcher(path: str, checks: list[tuple[str, Any]], boost: float) -> Matcher:
    def inside(value: Any) -> bool:
        for op, bound in checks:
            if op == "gt" and not value > bound:
                return False
            if op == "gte" and not value >= bound:
                return False
            if op == "lt" and not value < bound:
                return False
            if op == "lte" and not value <= bound:
                return False
        return True

    def matcher(document: Document) -> Score | None:
        for value in document.values.get(path) or ():
            if inside(value):
                return boost
        return None

    return matcher


def _span_matcher(path: str, spans: list[tuple[int, int]], boost: float) -> Matcher:
    def matcher(document: Document) -> Score | None:
        for value in document.values.get(path) or ():
            if any(low <= value <= high for low, high in spans):
                return boost
        return None

    return matcher


def _range_bounds(spec: Mapping[str, Any]) -> list[tuple[str, Any]]:
    known = {"gt", "gte", "lt", "lte", "from", "to", "include_lower", "include_upper"}
    _allowed(spec, "range", (*known, "format", "time_zone", "relation"))
    bounds = [(op, spec[op]) for op in ("gt", "gte", "lt", "lte") if spec.get(op) is not None]
    if spec.get("from") is not None:
        bounds.append(("gte" if spec.get("include_lower", True) else "gt", spec["from"]))
    if spec.get("to") is not None:
        bounds.append(("lte" if spec.get("include_upper", True) else "lt", spec["to"]))
    return bounds


def _single_field(body: Mapping[str, Any], clause: str) -> tuple[str, Any]:
    fields = [(k, v) for k, v in body.items()]
    if len(fields) != 1:
        raise BadRequest("parsing_exception", f"[{clause}] query doesn't support multiple fields")
    return fields[0]


def _term_spec(spec: Any, clause: str) -> tuple[Any, float, bool]:
    if isinstance(spec, Mapping):
        _allowed(spec, clause, ("value", "case_insensitive"))
        if "value" not in spec:
            raise BadRequest("parsing_exception", f"[{clause}] query requires a value")
        return spec["value"], _boost(spec), bool(spec.get("case_insensitive"))
    if isinstance(spec, list):
        raise BadRequest("parsing_exception", f"[{clause}] query does not support array values")
    return spec, 1.0, False


def _allowed(body: Mapping[str, Any], clause: str, keys: tuple[str, ...]) -> None:
    if "_name" in body:
        raise refuse("named queries (_name)", "matched_queries are not reported")
    unknown = set(body) - {*keys, "boost"}
    if unknown:
        raise BadRequest(
            "parsing_exception", f"[{clause}] query does not support [{sorted(unknown)[0]}]"
        )


def _boost(body: Mapping[str, Any]) -> float:
    boost = body.get("boost", 1.0)
    if isinstance(boost, bool) or not isinstance(boost, int | float) or not math.isfinite(boost):
        raise BadRequest("parsing_exception", f"[boost] must be a number, got {boost!r}")
    return to_float32(float(boost))


def _clauses(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _check_ascii(text: str, clause: str, path: str) -> None:
    if not text.isascii():
        raise refuse(
            f"case-insensitive {clause} on {path!r} with non-ASCII text",
            "Java's case rules are matched only for ASCII",
        )


def _minimum_should_match(spec: Any, optional: int) -> int:
    """Elasticsearch's `minimum_should_match` for `optional` should clauses."""
    text = str(spec).strip()
    if "<" in text or " " in text:
        raise refuse(f"minimum_should_match {spec!r}", "conditional specifications")
    try:
        if text.endswith("%"):
            calc = int(to_float32(optional * int(text[:-1]) * to_float32(0.01)))
        else:
            calc = int(text)
    except ValueError:
        raise BadRequest("parsing_exception", f"bad minimum_should_match {spec!r}") from None
    result = optional + calc if calc < 0 else calc
    return max(result, 0)
