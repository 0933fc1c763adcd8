"""Query values checked against a field's Elasticsearch type and converted to JSON, before I/O.

Enums become their values, datetimes ISO strings with microseconds (Elasticsearch rounds a
bound without fraction up to the end of its second), dates ISO strings, UUIDs and other
string-like objects their text. Types esorm does not know pass through unchecked.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import ipaddress
import math
import re
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


# strict_date_optional_time: a year, then optional month, day, time, fraction and zone
_ISO_DATE = re.compile(
    r"(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})(?:T(?P<H>\d{2})(?::(?P<M>\d{2})"
    r"(?::(?P<S>\d{2})(?:[.,]\d{1,9})?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?"
)
_EPOCH = re.compile(r"-?\d+(?:\.\d+)?")
_UTC = dt.timedelta(0)


def es_type(mapping: Mapping[str, Any]) -> str | None:
    """The field's Elasticsearch type; "object" for object mappings, None when unknown."""
    kind = mapping.get("type")
    if kind is None and "properties" in mapping:
        return "object"
    return None if kind is None else str(kind)


def check_value(
    value: Any,
    mapping: Mapping[str, Any],
    where: str,
    *,
    exact: bool,
    classes: tuple[type, ...] = (),
) -> Any:
    """`value` as JSON for a query on a field with `mapping`; `QueryError` if it cannot match.

    Args:
        exact: the value must equal stored values (term, terms); False for range bounds.
        classes: the field's Python value classes, when known; an int or bool field mapped
            as keyword takes ints and bools (as the text Elasticsearch stores).
    """
    kind = es_type(mapping)
    if isinstance(value, enum.Enum):
        value = value.value
        if kind in STRINGS and isinstance(value, int | float) and not isinstance(value, bool):
            return value  # a number-valued Enum stored in a keyword field
    if value is None:
        raise QueryError(f"{where}: None is not a value to search for; use .exists() or == None")
    if kind in STRINGS:
        return _string(value, kind, where, classes)
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


def _string(value: Any, kind: str, where: str, classes: tuple[type, ...]) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) and bool in classes:
        return "true" if value else "false"
    if type(value) is int and any(_is_int(c) for c in classes):
        return str(value)
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
    if isinstance(value, dt.datetime):
        text = value.isoformat(timespec="microseconds")
        return text[:-6] + "Z" if value.utcoffset() == _UTC else text
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        if "strict_date_optional_time" not in fmt or value.startswith("now") or "||" in value:
            return value  # a custom format, or date math such as "now-1d/d"
        if _is_iso_date(value) or ("epoch_" in fmt and _EPOCH.fullmatch(value)):
            return value
        raise _wrong(where, "date", "a datetime, a date or an ISO 8601 string", value)
    if isinstance(value, int) and not isinstance(value, bool) and "epoch_" in fmt:
        return value
    raise _wrong(where, "date", "a datetime, a date or an ISO 8601 string", value)


def _is_iso_date(text: str) -> bool:
    """True for what `strict_date_optional_time` reads: `2024`, `2024-05`, `2024-05-01T12:30Z`."""
    found = _ISO_DATE.fullmatch(text)
    if found is None:
        return False
    parts = {k: int(v) for k, v in found.groupdict().items() if v is not None}
    try:
        dt.datetime(
            parts["y"],
            parts.get("m", 1),
            parts.get("d", 1),
            parts.get("H", 0),
            parts.get("M", 0),
            parts.get("S", 0),
        )
    except ValueError:
        return False
    return True


def unordered(classes: tuple[type, ...]) -> str | None:
    """Why a keyword field holding `classes` cannot be ranged or sorted, or None if it can.

    A keyword compares text: right for strings, wrong for numbers ("10" < "5") and durations.
    """
    for cls in classes:
        if issubclass(cls, dt.timedelta):
            return (
                "timedelta values are stored as ISO 8601 duration text, which does not sort "
                'by length ("P1DT2H" < "PT5H"); store the duration as a number (e.g. '
                "seconds: float) to compare or sort it"
            )
        if issubclass(cls, enum.Enum):
            fix = "use an IntEnum, which is mapped as integer"
        elif _is_int(cls):
            fix = "annotate the field with Long() (or drop Keyword())"
        elif issubclass(cls, decimal.Decimal | float):
            fix = "annotate the field with ScaledFloat(...) or Double()"
        else:
            continue
        if _is_number_class(cls) or issubclass(cls, decimal.Decimal):
            return (
                f"{cls.__name__} values are stored as keyword text, which does not sort by "
                f'value ("10" < "5"); {fix} to compare or sort by value'
            )
    return None


def _is_int(cls: type) -> bool:
    return issubclass(cls, int) and not issubclass(cls, bool | enum.Enum)


def _is_number_class(cls: type) -> bool:
    if issubclass(cls, enum.Enum):
        return any(isinstance(m.value, int | float) and not isinstance(m.value, bool) for m in cls)
    return issubclass(cls, int | float) and not issubclass(cls, bool)


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
