"""Values by field type: what a document's value is indexed as, and what a query value means.

Indexed values: keyword and text hold strings, integer types ints, `double` floats,
`float`/`half_float` floats rounded to their width, `scaled_float` the scaled long,
`date` epoch milliseconds (`date_nanos` nanoseconds), `boolean` 1 or 0, `ip` an
IPv6 address (IPv4 mapped). Types the store does not evaluate keep the value as given.
"""

from __future__ import annotations

import decimal
import functools
import ipaddress
import math
from collections.abc import Callable
from typing import Any, Final

from esorm.testing.memory import _dates
from esorm.testing.memory._catalog import Field
from esorm.testing.memory._errors import BadRequest, refuse
from esorm.testing.memory._numbers import (
    INTEGER_RANGES,
    java_double_text,
    java_round,
    parse_number_text,
    to_float16,
    to_float32,
)

KEYWORDS: Final = frozenset({"keyword"})
TEXTS: Final = frozenset({"text", "match_only_text"})
FLOATS: Final = frozenset({"double", "float", "half_float", "scaled_float"})
DATES: Final = frozenset({"date", "date_nanos"})
NUMERIC: Final = frozenset(INTEGER_RANGES) | FLOATS
EVALUATED: Final = KEYWORDS | TEXTS | NUMERIC | DATES | frozenset({"boolean", "ip"})
"""The field types whose values the store indexes and queries evaluate."""


class _Sentinel:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


SKIP: Final = _Sentinel("SKIP")
"""An accepted value that is not indexed (a keyword longer than `ignore_above`)."""
NO_MATCH: Final = _Sentinel("NO_MATCH")
"""A query value no document can hold (a decimal for an integer field)."""


class Malformed(ValueError):
    """A document value the field's type cannot hold (the document is refused)."""


class JsonFloat(float):
    """A float read from a document that remembers how the JSON wrote it, since a keyword
    field indexes a number as its text."""

    text: str

    def __new__(cls, text: str) -> JsonFloat:
        value = super().__new__(cls, text)
        value.text = text
        return value


# -- document values ---------------------------------------------------------------------------


def index_value(field: Field, raw: Any) -> Any:
    """What one document value is indexed as; `SKIP` when it is accepted but not indexed.

    Raises:
        Malformed: the type cannot hold the value.
    """
    return converter(field)(raw)


@functools.lru_cache(maxsize=4096)
def converter(field: Field) -> Callable[[Any], Any]:
    """The function indexing one value of `field`, worked out once per field."""
    kind = field.type
    if kind in KEYWORDS:
        limit = field.params.get("ignore_above")
        return _keyword if limit is None else functools.partial(_keyword_up_to, int(limit))
    if kind in TEXTS:
        return _keyword_text
    if kind in INTEGER_RANGES:
        return functools.partial(_stored_integer, field)
    if kind in FLOATS:
        return functools.partial(_stored_float, field)
    if kind in DATES:
        return functools.partial(_stored_date, field.formats, kind == "date_nanos")
    if kind == "boolean":
        return _stored_boolean
    if kind == "ip":
        return functools.partial(_ip, error=Malformed)
    return _as_given


def _as_given(raw: Any) -> Any:
    return raw


def _keyword(raw: Any) -> str:
    return raw if type(raw) is str else _keyword_text(raw)


def _keyword_up_to(limit: int, raw: Any) -> Any:
    text = raw if type(raw) is str else _keyword_text(raw)
    if len(text) > limit // 2 and len(text.encode("utf-16-le")) // 2 > limit:
        return SKIP
    return text


def _stored_date(formats: tuple[str, ...], nanos: bool, raw: Any) -> int:
    try:
        value = _dates.to_nanos(raw, formats)
    except _dates.Malformed as exc:
        raise Malformed(str(exc)) from None
    return value if nanos else value // 1_000_000


def _keyword_text(raw: Any) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, JsonFloat):
        return raw.text
    if isinstance(raw, int | float):
        return str(raw)
    raise Malformed(f"failed to parse field of type keyword: got {type(raw).__name__}")


def _stored_integer(field: Field, raw: Any) -> int:
    coerce = field.params.get("coerce", True) is not False
    if isinstance(raw, bool):
        raise Malformed("Current token (VALUE_TRUE) not numeric, can not use numeric accessors")
    if isinstance(raw, str):
        number = parse_number_text(raw)
        if number is None or not coerce:
            raise Malformed(f'For input string: "{raw}"')
        value = int(number)  # coerced: the fraction is cut off
    elif isinstance(raw, int):
        value = raw
    elif isinstance(raw, float):
        if not math.isfinite(raw) or (not coerce and raw != int(raw)):
            raise Malformed(f"Value [{raw}] has a decimal part")
        value = int(raw)
    else:
        raise Malformed(f"Current token ({type(raw).__name__}) not numeric")
    low, high = INTEGER_RANGES[field.type]
    if not low <= value <= high:
        raise Malformed(f"Value [{raw}] is out of range for {_article(field.type)}")
    return value


def _stored_float(field: Field, raw: Any) -> float | int:
    if isinstance(raw, bool):
        raise Malformed("Current token (VALUE_TRUE) not numeric, can not use numeric accessors")
    if isinstance(raw, str):
        number = parse_number_text(raw)
        if number is None or field.params.get("coerce", True) is False:
            raise Malformed(f'For input string: "{raw}"')
        value = float(number)
    elif isinstance(raw, int | float):
        value = float(raw)
    else:
        raise Malformed(f"Current token ({type(raw).__name__}) not numeric")
    if not math.isfinite(value):
        raise Malformed(f"[{field.type}] supports only finite values, but got [{raw}]")
    return _width(field, value)


def _width(field: Field, value: float) -> float | int:
    kind = field.type
    if kind == "float":
        return to_float32(value)
    if kind == "half_float":
        return to_float16(value)
    if kind == "scaled_float":
        return java_round(value * float(field.params.get("scaling_factor", 1)))
    return value


def _stored_boolean(raw: Any) -> int:
    if raw is True or raw == "true":
        return 1
    if raw is False or raw in ("false", ""):
        return 0
    raise Malformed(f"Failed to parse value [{raw}] as only [true] or [false] are allowed.")


def _ip(raw: Any, error: Callable[[str], Exception]) -> ipaddress.IPv6Address:
    if not isinstance(raw, str):
        raise error(f"'{raw}' is not an IP string literal.")
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        raise error(f"'{raw}' is not an IP string literal.") from None
    if isinstance(address, ipaddress.IPv4Address):
        return ipaddress.IPv6Address(f"::ffff:{address}")
    return address


def _article(kind: str) -> str:
    return "an integer" if kind == "integer" else f"a {kind}"


# -- query values ------------------------------------------------------------------------------


def query_value(field: Field, raw: Any) -> Any:
    """What a `term`/`terms` value matches on this field (`NO_MATCH` for none).

    Raises:
        BadRequest: Elasticsearch refuses the value for this field (HTTP 400).
    """
    kind = field.type
    if kind in KEYWORDS:
        if isinstance(raw, bool):
            return "true" if raw else "false"
        if isinstance(raw, float):
            return java_double_text(raw)
        if isinstance(raw, str | int):
            return str(raw)
        raise BadRequest("parsing_exception", f"[term] query does not support [{raw!r}]")
    if kind in INTEGER_RANGES:
        number = _query_number(field, raw)
        if number != number.to_integral_value():
            return NO_MATCH
        return _in_range(field, int(number), raw)
    if kind in FLOATS:
        return _width(field, float(_query_number(field, raw)))
    if kind == "boolean":
        if raw is True or raw == "true":
            return 1
        if raw is False or raw == "false":
            return 0
        raise BadRequest(
            "illegal_argument_exception",
            f"Can't parse boolean value [{raw}], expected [true] or [false]",
        )
    raise AssertionError(f"no term values for {kind}")  # dates, ips: see query_bounds


def _query_number(field: Field, raw: Any) -> decimal.Decimal:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise BadRequest("illegal_argument_exception", f"[{raw}] is not a number")
    if isinstance(raw, str):
        number = parse_number_text(raw)
        if number is None:
            raise BadRequest("number_format_exception", f'For input string: "{raw}"')
        return number
    if isinstance(raw, float) and not math.isfinite(raw):
        raise BadRequest("illegal_argument_exception", f"[{raw}] is not a finite number")
    return decimal.Decimal(repr(raw) if isinstance(raw, float) else raw)


def _in_range(field: Field, value: int, raw: Any) -> int:
    low, high = INTEGER_RANGES[field.type]
    if not low <= value <= high:
        raise BadRequest(
            "illegal_argument_exception",
            f"Value [{raw}] is out of range for {_article(field.type)}",
        )
    return value


def date_bound(field: Field, raw: Any, *, round_up: bool) -> int:
    """A date query value as the field's unit (ms, or ns for `date_nanos`).

    Raises:
        Refused: date math (`now`, `||`), which the store does not evaluate.
        BadRequest: no format accepts the value.
    """
    if isinstance(raw, str) and ("now" in raw or "||" in raw):
        raise refuse(
            f"date math {raw!r} on {field.path!r}",
            "the in-memory store does not evaluate date math",
            "compare with an absolute date",
        )
    try:
        nanos = _dates.to_nanos(raw, field.formats, round_up=round_up)
    except _dates.Malformed as exc:
        raise BadRequest("parse_exception", str(exc)) from None
    return nanos if field.type == "date_nanos" else nanos // 1_000_000


def range_bound(field: Field, raw: Any, op: str) -> Any:
    """A `range` bound as a value comparable with the field's indexed values."""
    kind = field.type
    if kind in DATES:
        return date_bound(field, raw, round_up=op in ("gt", "lte"))
    if kind in KEYWORDS:
        return query_value(field, raw)
    if kind in INTEGER_RANGES:
        return _query_number(field, raw)  # compared exactly: 5 > 4.5 as on the server
    if kind in FLOATS:
        number = float(_query_number(field, raw))
        if kind == "scaled_float":
            return number * float(field.params.get("scaling_factor", 1))
        return _width(field, number)
    if kind == "boolean":
        return query_value(field, raw)
    if kind == "ip":
        return _ip(raw, _bad_ip)
    raise AssertionError(kind)


def ip_matcher(raw: Any) -> ipaddress.IPv6Network:
    """The addresses a `term` on an ip field matches: one address, or a CIDR block."""
    if isinstance(raw, str) and "/" in raw:
        try:
            network = ipaddress.ip_network(raw, strict=False)
        except ValueError:
            raise BadRequest("illegal_argument_exception", f"invalid CIDR [{raw}]") from None
        if isinstance(network, ipaddress.IPv4Network):
            mapped = ipaddress.IPv6Address(f"::ffff:{network.network_address}")
            return ipaddress.IPv6Network(f"{mapped}/{96 + network.prefixlen}")
        return network
    return ipaddress.IPv6Network(f"{_ip(raw, _bad_ip)}/128")


def _bad_ip(message: str) -> BadRequest:
    return BadRequest("illegal_argument_exception", message)


# -- output ------------------------------------------------------------------------------------


def plain_number(field: Field, value: Any) -> Any:
    """An indexed numeric value as the number it stands for (a scaled_float unscaled)."""
    if field.type == "scaled_float":
        return value / float(field.params.get("scaling_factor", 1))
    return value
