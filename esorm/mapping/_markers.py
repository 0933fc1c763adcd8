"""Mapping markers from `esorm.domain` -> Elasticsearch field mappings, with type checks."""

from __future__ import annotations

import dataclasses
import decimal
from collections.abc import Mapping
from typing import Any

from esorm import domain as m
from esorm.errors import MappingError

_ES_TYPES: dict[type[m.FieldMarker], str] = {
    m.Text: "text",
    m.Keyword: "keyword",
    m.Byte: "byte",
    m.Short: "short",
    m.Integer: "integer",
    m.Long: "long",
    m.UnsignedLong: "unsigned_long",
    m.HalfFloat: "half_float",
    m.Float: "float",
    m.Double: "double",
    m.ScaledFloat: "scaled_float",
    m.Binary: "binary",
    m.GeoPointField: "geo_point",
    m.DenseVector: "dense_vector",
    m.Nested: "nested",
}
_INTEGERS = {"byte", "short", "integer", "long", "unsigned_long"}
_NUMBERS = _INTEGERS | {"half_float", "float", "double", "scaled_float"}

# Which default mappings each scalar marker may replace (its Python value must fit).
_ACCEPTS: dict[str, set[str]] = {
    "text": {"keyword"},
    "keyword": {"keyword", "long", "integer", "boolean", "ip", "date"},
    **{t: {"long", "integer"} for t in _INTEGERS},
    **{t: {"long", "integer", "double"} for t in _NUMBERS - _INTEGERS},
}

# Markers that map the annotated value as a whole, containers included (a vector is a list).
WHOLE_VALUE = (m.Mapped, m.DenseVector, m.GeoPointField)

# The field types whose mapping accepts `meta` (objects and nested do not).
META_TYPES = _NUMBERS | {
    "keyword",
    "text",
    "match_only_text",
    "wildcard",
    "constant_keyword",
    "boolean",
    "date",
    "date_nanos",
    "ip",
    "binary",
    "geo_point",
    "geo_shape",
    "dense_vector",
    "flattened",
    "version",
}


def marker_mapping(marker: m.FieldMarker, where: str) -> dict[str, Any]:
    """The mapping a marker asks for (without `properties`, which `Nested` gets from its model)."""
    if isinstance(marker, m.Mapped):
        return dict(thaw(marker.mapping))
    mapping: dict[str, Any] = {"type": _ES_TYPES[type(marker)]}
    subfields: dict[str, Any] = {}
    for f in dataclasses.fields(marker):
        value = getattr(marker, f.name)
        if f.name == "subfields":
            for sub_name, sub in value.items():
                subfields[sub_name] = _subfield(sub, f"{where}.{sub_name}")
        elif f.name == "keyword" and isinstance(marker, m.Text):
            if value:
                subfields["keyword"] = {"type": "keyword", "ignore_above": 256}
        elif f.name == "similarity" and isinstance(marker, m.DenseVector) and not marker.index:
            continue  # Elasticsearch refuses a similarity on a vector it does not index
        elif value is not None:
            mapping[f.name] = value
    if subfields:
        mapping["fields"] = subfields
    return mapping


def check_marker(
    marker: m.FieldMarker, tp: type, default: Mapping[str, Any] | None, where: str
) -> None:
    """Refuse a marker that contradicts the field's class `tp` (`default` is its usual mapping).

    A class esorm has no default for (`default` None) is trusted with any scalar marker.
    """
    if default is None or isinstance(marker, m.Mapped):
        return
    have = default.get("type")
    want = _ES_TYPES[type(marker)]
    ok = have in _ACCEPTS.get(want, ()) or (want in _NUMBERS and issubclass(tp, decimal.Decimal))
    if not ok:
        raise MappingError(
            f"{where}: {marker!r} cannot map a value Elasticsearch would store as {have!r}; "
            f"change the field's type or the marker, or use Mapped({{...}})"
        )


def thaw(value: Any) -> Any:
    """Plain dicts and lists from a marker's frozen values, ready for JSON."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


def _subfield(sub: Any, where: str) -> dict[str, Any]:
    if not isinstance(sub, m.FieldMarker) or isinstance(sub, m.Nested):
        raise MappingError(
            f"{where}: a subfield must be a field marker such as Keyword() or Text(), not {sub!r}"
        )
    return marker_mapping(sub, where)
