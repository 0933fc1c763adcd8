"""When a watch fires locally: every schedule Watcher accepts, as "the next time after t".

Intervals are aligned to the Unix epoch (UTC), so every runner of an application computes
the same trigger times and the lease can tell one trigger from the next; Watcher counts an
interval from the moment the watch was activated instead, so only the phase differs.
Hourly, daily, weekly, monthly and yearly schedules become the Quartz crons Watcher itself
builds from them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from esorm.watchers import _checks, _cron
from esorm.watchers._errors import WatchDefinitionError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_MONTHS: tuple[str, ...] = ("january", "february", "march", "april", "may", "june", "july")
_MONTHS += ("august", "september", "october", "november", "december")


class Trigger(Protocol):
    """A schedule evaluated locally."""

    def next_after(self, moment: datetime) -> datetime | None:
        """The first fire time strictly after `moment` (None: never again)."""
        ...


class IntervalTrigger:
    """Every `seconds`, at whole multiples of it since the epoch."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds

    def next_after(self, moment: datetime) -> datetime:
        elapsed = (moment - _EPOCH).total_seconds()
        periods = math.floor(elapsed / self.seconds) + 1
        return _EPOCH + timedelta(seconds=periods * self.seconds)

    def __repr__(self) -> str:
        return f"IntervalTrigger({self.seconds}s)"


def local_trigger(trigger: Mapping[str, Any], where: str) -> Trigger:
    """The local form of a watch's `{"schedule": {...}}` trigger."""
    _checks.check_trigger(trigger, where)
    schedule: Mapping[str, Any] = trigger["schedule"]
    kind, value = next(iter(schedule.items()))
    if kind == "interval":
        text = _checks.interval(value, where)
        return IntervalTrigger(int(text[:-1]) * _UNITS[text[-1]])
    expressions = _many(value) if kind == "cron" else _calendar(kind, value, where)
    return _cron.CronSchedule([_cron.parse(e, where) for e in expressions], where)


def _calendar(kind: str, value: Any, where: str) -> list[str]:
    """The Quartz crons of an hourly/daily/weekly/monthly/yearly schedule."""
    if kind == "hourly":
        minutes = _ints(_get(value, "minute", where, kind, default=[0]), 0, 59, where, "minute")
        return [f"0 {_join(minutes)} * * * ?"]
    crons: list[str] = []
    for part in _many(value):
        times = _times(_get(part, "at", where, kind, default=["midnight"]), where)
        if kind == "daily":
            crons += [f"0 {m} {h} * * ?" for h, m in times]
        elif kind == "weekly":
            weekdays = [_weekday(d, where) for d in _many(_get(part, "on", where, kind))]
            crons += [f"0 {m} {h} ? * {_join(weekdays)}" for h, m in times]
        elif kind == "monthly":
            days = _ints(_get(part, "on", where, kind), 1, 31, where, "day of month")
            crons += [f"0 {m} {h} {_join(days)} * ?" for h, m in times]
        else:  # yearly
            months = [_month(v, where) for v in _many(_get(part, "in", where, kind))]
            days = _ints(_get(part, "on", where, kind), 1, 31, where, "day of month")
            crons += [f"0 {m} {h} {_join(days)} {_join(months)} ?" for h, m in times]
    return crons


def _get(part: Any, key: str, where: str, kind: str, default: Any = None) -> Any:
    if not isinstance(part, Mapping):
        raise WatchDefinitionError(f"{where}: a {kind} schedule must be a dict, got {part!r}")
    if key not in part and default is None:
        raise WatchDefinitionError(f"{where}: a {kind} schedule needs {key!r}")
    return part.get(key, default)


def _times(value: Any, where: str) -> list[tuple[int, int]]:
    """`"HH:MM"`, `"noon"`, `"midnight"`, a list of those, or `{"hour": [...], "minute": [...]}`."""
    if isinstance(value, Mapping):
        hours = _ints(value.get("hour", [0]), 0, 23, where, "hour")
        minutes = _ints(value.get("minute", [0]), 0, 59, where, "minute")
        return [(h, m) for h in hours for m in minutes]
    found: list[tuple[int, int]] = []
    for text in _many(value):
        clock = _checks.clock(text, where)
        if clock in ("noon", "midnight"):
            found.append((12 if clock == "noon" else 0, 0))
        else:
            hour, minute = clock.split(":")
            found.append((int(hour), int(minute)))
    return found


def _weekday(value: Any, where: str) -> str:
    text = _checks.day_of_week(value, where)
    return text if text.isdigit() else text[:3].upper()  # Quartz: 1 = SUN, names as SUN


def _month(value: Any, where: str) -> int:
    text = str(value).lower() if isinstance(value, str | int) else ""
    if text.isdigit() and 1 <= int(text) <= 12:
        return int(text)
    for number, name in enumerate(_MONTHS, start=1):
        if text in (name, name[:3]):
            return number
    raise WatchDefinitionError(f"{where}: invalid month {value!r}: write e.g. 'january' or 'jan'")


def _ints(value: Any, low: int, high: int, where: str, what: str) -> list[int]:
    listed = _many(value)
    for item in listed:
        if not isinstance(item, int) or isinstance(item, bool) or not low <= item <= high:
            raise WatchDefinitionError(
                f"{where}: invalid {what} {item!r}: write a number from {low} to {high}"
            )
    if not listed:
        raise WatchDefinitionError(f"{where}: name at least one {what}")
    return [int(i) for i in listed]


def _join(values: list[Any]) -> str:
    return ",".join(str(v) for v in values)


def _many(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]
