"""Immutable, hashable copies of JSON-like values, so markers and query values compare and hash."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any


class FrozenMap(Mapping[str, Any]):
    """A read-only, hashable mapping, so markers holding dicts stay immutable and comparable."""

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = {str(k): freeze(v) for k, v in data.items()}
        self._hash: int | None = None

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self.items()) == dict(other.items())

    def __repr__(self) -> str:
        return repr(self._data)


def freeze(value: Any) -> Any:
    """Mappings -> `FrozenMap`, lists and tuples -> tuples, recursively; the rest as is."""
    if isinstance(value, Mapping):
        return value if isinstance(value, FrozenMap) else FrozenMap(value)
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
