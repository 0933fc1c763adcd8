"""Numbers as Elasticsearch holds them: float widths, integer ranges, Java's number text."""

from __future__ import annotations

import decimal
import math
import re
import struct

INTEGER_RANGES: dict[str, tuple[int, int]] = {
    "long": (-(2**63), 2**63 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "short": (-(2**15), 2**15 - 1),
    "byte": (-(2**7), 2**7 - 1),
}
"""The integer types and the values each can hold."""

LONG_MIN, LONG_MAX = INTEGER_RANGES["long"]

_NUMBER_TEXT = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?\s*$")


def to_float32(value: float) -> float:
    """`value` rounded to a 32-bit float (a `float` field), as a Python float."""
    result: float = struct.unpack("<f", struct.pack("<f", value))[0]
    return result


def to_float16(value: float) -> float:
    """`value` rounded to a 16-bit float (a `half_float` field)."""
    result: float = struct.unpack("<e", struct.pack("<e", value))[0]
    return result


def short_float32(value: float) -> float:
    """The double a JSON reader sees for a 32-bit float Elasticsearch prints (`0.1`, not
    `0.10000000149011612`): the shortest decimal that rounds back to the same float32."""
    if not math.isfinite(value):
        return value
    for digits in range(1, 10):
        text = f"{value:.{digits}g}"
        if to_float32(float(text)) == value:
            return float(text)
    return value


def java_round(value: float) -> int:
    """Java's `Math.round`: halves round up (towards positive infinity)."""
    return math.floor(value + 0.5)


def parse_number_text(text: str) -> decimal.Decimal | None:
    """A number written as text the way Java's parsers accept it, or None when it is none."""
    if not _NUMBER_TEXT.match(text):
        return None
    cleaned = text.strip().rstrip("fFdD")
    return decimal.Decimal(cleaned)


def java_double_text(value: float) -> str:
    """`Double.toString(value)`: how Elasticsearch writes a double as a keyword."""
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if math.isnan(value):
        return "NaN"
    sign, digits, exponent = decimal.Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    point = len(text) + exponent  # position of the decimal point from the left
    prefix = "-" if sign else ""
    if 1e-3 <= abs(value) < 1e7:
        if point <= 0:
            return f"{prefix}0.{'0' * -point}{text}"
        if point >= len(text):
            return f"{prefix}{text}{'0' * (point - len(text))}.0"
        return f"{prefix}{text[:point]}.{text[point:]}"
    mantissa = f"{text[0]}.{text[1:] or '0'}"
    return f"{prefix}{mantissa}E{point - 1}"
