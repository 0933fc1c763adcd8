"""Watcher's (Quartz) cron expressions: parsed and checked here, evaluated by croniter.

Quartz differs from the Unix cron croniter speaks: seconds come first, an optional year
comes last, `?` stands for "no value" in one day field, and day-of-week counts 1 = SUN to
7 = SAT where croniter counts 0 = SUN to 6 = SAT. Parsing expands every plain field to the
explicit values it names (steps, ranges, wrapping ranges, names), so croniter only sees
lists of numbers and the special forms both know (`L`, `15W`, `5L`, `6#3`), renumbered.
Quartz forms croniter cannot evaluate (`LW`, `L-3`, `nW` on days some months lack) parse
as valid Watcher crons, but the local runner refuses them by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from croniter import CroniterError, croniter

from esorm.watchers._errors import NotRunnableLocallyError, WatchDefinitionError

FIELD_NAMES = "seconds minutes hours day-of-month month day-of-week [year]"
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()


_FIELDS = (
    _Field("seconds", 0, 59),
    _Field("minutes", 0, 59),
    _Field("hours", 0, 23),
    _Field("day-of-month", 1, 31),
    _Field("month", 1, 12, _MONTHS),
    _Field("day-of-week", 1, 7, _DAYS),
    _Field("year", 1970, 2099),
)
_DOM, _DOW = 3, 5
_LAST_OFFSET = re.compile(r"L-(\d+)")
_NEAREST = re.compile(r"(\d+)W")
_LAST_DAY_OF_WEEK = re.compile(r"([0-9A-Z]+)L")
_NTH = re.compile(r"([0-9A-Z]+)#(\d+)")
_STEP = re.compile(r"([^/]+)/(\d+)")
_RANGE = re.compile(r"([0-9A-Z]+)-([0-9A-Z]+)")


@dataclass(frozen=True, slots=True)
class QuartzCron:
    """One parsed Quartz cron: each field as explicit values (None: every value), or a
    special day form (`L`, `LW`, `L-3`, `15W`; `5L`, `6#3`) kept as Quartz wrote it."""

    expression: str
    values: tuple[tuple[int, ...] | None, ...]
    specials: tuple[str | None, ...]

    def croniter_expression(self, where: str) -> str:
        """The same schedule in croniter's syntax (seconds first, as `second_at_beginning`).

        Raises:
            NotRunnableLocallyError: a Quartz form croniter has no equivalent for.
        """
        parts: list[str] = []
        for index, values in enumerate(self.values):
            special = self.specials[index]
            if special is not None:
                parts.append(_special(special, index, self.expression, where))
            elif values is None:
                parts.append("*")
            elif index == _DOW:  # Quartz 1 = SUN ... 7 = SAT, croniter 0 = SUN ... 6 = SAT
                parts.append(",".join(str(v - 1) for v in values))
            else:
                parts.append(",".join(str(v) for v in values))
        return " ".join(parts)


class CronSchedule:
    """The next fire times of one or more Quartz crons (their union), in UTC."""

    __slots__ = ("_expressions", "crons")

    def __init__(self, crons: list[QuartzCron], where: str) -> None:
        self.crons = tuple(crons)
        self._expressions = [c.croniter_expression(where) for c in crons]
        for cron, expression in zip(crons, self._expressions, strict=True):
            try:
                croniter(expression, second_at_beginning=True)
            except CroniterError as exc:  # a combination croniter refuses
                raise NotRunnableLocallyError(
                    f"{where}: cron {cron.expression!r} cannot be evaluated locally: {exc}"
                ) from None

    def next_after(self, moment: datetime) -> datetime | None:
        """The first fire time strictly after `moment`; None when no cron fires again."""
        found: list[datetime] = []
        for expression in self._expressions:
            try:
                it: Any = croniter(expression, moment, second_at_beginning=True)
                found.append(it.get_next(datetime))
            except CroniterError:  # e.g. only years that have passed
                continue
        return min(found) if found else None


def parse(expression: object, where: str = "Schedule.cron") -> QuartzCron:
    """Check a Watcher cron: 6 or 7 fields, seconds first, `?` in exactly one day field,
    every value in its range. Raises `WatchDefinitionError` naming the field."""
    if not isinstance(expression, str):
        raise WatchDefinitionError(f"{where}: a cron expression is a string, got {expression!r}")
    parts = expression.split()
    if len(parts) not in (6, 7):
        hint = ""
        if len(parts) == 5:
            hint = f"; Unix cron has 5, Watcher's starts with seconds: e.g. '0 {expression}'"
        raise WatchDefinitionError(
            f"{where}: cron {expression!r} has {len(parts)} fields, Watcher needs 6 or 7 "
            f"({FIELD_NAMES}){hint}"
        )
    day_of_month, day_of_week = parts[_DOM], parts[_DOW]
    if (day_of_month == "?") == (day_of_week == "?"):
        raise WatchDefinitionError(
            f"{where}: cron {expression!r}: put '?' in exactly one of day-of-month "
            f"({day_of_month!r}) and day-of-week ({day_of_week!r}), e.g. '0 0 12 * * ?'"
        )
    values: list[tuple[int, ...] | None] = []
    specials: list[str | None] = []
    for index, text in enumerate(parts):
        field = _FIELDS[index]
        upper = text.upper()
        special = _parse_special(upper, index, field, expression, where)
        specials.append(special)
        values.append(None if special is not None else _values(upper, field, expression, where))
    if len(parts) == 6:
        values.append(None)
        specials.append(None)
    return QuartzCron(expression, tuple(values), tuple(specials))


def _parse_special(text: str, index: int, field: _Field, expression: str, where: str) -> str | None:
    """A whole-field special form of the day fields, checked; None for ordinary fields."""

    def bad(problem: str) -> WatchDefinitionError:
        return WatchDefinitionError(f"{where}: cron {expression!r}: {field.name} {problem}")

    if index == _DOM:
        if text in ("L", "LW"):
            return text
        if (match := _LAST_OFFSET.fullmatch(text)) is not None:
            if int(match.group(1)) > 30:
                raise bad(f"{text!r}: the offset from the last day must be 0 to 30")
            return text
        if (match := _NEAREST.fullmatch(text)) is not None:
            if not 1 <= int(match.group(1)) <= 31:
                raise bad(f"{text!r}: 'W' needs one day from 1 to 31")
            return text
        if "W" in text or "L" in text:
            raise bad(f"{text!r}: write 'L', 'LW', 'L-n' or 'nW' alone in the field")
    if index == _DOW:
        if text == "L":
            return "7L"  # Quartz: 'L' alone in day-of-week is Saturday, the 7th day
        if (match := _LAST_DAY_OF_WEEK.fullmatch(text)) is not None:
            return f"{_number(match.group(1), field, expression, where)}L"
        if (match := _NTH.fullmatch(text)) is not None:
            day = _number(match.group(1), field, expression, where)
            if not 1 <= int(match.group(2)) <= 5:
                raise bad(f"{text!r}: the n in 'day#n' must be 1 to 5")
            return f"{day}#{match.group(2)}"
        if "#" in text or "L" in text.replace("LW", ""):
            raise bad(f"{text!r}: write 'nL' or 'n#k' alone in the field (no lists or ranges)")
    return None


def _values(text: str, field: _Field, expression: str, where: str) -> tuple[int, ...] | None:
    """The explicit values of a plain field; None for `*` and `?`."""
    if text in ("*", "?"):
        return None
    found: set[int] = set()
    for item in text.split(","):
        found.update(_item(item, field, expression, where))
    return tuple(sorted(found))


def _item(item: str, field: _Field, expression: str, where: str) -> list[int]:
    step = 1
    if (match := _STEP.fullmatch(item)) is not None:
        item, step = match.group(1), int(match.group(2))
        if step == 0:
            raise WatchDefinitionError(
                f"{where}: cron {expression!r}: {field.name} step 0 in {match.group(0)!r}"
            )
        if item == "*":
            item = str(field.low)
        elif _RANGE.fullmatch(item) is None:  # 'a/n': from a to the end of the field
            item = f"{item}-{field.high}"
    elif item == "*":
        return list(range(field.low, field.high + 1))
    if (match := _RANGE.fullmatch(item)) is not None:
        low = _number(match.group(1), field, expression, where)
        high = _number(match.group(2), field, expression, where)
        span = list(range(low, high + 1))
        if low > high:  # Quartz ranges wrap: 'FRI-MON', '22-2'
            span = list(range(low, field.high + 1)) + list(range(field.low, high + 1))
        return span[::step]
    return [_number(item, field, expression, where)]


def _number(text: str, field: _Field, expression: str, where: str) -> int:
    if text in field.names:
        return field.names.index(text) + 1
    if not text.isdigit():
        known = f" or one of {', '.join(field.names)}" if field.names else ""
        raise WatchDefinitionError(
            f"{where}: cron {expression!r}: {field.name} value {text!r} is not a number{known}"
        )
    value = int(text)
    if not field.low <= value <= field.high:
        extra = " (1 = SUN ... 7 = SAT)" if field.names == _DAYS else ""
        raise WatchDefinitionError(
            f"{where}: cron {expression!r}: {field.name} value {value} is out of range "
            f"{field.low}-{field.high}{extra}"
        )
    return value


def _special(special: str, index: int, expression: str, where: str) -> str:
    refuse = f"{where}: cron {expression!r} cannot run locally: "
    if index == _DOM:
        if special == "L":
            return "L"
        if special == "LW":
            raise NotRunnableLocallyError(
                refuse + "'LW' (the last weekday of the month) has no croniter equivalent; "
                "run this watch with Watcher, or use 'L' or a 'nW' day"
            )
        if special.startswith("L-"):
            raise NotRunnableLocallyError(
                refuse + f"{special!r} (days before the last of the month) has no croniter "
                "equivalent; run this watch with Watcher, or use 'L'"
            )
        day = int(special[:-1])
        if day > 28:
            raise NotRunnableLocallyError(
                refuse + f"{special!r}: Quartz leaves 'nW' undefined in months without day "
                f"{day}; use 'L' or a day up to 28"
            )
        return f"{day}W"
    if special.endswith("L"):
        return f"L{int(special[:-1]) - 1}"
    weekday, nth = special.split("#")
    return f"{int(weekday) - 1}#{nth}"
