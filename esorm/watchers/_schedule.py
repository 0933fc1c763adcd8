"""`Schedule`: builders of watch triggers, checked when built."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from esorm.watchers import _checks
from esorm.watchers.dsl import TriggerDict


class Schedule:
    """Builders of the `{"schedule": {...}}` trigger a `Watch` runs on; times are UTC.

    Example:
        Schedule.every("10m")                 # {"schedule": {"interval": "10m"}}
        Schedule.cron("0 0/15 * * * ?")       # seconds first, '?' in one day field
        Schedule.daily("06:00", "18:00")
    """

    __slots__ = ()

    @staticmethod
    def every(interval: str | int | timedelta) -> TriggerDict:
        """A fixed interval: `"30s"`, `"10m"`, `"2h"`, `"1d"`, `"1w"`, seconds, or a timedelta."""
        return {"schedule": {"interval": _checks.interval(interval)}}

    @staticmethod
    def cron(expression: str, *more: str) -> TriggerDict:
        """Quartz cron expressions (`sec min hour day-of-month month day-of-week [year]`).

        Several expressions fire on the union of their times.
        """
        checked = [_checks.cron(e) for e in (expression, *more)]
        return {"schedule": {"cron": checked[0] if len(checked) == 1 else checked}}

    @staticmethod
    def hourly(*minutes: int) -> TriggerDict:
        """Every hour at the given minutes past the hour (default: on the hour)."""
        chosen = list(minutes) or [0]
        for minute in chosen:
            if not isinstance(minute, int) or isinstance(minute, bool) or not 0 <= minute <= 59:
                raise _checks.fail("Schedule.hourly", f"invalid minute {minute!r}: write 0 to 59")
        return {"schedule": {"hourly": {"minute": chosen}}}

    @staticmethod
    def daily(*at: str) -> TriggerDict:
        """Every day at the given times (`"HH:MM"`, `"noon"`, `"midnight"`; default midnight)."""
        return {"schedule": {"daily": {"at": _times(at, "Schedule.daily")}}}

    @staticmethod
    def weekly(on: str | Sequence[str], at: str | Sequence[str] = "midnight") -> TriggerDict:
        """Every week on the given days (`"monday"`, `"fri"`) at the given times."""
        days = [_checks.day_of_week(d, "Schedule.weekly") for d in _listed(on)]
        if not days:
            raise _checks.fail("Schedule.weekly", "name at least one day")
        times = _times(_listed(at), "Schedule.weekly")
        return {"schedule": {"weekly": {"on": days, "at": times}}}

    @staticmethod
    def monthly(on: int | Sequence[int], at: str | Sequence[str] = "midnight") -> TriggerDict:
        """Every month on the given days (1 to 31) at the given times."""
        days = [_checks.day_of_month(d, "Schedule.monthly") for d in _listed(on)]
        if not days:
            raise _checks.fail("Schedule.monthly", "name at least one day")
        times = _times(_listed(at), "Schedule.monthly")
        return {"schedule": {"monthly": {"on": days, "at": times}}}


def _listed(value: object) -> list[object]:
    if isinstance(value, str | int):
        return [value]
    if isinstance(value, Sequence):
        return list(value)
    return [value]


def _times(values: Sequence[object], where: str) -> list[str]:
    return [_checks.clock(v, where) for v in values] or ["midnight"]
