"""Queries that stand on their own rather than on one field: bool, multi_match, ids, match_all."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, TypeAlias

from esorm._internal.frozen import FrozenMap
from esorm.errors import QueryError
from esorm.query import _clauses
from esorm.query._field import FieldRef
from esorm.query._leaves import Leaf
from esorm.query._query import Bool, Query, QueryLike, as_query
from esorm.query._values import STRINGS, a

MultiMatchType = Literal[
    "best_fields", "most_fields", "cross_fields", "phrase", "phrase_prefix", "bool_prefix"
]
_MULTI_MATCH_TYPES = (
    "best_fields",
    "most_fields",
    "cross_fields",
    "phrase",
    "phrase_prefix",
    "bool_prefix",
)
Clauses: TypeAlias = QueryLike | Sequence[QueryLike] | None


def bool_(
    *,
    must: Clauses = None,
    should: Clauses = None,
    filter: Clauses = None,
    must_not: Clauses = None,
    minimum_should_match: int | str | None = None,
    boost: float | None = None,
) -> Query:
    """A `bool` query exactly as given; each argument takes one query or a list of them."""
    return Bool(
        must=_clause_list(must),
        should=_clause_list(should),
        filter=_clause_list(filter),
        must_not=_clause_list(must_not),
        minimum_should_match=minimum_should_match,
        boost=boost,
    )


def multi_match(
    query: str,
    *fields: FieldRef | str,
    type: MultiMatchType | None = None,
    operator: Literal["and", "or"] | None = None,
    fuzziness: int | str | None = None,
    minimum_should_match: int | str | None = None,
    tie_breaker: float | None = None,
    boost: float | None = None,
) -> Query:
    """Full-text search over several fields; strings ("title^2") are sent unchecked.

    Fields inside one nested object are wrapped in its `nested` query; fields of different
    nested objects cannot share one multi_match.
    """
    if not isinstance(query, str):
        raise QueryError(f"multi_match() text must be a string, got {query!r}")
    if type is not None and type not in _MULTI_MATCH_TYPES:
        raise QueryError(f"multi_match() type must be one of {', '.join(_MULTI_MATCH_TYPES)}")
    names: list[str] = []
    nested: set[tuple[str, ...]] = set()
    for ref in fields:
        if isinstance(ref, FieldRef):
            if ref.es_type is not None and ref.es_type not in STRINGS:
                raise QueryError(
                    f"multi_match(): {ref._where()} is {a(ref.es_type)} field; "
                    f"use text or keyword fields"
                )
            names.append(ref._path)
            nested.add(ref._nested)
        elif isinstance(ref, str) and ref:
            names.append(ref)
        else:
            raise QueryError(f"multi_match() fields are field references or names, got {ref!r}")
    if len(nested) > 1:
        raise QueryError(
            f"multi_match(): fields {names} lie in different nested objects; search each "
            f"nested object with its own query and combine them with | or &"
        )
    body: dict[str, Any] = {"query": query}
    if names:
        body["fields"] = names
    options = {
        "type": type,
        "operator": _clauses.operator(operator, "multi_match()"),
        "fuzziness": _clauses.fuzziness(fuzziness, "multi_match()"),
        "minimum_should_match": minimum_should_match,
        "tie_breaker": tie_breaker,
        "boost": boost,
    }
    body.update({k: v for k, v in options.items() if v is not None})
    return Leaf("multi_match", FrozenMap(body), tuple(names), next(iter(nested), ()))


def ids(values: Iterable[str | int | uuid.UUID]) -> Query:
    """Documents with these `_id`s."""
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
        raise QueryError(f"ids() takes a list of document ids, got {values!r}")
    checked: list[str] = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, str | int | uuid.UUID) or value == "":
            raise QueryError(f"ids(): a document id is a non-empty string, got {value!r}")
        checked.append(str(value))
    return Leaf("ids", FrozenMap({"values": checked}))


def match_all() -> Query:
    """Every document."""
    return Leaf("match_all", FrozenMap({}))


def match_none() -> Query:
    """No document."""
    return Leaf("match_none", FrozenMap({}))


def _clause_list(value: Clauses) -> tuple[Query, ...]:
    if value is None:
        return ()
    if isinstance(value, Query | Mapping):
        return (as_query(value),)
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise QueryError(f"bool_() clauses are queries or lists of queries, got {value!r}")
    return tuple(as_query(q) for q in value)
