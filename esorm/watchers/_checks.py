"""Checks of watch parts before anything is sent; each failure says where and what to write."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from esorm.watchers import _cron
from esorm.watchers._errors import WatchDefinitionError

_INTERVAL = re.compile(r"(\d+)([smhdw])")
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_TIME_VALUE = re.compile(r"\d+(nanos|micros|ms|s|m|h|d)")
_CLOCK = re.compile(r"([01]?\d|2[0-3]):[0-5]\d")
_DAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
_DAY_NAMES = frozenset(_DAYS) | {d[:3] for d in _DAYS} | {str(i) for i in range(1, 8)}

SCHEDULE_TYPES = ("interval", "cron", "hourly", "daily", "weekly", "monthly", "yearly")
INPUT_TYPES = ("search", "simple", "http", "chain", "none")
CONDITION_TYPES = ("always", "never", "compare", "array_compare", "script")
TRANSFORM_TYPES = ("search", "script", "chain")
ACTION_TYPES = ("email", "index", "jira", "logging", "pagerduty", "slack", "webhook")
ACTION_OPTIONS = frozenset(
    {"throttle_period", "throttle_period_in_millis", "condition", "transform", "foreach"}
    | {"max_iterations"}
)


def fail(where: str, problem: str) -> WatchDefinitionError:
    """The error for one problem, prefixed with where it was found."""
    return WatchDefinitionError(f"{where}: {problem}")


def check_name(name: object, what: str = "watch", where: str = "") -> str:
    """A watch or action name: a non-empty string without whitespace."""
    lead = f"{where}: " if where else ""
    article = "an" if what[0] in "aeiou" else "a"
    if not isinstance(name, str) or not name.strip():
        raise WatchDefinitionError(f"{lead}{article} {what} needs a non-empty name, got {name!r}")
    if any(c.isspace() for c in name):
        raise WatchDefinitionError(f"{lead}{what} name {name!r} must not contain whitespace")
    return name


def interval(value: object, where: str = "Schedule.every") -> str:
    """An interval as Watcher writes it (`"10m"`); ints are seconds, at least one second."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        if seconds != int(seconds) or seconds < 1:
            raise fail(where, f"interval {value} must be a whole number of seconds, at least 1")
        whole = int(seconds)
        unit = next(u for u, size in _UNIT_SECONDS.items() if whole % size == 0)
        return f"{whole // _UNIT_SECONDS[unit]}{unit}"
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return f"{value}s"
    match = _INTERVAL.fullmatch(value) if isinstance(value, str) else None
    if match is None or int(match.group(1)) == 0:
        raise fail(
            where,
            f"invalid interval {value!r}: write a whole number and one unit of s, m, h, d, w "
            f"(e.g. '30s', '10m', '1d'), at least 1s",
        )
    return str(value)


def time_value(value: object, where: str) -> str:
    """A duration such as `"5m"` or `"500ms"` (throttle periods, timeouts)."""
    if isinstance(value, timedelta):
        millis = value.total_seconds() * 1000
        if millis != int(millis) or millis < 0:
            raise fail(where, f"{value} is not a whole number of milliseconds")
        if millis % 1000:
            return f"{int(millis)}ms"
        whole = int(millis) // 1000
        unit = next((u for u in "dhm" if whole and whole % _UNIT_SECONDS[u] == 0), "s")
        return f"{whole // _UNIT_SECONDS[unit]}{unit}"
    if not isinstance(value, str) or _TIME_VALUE.fullmatch(value) is None:
        raise fail(
            where,
            f"invalid duration {value!r}: write a whole number and a unit of ms, s, m, h, d "
            f"(e.g. '15m')",
        )
    return value


def cron(expression: object, where: str = "Schedule.cron") -> str:
    """A Watcher (Quartz) cron: 6 or 7 fields, seconds first, `?` in one day field."""
    _cron.parse(expression, where)
    return str(expression)


def clock(value: object, where: str) -> str:
    """A time of day for daily/weekly/monthly schedules: `"HH:MM"`, `"noon"`, `"midnight"`."""
    if isinstance(value, str) and (value in ("noon", "midnight") or _CLOCK.fullmatch(value)):
        return value
    raise fail(where, f"invalid time of day {value!r}: write 'HH:MM' (24h), 'noon' or 'midnight'")


def day_of_week(value: object, where: str) -> str:
    """A weekday name (`"monday"`, `"mon"`) or number (1 = sunday)."""
    text = str(value).lower() if isinstance(value, str | int) else ""
    if text not in _DAY_NAMES:
        raise fail(where, f"invalid day of week {value!r}: write e.g. 'monday' or 'mon'")
    return text


def day_of_month(value: object, where: str) -> int:
    """A day of the month, 1 to 31."""
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 31:
        return value
    raise fail(where, f"invalid day of month {value!r}: write a number from 1 to 31")


def one_type(part: object, types: Sequence[str], where: str, what: str) -> str:
    """The single type key of a trigger schedule, input, condition or transform."""
    if not isinstance(part, Mapping):
        raise fail(where, f"the {what} must be a dict, got {type(part).__name__}")
    keys = list(part)
    if len(keys) != 1 or keys[0] not in types:
        raise fail(
            where, f"the {what} needs exactly one type of {', '.join(types)}; got keys {keys}"
        )
    return str(keys[0])


def check_trigger(trigger: object, where: str) -> None:
    """A `{"schedule": {...}}` trigger with one valid schedule."""
    if not isinstance(trigger, Mapping) or list(trigger) != ["schedule"]:
        raise fail(
            where, "the trigger must be {'schedule': {...}}; build it with Schedule.every(...)"
        )
    schedule = trigger["schedule"]
    kind = one_type(schedule, SCHEDULE_TYPES, where, "schedule")
    value = schedule[kind]
    if kind == "interval":
        interval(value, where)
    elif kind == "cron":
        for expression in _many(value):
            cron(expression, where)


def check_action(name: object, action: object, where: str) -> None:
    """One action: a non-empty name, exactly one action type, only known options beside it."""
    check_name(name, "action", where)
    if not isinstance(action, Mapping):
        raise fail(where, f"action {name!r} must be a dict, got {type(action).__name__}")
    types = [k for k in action if k in ACTION_TYPES]
    unknown = [k for k in action if k not in ACTION_TYPES and k not in ACTION_OPTIONS]
    if unknown:
        raise fail(
            where,
            f"action {name!r} has unknown keys {unknown}; action types are "
            f"{', '.join(ACTION_TYPES)}, options {', '.join(sorted(ACTION_OPTIONS))}",
        )
    if len(types) != 1:
        problem = "has no type" if not types else f"has several types {types}"
        raise fail(
            where, f"action {name!r} {problem}: give exactly one of {', '.join(ACTION_TYPES)}"
        )
    if "condition" in action:
        one_type(action["condition"], CONDITION_TYPES, f"{where}, action {name!r}", "condition")
    if "transform" in action:
        one_type(action["transform"], TRANSFORM_TYPES, f"{where}, action {name!r}", "transform")
    if "throttle_period" in action:
        time_value(action["throttle_period"], f"{where}, action {name!r}")


def _many(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]
