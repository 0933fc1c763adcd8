"""Checked bodies of the clauses with more arguments: geo_distance, knn, match options."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from esorm.errors import QueryError
from esorm.query._query import QueryLike, as_query

_DISTANCE = re.compile(
    r"^\d+(\.\d+)?\s*(mi|miles|yd|yards|ft|feet|in|inch|km|kilometers|m|meters|cm|centimeters"
    r"|mm|millimeters|NM|nmi|nauticalmiles)?$"
)
_FUZZINESS = re.compile(r"^(AUTO(:\d+,\d+)?|[0-2])$")
MAX_NUM_CANDIDATES = 10_000


def operator(value: str | None, where: str) -> str | None:
    """A match `operator`: "and" or "or"."""
    if value is None:
        return None
    if not isinstance(value, str) or value.lower() not in ("and", "or"):
        raise QueryError(f"{where}: operator must be 'and' or 'or', got {value!r}")
    return value.lower()


def fuzziness(value: int | str | None, where: str) -> int | str | None:
    """A match `fuzziness`: 0, 1, 2, "AUTO" or "AUTO:low,high"."""
    if value is None:
        return None
    if isinstance(value, bool) or not _FUZZINESS.match(str(value)):
        raise QueryError(
            f"{where}: fuzziness must be 0, 1, 2, 'AUTO' or 'AUTO:low,high', got {value!r}"
        )
    return value


def geo_distance(
    path: str, lat: float, lon: float, distance: str | float, where: str
) -> dict[str, Any]:
    """The body of a `geo_distance` query, with coordinates and distance checked."""
    for name, value, limit in (("lat", lat, 90), ("lon", lon, 180)):
        if not _is_number(value) or not -limit <= value <= limit:
            raise QueryError(
                f"{where}: {name} must be a number from -{limit} to {limit}, got {value!r}"
            )
    if isinstance(distance, str):
        if not _DISTANCE.match(distance.strip()):
            raise QueryError(
                f"{where}: distance {distance!r} is not a distance such as '10km', '500m' or '5mi'"
            )
    elif not _is_number(distance) or distance <= 0:
        raise QueryError(
            f"{where}: distance must be a positive number of meters or a string "
            f"such as '10km', got {distance!r}"
        )
    return {"distance": distance, path: {"lat": lat, "lon": lon}}


def knn(
    path: str,
    mapping: Mapping[str, Any],
    vector: Iterable[float],
    k: int | None,
    num_candidates: int | None,
    where: str,
    *,
    similarity: float | None,
    filter: QueryLike | Iterable[QueryLike] | None,
    boost: float | None,
) -> dict[str, Any]:
    """The body of a `knn` query, with the vector checked against the field's `dims`."""
    if mapping.get("index") is False:
        raise QueryError(
            f"{where} is a dense_vector with index=False; it cannot be searched by knn"
        )
    if isinstance(vector, str | bytes | Mapping) or not isinstance(vector, Iterable):
        raise QueryError(f"{where}: knn() needs a list of numbers, got {vector!r}")
    values = list(vector)
    if not all(_is_number(v) and math.isfinite(v) for v in values):
        raise QueryError(f"{where}: knn() vector must hold only finite numbers, got {values!r}")
    dims = mapping.get("dims")
    if mapping.get("element_type") != "bit" and isinstance(dims, int) and len(values) != dims:
        raise QueryError(
            f"{where} holds vectors of {dims} dimensions; the query vector has {len(values)}"
        )
    for name, count in (("k", k), ("num_candidates", num_candidates)):
        if count is not None and (
            isinstance(count, bool) or not isinstance(count, int) or count < 1
        ):
            raise QueryError(f"{where}: knn() {name} must be a positive int, got {count!r}")
    if num_candidates is not None:
        if num_candidates > MAX_NUM_CANDIDATES:
            raise QueryError(f"{where}: knn() num_candidates may be at most {MAX_NUM_CANDIDATES}")
        if k is not None and num_candidates < k:
            raise QueryError(f"{where}: knn() num_candidates ({num_candidates}) must be >= k ({k})")
    body: dict[str, Any] = {"field": path, "query_vector": values}
    if k is not None:
        body["k"] = k
    if num_candidates is not None:
        body["num_candidates"] = num_candidates
    if similarity is not None:
        body["similarity"] = similarity
    if filter is not None:
        if isinstance(filter, Mapping) or not isinstance(filter, Iterable):
            body["filter"] = as_query(filter).to_dict()
        else:
            body["filter"] = [as_query(q).to_dict() for q in filter]
    if boost is not None:
        body["boost"] = boost
    return body


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
