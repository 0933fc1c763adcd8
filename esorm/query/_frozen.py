"""Immutable, hashable copies of JSON-like values, so query values can be frozen and compared."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any


class FrozenDict(Mapping[str, Any]):
    """A read-only mapping that hashes by content, like the dict it was made from compares."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = {str(k): freeze(v) for k, v in data.items()}

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and self._data == dict(other.items())

    def __repr__(self) -> str:
        return repr(self._data)


def freeze(value: Any) -> Any:
    """Mappings -> `FrozenDict`, lists and tuples -> tuples, recursively; the rest as is."""
    if isinstance(value, Mapping):
        return value if isinstance(value, FrozenDict) else FrozenDict(value)
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Fresh plain dicts and lists from a frozen (or plain) value, ready for JSON."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [thaw(v) for v in value]
    return value


def to_json(value: Any) -> str:
    """Compact JSON as it would be sent; values the client would encode are shown as text."""
    return json.dumps(value, ensure_ascii=False, default=str)
