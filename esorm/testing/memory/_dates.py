"""Dates as Elasticsearch parses and prints them: the default formats, to epoch milliseconds.

A `date` field keeps milliseconds since the epoch (finer digits are cut off), a
`date_nanos` field nanoseconds. A bound whose text leaves fields out (`"2024-01-01"`)
stands for the first instant it names, or the last one when rounded up (the upper end
of a term, `lte` and `gt` bounds), as Elasticsearch's date parser does.
"""

from __future__ import annotations

import calendar
import datetime
import re
from collections.abc import Sequence

from esorm.testing.memory._errors import refuse
from esorm.testing.memory._numbers import parse_number_text

DEFAULT_FORMAT = "strict_date_optional_time||epoch_millis"

_ISO = re.compile(
    r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2})(?::(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,9}))?)?)?"
    r"(?P<zone>Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?$"
)
_ISO_FORMATS = frozenset(
    {
        "strict_date_optional_time",
        "strict_date_optional_time_nanos",
        "date_optional_time",
    }
)
_EPOCH_FORMATS = frozenset({"epoch_millis", "epoch_second"})
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_NANOS = 1_000_000_000


class Malformed(ValueError):
    """A value that is no date in the field's formats."""


def formats_of(spec: str | None) -> tuple[str, ...]:
    """The formats a mapping's `format` names, refused when the store cannot parse one."""
    names = tuple(part.strip() for part in (spec or DEFAULT_FORMAT).split("||"))
    for name in names:
        if name not in _ISO_FORMATS and name not in _EPOCH_FORMATS:
            raise refuse(
                f"date format {name!r}",
                "the in-memory store parses only strict_date_optional_time, "
                "date_optional_time, epoch_millis and epoch_second",
                "use the embedded server for other formats",
            )
    return names


def to_nanos(value: object, formats: Sequence[str], *, round_up: bool = False) -> int:
    """Nanoseconds since the epoch for a stored or queried date value.

    Raises:
        Malformed: no format accepts the value.
    """
    if isinstance(value, bool):
        raise Malformed(f"failed to parse date field [{value}]")
    if isinstance(value, int | float):
        if "epoch_millis" in formats:
            return _epoch(str(value), 1_000_000)
        if "epoch_second" in formats:
            return _epoch(str(value), _NANOS)
        raise Malformed(f"failed to parse date field [{value}]")
    if not isinstance(value, str):
        raise Malformed(f"failed to parse date field [{value}]")
    for name in formats:
        try:
            if name in _ISO_FORMATS:
                return _iso(value, round_up)
            return _epoch(value, 1_000_000 if name == "epoch_millis" else _NANOS)
        except Malformed:
            continue
    raise Malformed(f"failed to parse date field [{value}] with format [{'||'.join(formats)}]")


def to_millis(value: object, formats: Sequence[str], *, round_up: bool = False) -> int:
    """Milliseconds since the epoch, as a `date` field keeps them (finer digits cut off)."""
    return to_nanos(value, formats, round_up=round_up) // 1_000_000


def format_millis(millis: int, formats: Sequence[str]) -> str:
    """A date as Elasticsearch prints it in the field's first format (`key_as_string`)."""
    first = formats[0] if formats else "strict_date_optional_time"
    if first == "epoch_millis":
        return str(millis)
    if first == "epoch_second":
        return str(millis // 1000)
    moment = _EPOCH + datetime.timedelta(milliseconds=millis)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _epoch(text: str, unit: int) -> int:
    number = parse_number_text(text)
    if number is None or "e" in text.lower():
        raise Malformed(f"failed to parse date field [{text}]")
    return int(number * unit)


def _iso(text: str, round_up: bool) -> int:
    match = _ISO.match(text)
    if match is None:
        raise Malformed(f"failed to parse date field [{text}]")
    year_text, month_text, day_text, hour, minute, second, fraction, zone = match.groups()
    year = int(year_text)
    month = int(month_text) if month_text else (12 if round_up else 1)
    if not 1 <= month <= 12:
        raise Malformed(f"failed to parse date field [{text}]: month must be in 1..12")
    last_day = calendar.monthrange(year, month)[1]
    day = int(day_text) if day_text else (last_day if round_up else 1)
    clock = (
        int(hour) if hour else (23 if round_up else 0),
        int(minute) if minute else (59 if round_up else 0),
        int(second) if second else (59 if round_up else 0),
    )
    if not 1 <= day <= last_day or clock[0] > 23 or clock[1] > 59 or clock[2] > 59:
        raise Malformed(f"failed to parse date field [{text}]: no such date or time")
    nanos = int(fraction.ljust(9, "0")) if fraction is not None else 0
    if fraction is None and round_up:
        nanos = _NANOS - 1
    days = _days_from_civil(year, month, day)
    seconds = days * 86400 + clock[0] * 3600 + clock[1] * 60 + clock[2] - _offset_seconds(zone)
    return seconds * _NANOS + nanos


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm)."""
    year -= month <= 2
    era = year // 400
    of_era = year - era * 400
    of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    of_era_days = of_era * 365 + of_era // 4 - of_era // 100 + of_year
    return era * 146097 + of_era_days - 719468


def _offset_seconds(zone: str | None) -> int:
    if zone is None or zone == "Z":
        return 0
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    return sign * (hours * 3600 + minutes * 60)
