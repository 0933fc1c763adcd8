"""JSON for esorm-built clients: orjson's speed, the standard library's answers.

orjson (the `fast` extra) reads a 10,000-hit search answer several times faster than
`json`, but it reads integers beyond 64 bits as floats, writes NaN as `null` and
refuses what `json` accepts (lone surrogates, integer dict keys, big integers). Where
the two could differ, these serializers hand the data to the standard library, so
every value reads and writes exactly as with the client's default serializers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from elasticsearch.serializer import JsonSerializer, NdjsonSerializer, Serializer

orjson: Any
try:
    import orjson
except ImportError:  # pragma: no cover - the `fast` extra is not installed
    orjson = None

_DIGITS = bytes.maketrans(b"123456789", b"000000000")
_LONG_NUMBER = b"0" * 19
"""19 digits in a row (every digit read as 0): maybe an integer beyond 64 bits, which orjson
would read as a float; a false alarm (in a string, a long fraction) costs the slower parser.
One `translate` and one `find` scan a 2 MB answer in about a millisecond, a regex in 30."""

_DEPTH = 64

_OPTIONS = (
    0 if orjson is None else orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)
"""Dates and dataclasses go through the client's `default`, as with `json`."""


def _loads(data: bytes) -> Any:
    if orjson is None or _LONG_NUMBER in data.translate(_DIGITS):
        return json.loads(data)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:  # NaN, 1e400, lone surrogates: what `json` still reads
        return json.loads(data)


def _dumps(serializer: JsonSerializer, data: Any) -> bytes:
    if orjson is not None:
        try:
            out: bytes = orjson.dumps(data, default=serializer.default, option=_OPTIONS)
        except TypeError:  # big integers, non-string keys, surrogates: `json` decides
            pass
        else:
            if b"null" not in out or not _non_finite(data, 0):
                # orjson (3.13) leaves each result in a buffer of at least 4 KiB; the bulk
                # helpers hold two per action until their chunk is sent (500 actions: 4 MiB),
                # so the result is copied to its own size (0.5 us)
                return bytes(memoryview(out))
    return json.dumps(
        data, default=serializer.default, ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8", "surrogatepass")


def _non_finite(value: Any, depth: int) -> bool:
    """True when a NaN or an infinity sits somewhere in `value` (orjson writes it as null)."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if value is None or isinstance(value, str | int | bytes):
        return False
    if depth > _DEPTH:
        return True
    if isinstance(value, Mapping):
        return any(_non_finite(item, depth + 1) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_non_finite(item, depth + 1) for item in value)
    return True  # anything else goes through `default`: let the standard library decide


class FastJsonSerializer(JsonSerializer):
    """`application/json` through orjson, falling back to `json` wherever they could differ."""

    def json_loads(self, data: bytes) -> Any:
        return _loads(data)

    def json_dumps(self, data: Any) -> bytes:
        return _dumps(self, data)


class FastNdjsonSerializer(NdjsonSerializer):
    """`application/x-ndjson` (bulk bodies) line by line, as `FastJsonSerializer`."""

    def json_loads(self, data: bytes) -> Any:
        return _loads(data)

    def json_dumps(self, data: Any) -> bytes:
        return _dumps(self, data)


def fast_serializers() -> dict[str, Serializer] | None:
    """The serializers an esorm-built client uses, or None without orjson (the client's
    defaults then)."""
    if orjson is None:
        return None
    return {
        FastJsonSerializer.mimetype: FastJsonSerializer(),
        FastNdjsonSerializer.mimetype: FastNdjsonSerializer(),
    }
