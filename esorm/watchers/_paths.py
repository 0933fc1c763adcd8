"""Dotted paths into an execution context (`ctx.payload.hits.total`), as Watcher reads them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


def resolve(path: str, root: Mapping[str, Any]) -> Any:
    """The value at `path` (dict keys, list indexes by number), or `MISSING`."""
    value: Any = root
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif (
            isinstance(value, Sequence)
            and not isinstance(value, str)
            and part.isdigit()
            and int(part) < len(value)
        ):
            value = value[int(part)]
        else:
            return MISSING
    return value


def plain(value: Any) -> Any:
    """Frozen watch parts (mappings, tuples) as plain dicts and lists, for payloads."""
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def java_string(value: Any) -> str:
    """A value as Watcher's Java side prints it: `true`, `{a=1, b=[x, y]}`, ISO dates."""
    if value is None or value is MISSING:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}={_inner(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_inner(v) for v in value) + "]"
    return str(value)


def iso(moment: datetime) -> str:
    """`2026-01-31T12:00:00.000Z`: UTC with milliseconds, as Watcher writes times."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _inner(value: Any) -> str:
    return "null" if value is None else java_string(value)
