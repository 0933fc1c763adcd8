"""TypedDicts of common query DSL clauses, for editors; at runtime any `Mapping` is accepted.

Example:
    q: dsl.TermQuery = {"term": {"status": "active"}}
    (F.age > 3) & q
"""

from __future__ import annotations

from typing import Any, Literal, TypeAlias, TypedDict

Scalar: TypeAlias = str | int | float | bool


class TermBody(TypedDict, total=False):
    value: Scalar
    boost: float
    case_insensitive: bool


class TermQuery(TypedDict):
    term: dict[str, Scalar | TermBody]


class TermsQuery(TypedDict):
    terms: dict[str, list[Scalar] | float]


class RangeBody(TypedDict, total=False):
    gt: Any
    gte: Any
    lt: Any
    lte: Any
    format: str
    time_zone: str
    relation: Literal["INTERSECTS", "CONTAINS", "WITHIN"]
    boost: float


class RangeQuery(TypedDict):
    range: dict[str, RangeBody]


class MatchBody(TypedDict, total=False):
    query: Scalar
    operator: Literal["and", "or", "AND", "OR"]
    fuzziness: int | str
    minimum_should_match: int | str
    analyzer: str
    boost: float


class MatchQuery(TypedDict):
    match: dict[str, Scalar | MatchBody]


class MatchPhraseBody(TypedDict, total=False):
    query: str
    slop: int
    analyzer: str
    boost: float


class MatchPhraseQuery(TypedDict):
    match_phrase: dict[str, str | MatchPhraseBody]


class MultiMatchBody(TypedDict, total=False):
    query: str
    fields: list[str]
    type: Literal[
        "best_fields", "most_fields", "cross_fields", "phrase", "phrase_prefix", "bool_prefix"
    ]
    operator: Literal["and", "or", "AND", "OR"]
    fuzziness: int | str
    minimum_should_match: int | str
    tie_breaker: float
    analyzer: str
    boost: float


class MultiMatchQuery(TypedDict):
    multi_match: MultiMatchBody


class BoolBody(TypedDict, total=False):
    must: QueryDict | list[QueryDict]
    should: QueryDict | list[QueryDict]
    filter: QueryDict | list[QueryDict]
    must_not: QueryDict | list[QueryDict]
    minimum_should_match: int | str
    boost: float


class BoolQuery(TypedDict):
    bool: BoolBody


class ExistsBody(TypedDict):
    field: str


class ExistsQuery(TypedDict):
    exists: ExistsBody


class IdsBody(TypedDict):
    values: list[str]


class IdsQuery(TypedDict):
    ids: IdsBody


class PatternBody(TypedDict, total=False):
    value: str
    case_insensitive: bool
    boost: float


class PrefixQuery(TypedDict):
    prefix: dict[str, str | PatternBody]


class WildcardQuery(TypedDict):
    wildcard: dict[str, str | PatternBody]


class GeoDistanceQuery(TypedDict):
    # {"distance": "10km", "<field>": {"lat": .., "lon": ..}}: the field is a dynamic key
    geo_distance: dict[str, Any]


class KnnBody(TypedDict, total=False):
    field: str
    query_vector: list[float]
    k: int
    num_candidates: int
    similarity: float
    filter: QueryDict | list[QueryDict]
    boost: float


class KnnQuery(TypedDict):
    knn: KnnBody


class NestedBody(TypedDict, total=False):
    path: str
    query: QueryDict
    score_mode: Literal["avg", "max", "min", "none", "sum"]
    ignore_unmapped: bool


class NestedQuery(TypedDict):
    nested: NestedBody


class MatchAllQuery(TypedDict):
    match_all: dict[str, Any]


QueryDict: TypeAlias = (
    TermQuery
    | TermsQuery
    | RangeQuery
    | MatchQuery
    | MatchPhraseQuery
    | MultiMatchQuery
    | BoolQuery
    | ExistsQuery
    | IdsQuery
    | PrefixQuery
    | WildcardQuery
    | GeoDistanceQuery
    | KnnQuery
    | NestedQuery
    | MatchAllQuery
)


class SortOrderBody(TypedDict, total=False):
    order: Literal["asc", "desc"]
    missing: str | int | float
    mode: Literal["min", "max", "sum", "avg", "median"]
    unmapped_type: str
    nested: dict[str, Any]


SortDict: TypeAlias = dict[str, SortOrderBody | Literal["asc", "desc"]]

__all__ = [
    "BoolBody",
    "BoolQuery",
    "ExistsQuery",
    "GeoDistanceQuery",
    "IdsQuery",
    "KnnQuery",
    "MatchAllQuery",
    "MatchPhraseQuery",
    "MatchQuery",
    "MultiMatchQuery",
    "NestedQuery",
    "PrefixQuery",
    "QueryDict",
    "RangeBody",
    "RangeQuery",
    "SortDict",
    "TermQuery",
    "TermsQuery",
    "WildcardQuery",
]
