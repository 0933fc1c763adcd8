"""Query values checked against a field's Elasticsearch type and converted to JSON, before I/O.

Enums become their values, datetimes and dates ISO strings (as pydantic dumps them), UUIDs
and other string-like objects their text. Types esorm does not know pass through unchecked.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import ipaddress
import math
from collections.abc import Mapping
from typing import Any

from pydantic_core import PydanticSerializationError, to_jsonable_python

from esorm.errors import QueryError

STRINGS = frozenset(
    {
        "keyword",
        "text",
        "match_only_text",
        "wildcard",
        "constant_keyword",
        "search_as_you_type",
        "version",
        "flattened",
    }
)
TEXTS = frozenset({"text", "match_only_text", "search_as_you_type"})
_INT_RANGES = {
    "byte": range(-(2**7), 2**7),
    "short": range(-(2**15), 2**15),
    "integer": range(-(2**31), 2**31),
    "long": range(-(2**63), 2**63),
    "unsigned_long": range(0, 2**64),
}
NUMBERS = frozenset({*_INT_RANGES, "half_float", "float", "double", "scaled_float"})
DATES = frozenset({"date", "date_nanos"})
# Field types no comparison applies to, with what to use instead.
NOT_COMPARABLE = {
    "object": "compare one of its fields",
    "nested": "compare one of its fields",
    "geo_point": "use .geo_distance(lat, lon, distance)",
    "geo_shape": "use a raw geo_shape query",
    "dense_vector": "use .knn(vector, ...)",
    "binary": "binary fields are not searchable",
}


def es_type(mapping: Mapping[str, Any]) -> str | None:
    """The field's Elasticsearch type; "object" for object mappings, None when unknown."""
    kind = mapping.get("type")
    if kind is None and "properties" in mapping:
        return "object"
    return None if kind is None else str(kind)


def check_value(value: Any, mapping: Mapping[str, Any], where: str, *, exact: bool) -> Any:
    """`value` as JSON for a query on a field with `mapping`; `QueryError` if it cannot match.

    Args:
        exact: the value must equal stored values (term, terms); False for range bounds.
    """
    kind = es_type(mapping)
    if isinstance(value, enum.Enum):
        value = value.value
        if kind in STRINGS and isinstance(value, int | float) and not isinstance(value, bool):
            return value  # a number-valued Enum stored in a keyword field
    if value is None:
        raise QueryError(f"{where}: None is not a value to search for; use .exists() or == None")
    if kind in STRINGS:
        return _string(value, kind, where)
    if kind in NUMBERS:
        return _number(value, kind, where, exact=exact)
    if kind in DATES:
        return _date(value, mapping, where)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _wrong(where, kind, "True or False", value)
        return value
    if kind == "ip":
        return _ip(value, where)
    return _jsonable(value, where)


def check_string(value: Any, where: str, what: str) -> str:
    """A text argument (match text, prefix, pattern) that must be a string."""
    if isinstance(value, enum.Enum):
        value = value.value
    if not isinstance(value, str):
        raise QueryError(f"{where}: {what} must be a string, got {type(value).__name__} {value!r}")
    return value


def _string(value: Any, kind: str, where: str) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        raise _wrong(where, kind, "a string", value, hint=f"; pass {str(value)!r} if meant")
    converted = _jsonable(value, where)
    if not isinstance(converted, str):
        raise _wrong(where, kind, "a string", value)
    return converted


def _number(value: Any, kind: str, where: str, *, exact: bool) -> int | float:
    if isinstance(value, decimal.Decimal) and value.is_finite():
        value = int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong(where, kind, "a number", value)
    if isinstance(value, float) and not math.isfinite(value):
        raise _wrong(where, kind, "a finite number", value)
    allowed = _INT_RANGES.get(kind)
    if allowed is not None:
        if isinstance(value, float):
            if exact and not value.is_integer():
                raise _wrong(where, kind, "a whole number", value, hint="; it can never match")
        elif value not in allowed:
            raise QueryError(
                f"{where}: {value} is outside the range of {a(kind)} field "
                f"({allowed.start} to {allowed.stop - 1})"
            )
    return value


def _date(value: Any, mapping: Mapping[str, Any], where: str) -> Any:
    fmt = str(mapping.get("format", "strict_date_optional_time||epoch_millis"))
    if isinstance(value, dt.datetime | dt.date):
        return to_jsonable_python(value)
    if isinstance(value, str):
        if "date_optional_time" not in fmt or value.startswith("now") or "||" in value:
            return value  # a custom format, or date math such as "now-1d/d"
        try:
            dt.datetime.fromisoformat(value)
        except ValueError:
            raise _wrong(where, "date", "a datetime, a date or an ISO 8601 string", value) from None
        return value
    if isinstance(value, int) and not isinstance(value, bool) and "epoch_millis" in fmt:
        return value
    raise _wrong(where, "date", "a datetime, a date or an ISO 8601 string", value)


def _ip(value: Any, where: str) -> str:
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return str(value)
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return str(value)
    if isinstance(value, str):
        try:
            if "/" in value:
                ipaddress.ip_network(value, strict=False)
            else:
                ipaddress.ip_address(value)
        except ValueError:
            raise _wrong(where, "ip", "an IP address or CIDR range", value) from None
        return value
    raise _wrong(where, "ip", "an IP address or CIDR range", value)


def _jsonable(value: Any, where: str) -> Any:
    try:
        return to_jsonable_python(value)
    except PydanticSerializationError:
        raise QueryError(
            f"{where}: cannot send {type(value).__name__} {value!r} to Elasticsearch"
        ) from None


def a(kind: str | None) -> str:
    """`kind` with its article, for messages: "an integer", "a keyword", "an untyped"."""
    word = kind or "untyped"
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


def _wrong(where: str, kind: str, expected: str, value: Any, hint: str = "") -> QueryError:
    return QueryError(
        f"{where} is {a(kind)} field; expected {expected}, got {type(value).__name__} "
        f"{value!r}{hint}"
    )
