"""Date math relative to now (`now-5m`, `now/d`), as compare conditions write it in `<{...}>`."""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta

from esorm.watchers._errors import NotRunnableLocallyError

_STEP = re.compile(r"([+-])(\d+)([yMwdhHms])|/([yMwdhHms])")
_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "H": 3600, "m": 60, "s": 1}


def check(expression: str, where: str) -> None:
    """Refuse date math the local runner cannot evaluate (anything not based on `now`)."""
    if not expression.startswith("now") or _rest(expression) is None:
        raise NotRunnableLocallyError(
            f"{where}: the date math {expression!r} cannot be evaluated locally; write it "
            f"from now, e.g. '<{{now-5m}}>' or '<{{now/d}}>'"
        )


def evaluate(expression: str, now: datetime) -> datetime:
    """`now` moved and rounded down as the expression says (units y M w d h m s)."""
    steps = _rest(expression)
    if steps is None:  # checked at start; kept for direct callers
        raise ValueError(f"invalid date math {expression!r}")
    moment = now
    for sign, amount, unit, rounding in steps:
        if rounding:
            moment = _round_down(moment, rounding)
        else:
            moment = _add(moment, int(amount) * (1 if sign == "+" else -1), unit)
    return moment


def _rest(expression: str) -> list[tuple[str, str, str, str]] | None:
    rest = expression[3:]
    steps: list[tuple[str, str, str, str]] = []
    position = 0
    while position < len(rest):
        match = _STEP.match(rest, position)
        if match is None:
            return None
        steps.append(
            (match.group(1) or "", match.group(2) or "", match.group(3) or "", match.group(4) or "")
        )
        position = match.end()
    return steps


def _add(moment: datetime, amount: int, unit: str) -> datetime:
    if unit in ("y", "M"):
        months = moment.month - 1 + amount * (12 if unit == "y" else 1)
        year, month = moment.year + months // 12, months % 12 + 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        return moment.replace(year=year, month=month, day=day)
    return moment + timedelta(seconds=amount * _SECONDS[unit])


def _round_down(moment: datetime, unit: str) -> datetime:
    if unit == "y":
        return moment.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "M":
        return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "w":  # weeks start on Monday, as in Elasticsearch
        start = moment - timedelta(days=moment.weekday())
        return start.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "d":
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit in ("h", "H"):
        return moment.replace(minute=0, second=0, microsecond=0)
    if unit == "m":
        return moment.replace(second=0, microsecond=0)
    return moment.replace(microsecond=0)
