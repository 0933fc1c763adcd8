"""Watcher's time values (`"5m"`, `"500ms"`, `"1d"`) as timedeltas."""

from __future__ import annotations

from datetime import timedelta

from esorm.watchers import _checks

_SECONDS = {"nanos": 1e-9, "micros": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_period(value: str | None) -> timedelta | None:
    """A checked time value as a timedelta; None stays None, unknown text gives None."""
    if value is None:
        return None
    number = value.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = value[len(number) :]
    if not number.isdigit() or unit not in _SECONDS:
        return None
    return timedelta(seconds=int(number) * _SECONDS[unit])


def duration(value: str | timedelta, what: str) -> timedelta:
    """An option given as a timedelta or a time value; a bad one fails naming `what`."""
    if isinstance(value, timedelta):
        return value
    period = parse_period(_checks.time_value(value, what))
    if period is None:  # pragma: no cover - time_value accepts only parseable values
        raise _checks.fail(what, f"invalid duration {value!r}")
    return period
