"""Conditions decided locally as Watcher decides them; a script condition is refused.

`compare` and `array_compare` follow Watcher's lenient comparison: a number against a
numeric string compares as numbers, anything against a string compares as text, a value
against date math (`<{now-5m}>`) compares as instants, and values that cannot be compared
are simply unequal (so `not_eq` holds and every other operator fails).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from esorm.watchers import _datemath
from esorm.watchers._errors import NotRunnableLocallyError, WatchDefinitionError
from esorm.watchers._paths import MISSING, java_string, resolve

Decision = Callable[[Mapping[str, Any], datetime], bool]
"""A compiled condition: (template model `{"ctx": ...}`, evaluation time) -> met."""

_COMPARABLE = (str, int, float, bool, datetime)
_OPERATORS = ("eq", "not_eq", "gt", "gte", "lt", "lte")
_DATE_MATH = re.compile(r"<\{(.+)\}>")
_PATH = re.compile(r"\{\{(.+)\}\}")


def compile_condition(condition: Mapping[str, Any] | None, where: str) -> Decision:
    """A condition dict as a function; refuses what cannot be decided without Elasticsearch."""
    if condition is None:
        return _always
    kind, spec = next(iter(condition.items()))
    if kind == "always":
        return _always
    if kind == "never":
        return _never
    if kind == "script":
        raise NotRunnableLocallyError(
            f"{where}: the condition is a script, which only Elasticsearch can run "
            f"(Painless); the local runner decides always, never, compare and array_compare "
            f"conditions, so run this watch with Watcher or write it as a compare"
        )
    if kind == "compare":
        path, op, value = _single(spec, where, kind)
        _check_value(value, where)
        return lambda model, now: _OPS[op](_resolve(path, model), _configured(value, model, now))
    if kind == "array_compare":
        return _array_compare(spec, where)
    raise WatchDefinitionError(f"{where}: unknown condition type {kind!r}")


def _array_compare(spec: Any, where: str) -> Decision:
    if not isinstance(spec, Mapping) or len(spec) != 1:
        raise WatchDefinitionError(f"{where}: array_compare needs exactly one array path")
    path, body = next(iter(spec.items()))
    if not isinstance(body, Mapping):
        raise WatchDefinitionError(f"{where}: array_compare of {path!r} must be a dict")
    element = body.get("path", "")
    ops = [k for k in body if k != "path"]
    if len(ops) != 1 or ops[0] not in _OPERATORS or not isinstance(body[ops[0]], Mapping):
        raise WatchDefinitionError(
            f"{where}: array_compare of {path!r} needs one operator of {', '.join(_OPERATORS)} "
            f"with {{'value': ..., 'quantifier': 'some'|'all'}}"
        )
    op = ops[0]
    value = body[op].get("value")
    quantifier = body[op].get("quantifier", "some")
    if quantifier not in ("some", "all"):
        raise WatchDefinitionError(f"{where}: quantifier must be 'some' or 'all'")
    _check_value(value, where)
    compare = _OPS[op]

    def decide(model: Mapping[str, Any], now: datetime) -> bool:
        array = _resolve(path, model)
        if not isinstance(array, list | tuple):
            raise ValueError(f"array path [{path}] did not evaluate to an array, was [{array}]")
        expected = _configured(value, model, now)
        found = [resolve(element, item) if element else item for item in array]
        checks = (compare(None if v is MISSING else v, expected) for v in found)
        return all(checks) if quantifier == "all" else any(checks)

    return decide


def _single(spec: Any, where: str, kind: str) -> tuple[str, str, Any]:
    if not isinstance(spec, Mapping) or len(spec) != 1:
        raise WatchDefinitionError(f"{where}: {kind} needs exactly one path to compare")
    path, ops = next(iter(spec.items()))
    if not isinstance(ops, Mapping) or len(ops) != 1 or next(iter(ops)) not in _OPERATORS:
        raise WatchDefinitionError(
            f"{where}: {kind} of {path!r} needs exactly one operator of {', '.join(_OPERATORS)}"
        )
    op, value = next(iter(ops.items()))
    return str(path), str(op), value


def _check_value(value: Any, where: str) -> None:
    if isinstance(value, str) and (match := _DATE_MATH.fullmatch(value)) is not None:
        _datemath.check(match.group(1), where)


def _configured(value: Any, model: Mapping[str, Any], now: datetime) -> Any:
    if isinstance(value, str):
        if (match := _DATE_MATH.fullmatch(value)) is not None:
            return _datemath.evaluate(match.group(1), now)
        if (match := _PATH.fullmatch(value)) is not None:
            return _resolve(match.group(1).strip(), model)
    return value


def _resolve(path: str, model: Mapping[str, Any]) -> Any:
    value = resolve(path, model)
    return None if value is MISSING else value


def lenient_compare(v1: Any, v2: Any) -> int | None:
    """Watcher's `LenientCompare`: the sign of v1 - v2, or None when they do not compare."""
    if (type(v1) is type(v2) and v1 == v2) or (v1 is None and v2 is None):
        return 0
    if v1 is None or v2 is None or _is_nan(v1) or _is_nan(v2):
        return None
    if _is_number(v2):
        if not _is_number(v1):
            try:
                v1 = float(java_string(v1))
            except ValueError:
                return None
        return _sign(v1, v2)
    if isinstance(v2, str):
        return _sign(java_string(v1), v2)
    if isinstance(v2, datetime):
        instant = _instant(v1)
        return None if instant is None else _sign(instant, v2)
    if type(v1) is not type(v2) or not isinstance(v1, _COMPARABLE):
        return None  # as Java: only values of one Comparable class compare
    return _sign(v1, v2)


def _instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if _is_number(value):
        return datetime.fromtimestamp(float(value) / 1000, UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and value != value


def _sign(a: Any, b: Any) -> int:
    return (a > b) - (a < b)  # type: ignore[no-any-return]


def _op(test: Callable[[int], bool], when_none: bool) -> Callable[[Any, Any], bool]:
    def compare(v1: Any, v2: Any) -> bool:
        result = lenient_compare(v1, v2)
        return when_none if result is None else test(result)

    return compare


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": _op(lambda c: c == 0, False),
    "not_eq": _op(lambda c: c != 0, True),
    "gt": _op(lambda c: c > 0, False),
    "gte": _op(lambda c: c >= 0, False),
    "lt": _op(lambda c: c < 0, False),
    "lte": _op(lambda c: c <= 0, False),
}


def _always(model: Mapping[str, Any], now: datetime) -> bool:
    return True


def _never(model: Mapping[str, Any], now: datetime) -> bool:
    return False
