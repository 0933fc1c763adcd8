"""Aggregations decided exactly: `terms` (with sub-aggregations), `value_count`, `min`, `max`,
`sum`, `avg`, and `cardinality` below its precision threshold. Others are refused.

Values come from doc values, as on the server: a keyword array counts each distinct
value once per document, numbers keep repeats; sums are compensated double sums;
`float` fields sum their 32-bit values; dates and booleans also report `*_as_string`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from esorm.testing.memory import _dates
from esorm.testing.memory._catalog import Catalog, Field
from esorm.testing.memory._errors import BadRequest, refuse
from esorm.testing.memory._index import Document
from esorm.testing.memory._numbers import INTEGER_RANGES
from esorm.testing.memory._types import (
    DATES,
    FLOATS,
    KEYWORDS,
    TEXTS,
    index_value,
    plain_number,
)

_METRICS = ("value_count", "min", "max", "sum", "avg", "cardinality")
_CARDINALITY_THRESHOLD = 3000
_SETS = KEYWORDS | {"ip"}  # doc values that keep each value once per document


def aggregate(spec: Any, documents: list[Document], catalog: Catalog) -> dict[str, Any]:
    """The `aggregations` of a response for the matching `documents`."""
    if not isinstance(spec, Mapping):
        raise BadRequest("parsing_exception", f"aggregations must be an object, got {spec!r}")
    return {name: _one(name, body, documents, catalog) for name, body in spec.items()}


def _one(name: str, body: Any, documents: list[Document], catalog: Catalog) -> dict[str, Any]:
    if not isinstance(body, Mapping):
        raise BadRequest("parsing_exception", f"aggregation [{name}] must be an object")
    subs = body.get("aggs", body.get("aggregations"))
    kinds = [k for k in body if k not in ("aggs", "aggregations", "meta")]
    if len(kinds) != 1:
        raise BadRequest("parsing_exception", f"aggregation [{name}] needs exactly one type")
    kind = kinds[0]
    params = body[kind]
    if kind == "terms":
        result = _terms(name, params, documents, catalog, subs)
    elif kind in _METRICS:
        if subs:
            raise BadRequest(
                "aggregation_initialization_exception",
                f"Aggregator [{name}] of type [{kind}] cannot accept sub-aggregations",
            )
        result = _metric(kind, name, params, documents, catalog)
    else:
        raise refuse(
            f"aggregation {kind!r} ({name})",
            "the in-memory store computes terms, value_count, min, max, sum, avg and "
            "cardinality only",
            "use the embedded server for other aggregations",
        )
    if body.get("meta") is not None:
        result["meta"] = body["meta"]
    return result


def _field(params: Mapping[str, Any], kind: str, catalog: Catalog) -> Field | None:
    if "script" in params:
        raise refuse(f"{kind} aggregation with a script", "the in-memory store runs no Painless")
    name = params.get("field")
    if not isinstance(name, str):
        raise BadRequest("illegal_argument_exception", f"[{kind}] requires a field")
    field = catalog.fields.get(name)
    if field is None:
        if name in catalog.runtime:
            raise refuse(f"{kind} aggregation on runtime field {name!r}", "runtime fields")
        return None  # unmapped: no values
    if field.nested is not None:
        raise refuse(f"{kind} aggregation on {name!r} inside a nested object", "nested documents")
    if field.type in TEXTS and not field.doc_values:
        raise BadRequest(
            "illegal_argument_exception",
            f"Text fields are not optimised for operations that require per-document field "
            f"data like aggregations and sorting, so these operations are disabled by default. "
            f"Please use a keyword field instead. Alternatively, set fielddata=true on [{name}] "
            f"in order to load field data by uninverting the inverted index. Note that this "
            f"can use significant memory.",
        )
    if field.type not in KEYWORDS | FLOATS | DATES | frozenset(INTEGER_RANGES) | {"boolean", "ip"}:
        raise refuse(f"{kind} aggregation on {field.type} field {name!r}", "not aggregated here")
    if "normalizer" in field.params:
        raise refuse(f"{kind} aggregation on {name!r}", "keyword normalizers are not applied")
    return field


def _values(document: Document, field: Field | None, missing: Any) -> list[Any]:
    values = document.values.get(field.path) if field is not None else None
    if values:
        return sorted(set(values)) if field is not None and field.type in _SETS else values
    return [] if missing is None else [missing]


def _missing(params: Mapping[str, Any], field: Field | None, kind: str) -> Any:
    raw = params.get("missing")
    if raw is None:
        return None
    if field is None:
        raise refuse(
            f"{kind} aggregation with missing on an unmapped field", "no type to read it as"
        )
    return index_value(field, raw)


# -- metrics -----------------------------------------------------------------------------------


def _metric(
    kind: str, name: str, params: Any, documents: list[Document], catalog: Catalog
) -> dict[str, Any]:
    if not isinstance(params, Mapping):
        raise BadRequest("parsing_exception", f"[{kind}] of [{name}] must be an object")
    allowed = {"field", "missing", "format", "precision_threshold", "script"}
    if set(params) - allowed or params.get("format") is not None:
        raise refuse(f"{kind} aggregation options {sorted(set(params) - {'field'})}", "not applied")
    field = _field(params, kind, catalog)
    if field is not None and field.type in _SETS and kind in ("min", "max", "sum", "avg"):
        raise BadRequest(
            "illegal_argument_exception",
            f"Field [{field.path}] of type [{field.type}] is not supported for aggregation "
            f"[{kind}]",
        )
    missing = _missing(params, field, kind)
    values = [v for document in documents for v in _values(document, field, missing)]
    if kind == "value_count":
        return {"value": len(values)}
    if kind == "cardinality":
        distinct = len(set(values))
        threshold = int(params.get("precision_threshold", _CARDINALITY_THRESHOLD))
        if distinct >= min(threshold, 40_000):
            raise refuse(
                f"cardinality of {name!r}",
                f"{distinct} distinct values reach the precision threshold ({threshold}), "
                f"above which Elasticsearch only estimates",
            )
        return {"value": distinct}
    numbers = [float(plain_number(field, v)) for v in values] if field is not None else []
    return _numeric(kind, numbers, field)


def _numeric(kind: str, numbers: list[float], field: Field | None) -> dict[str, Any]:
    value: float | None
    if kind == "min":
        value = min(numbers) if numbers else None
    elif kind == "max":
        value = max(numbers) if numbers else None
    elif kind == "sum":
        value = _compensated_sum(numbers)
    else:
        value = _compensated_sum(numbers) / len(numbers) if numbers else None
    result: dict[str, Any] = {"value": value}
    if value is not None and field is not None and math.isfinite(value):
        if field.type in DATES:
            millis = int(value) if field.type == "date" else int(value) // 1_000_000
            result["value_as_string"] = _dates.format_millis(millis, field.formats)
        elif field.type == "boolean" and kind in ("min", "max"):
            result["value_as_string"] = "true" if value else "false"
    return result


def _compensated_sum(numbers: list[float]) -> float:
    """Kahan summation in order, as Elasticsearch's `CompensatedSum`."""
    total, compensation = 0.0, 0.0
    for number in numbers:
        corrected = number - compensation
        new_total = total + corrected
        compensation = (new_total - total) - corrected
        total = new_total
    return total


# -- terms -------------------------------------------------------------------------------------


def _terms(
    name: str, params: Any, documents: list[Document], catalog: Catalog, subs: Any
) -> dict[str, Any]:
    if not isinstance(params, Mapping):
        raise BadRequest("parsing_exception", f"[terms] of [{name}] must be an object")
    allowed = {"field", "size", "min_doc_count", "order", "missing", "shard_size", "script"}
    unknown = set(params) - allowed
    if unknown:
        raise refuse(f"terms aggregation options {sorted(unknown)} ({name})", "not applied")
    field = _field(params, "terms", catalog)
    missing = _missing(params, field, "terms")
    size = int(params.get("size", 10))
    min_count = int(params.get("min_doc_count", 1))
    if min_count < 1:
        raise refuse(f"terms min_doc_count {min_count} ({name})", "empty buckets are not listed")
    groups: dict[Any, list[Document]] = {}
    for document in documents:
        for value in set(_values(document, field, missing)):
            groups.setdefault(value, []).append(document)
    buckets = []
    for key, members in groups.items():
        if len(members) < min_count:
            continue
        bucket: dict[str, Any] = {"doc_count": len(members)}
        assert field is not None
        bucket.update(_key(field, key))
        if subs:
            bucket.update(aggregate(subs, members, catalog))
        buckets.append((key, bucket))
    ordered = _sorted_buckets(buckets, params.get("order"), name)
    shown = [bucket for _, bucket in ordered[:size]]
    other = sum(bucket["doc_count"] for _, bucket in ordered[size:])
    return {"doc_count_error_upper_bound": 0, "sum_other_doc_count": other, "buckets": shown}


def _key(field: Field, key: Any) -> dict[str, Any]:
    if field.type in DATES:
        millis = key if field.type == "date" else key // 1_000_000
        return {"key": key, "key_as_string": _dates.format_millis(millis, field.formats)}
    if field.type == "boolean":
        return {"key": key, "key_as_string": "true" if key else "false"}
    if field.type == "ip":
        mapped = key.ipv4_mapped
        return {"key": str(mapped if mapped is not None else key)}
    if field.type in FLOATS:
        return {"key": float(plain_number(field, key))}
    return {"key": key}


def _sorted_buckets(
    buckets: list[tuple[Any, dict[str, Any]]], order: Any, name: str
) -> list[tuple[Any, dict[str, Any]]]:
    items = order if isinstance(order, list) else [order or {"_count": "desc"}]
    keys: list[tuple[Callable[[tuple[Any, dict[str, Any]]], Any], bool]] = []
    for item in items:
        if not isinstance(item, Mapping) or len(item) != 1:
            raise BadRequest("parsing_exception", f"bad terms order {order!r}")
        ((by, direction),) = item.items()
        keys.append((_bucket_value(str(by), name), direction == "desc"))
    if all(by is not _by_key for by, _ in keys):
        keys.append((_by_key, False))  # ties: by key, ascending
    ordered = sorted(buckets, key=lambda b: b[0])
    for by, descending in reversed(keys):
        ordered.sort(key=by, reverse=descending)
    return ordered


def _by_key(bucket: tuple[Any, dict[str, Any]]) -> Any:
    return bucket[0]


def _bucket_value(by: str, name: str) -> Callable[[tuple[Any, dict[str, Any]]], Any]:
    if by == "_key":
        return _by_key
    if by == "_count":
        return lambda bucket: bucket[1]["doc_count"]
    metric, _, prop = by.partition(".")

    def value(bucket: tuple[Any, dict[str, Any]]) -> Any:
        found = bucket[1].get(metric)
        if not isinstance(found, Mapping) or (prop or "value") not in found:
            raise refuse(f"terms order by {by!r} ({name})", "orders by single-value metrics only")
        result = found[prop or "value"]
        return -math.inf if result is None else result

    return value
