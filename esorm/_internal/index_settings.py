"""Reading one index setting the three ways a settings body may spell it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def int_setting(settings: Mapping[str, Any], name: str, default: int) -> int:
    """`name` from index settings given as `{name: ...}`, `{"index.<name>": ...}` or
    `{"index": {name: ...}}` (the first found), or `default`."""
    nested = settings.get("index")
    for value in (
        settings.get(name),
        settings.get(f"index.{name}"),
        nested.get(name) if isinstance(nested, Mapping) else None,
    ):
        if value is not None:
            return int(value)
    return default
