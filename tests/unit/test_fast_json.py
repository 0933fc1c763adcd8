"""The orjson serializers give the standard library's bytes and values wherever they differ."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from elasticsearch.serializer import JsonSerializer

from esorm.client import ConnectionSettings
from esorm.client._json import FastJsonSerializer, FastNdjsonSerializer

pytestmark = pytest.mark.unit

FAST, PLAIN = FastJsonSerializer(), JsonSerializer()


@dataclasses.dataclass
class Point:
    x: int


@pytest.mark.parametrize(
    "value",
    [
        {"big": 2**64},
        {"below": -(2**63) - 1},
        {"nan": float("nan")},
        {"inf": [1, {"x": float("inf")}]},
        {1: "integer key"},
        {"surrogate": "\ud800"},
        {"at": dt.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC), "day": dt.date(2024, 1, 2)},
        {"id": uuid.UUID(int=7), "price": Decimal("1.25")},
        {"plain": [None, True, 1, 0.1, 1e16, "é"]},
    ],
    ids=["big", "below", "nan", "inf", "int-key", "surrogate", "dates", "uuid-decimal", "plain"],
)
def test_dumps_like_the_standard_library(value: Any) -> None:
    assert FAST.dumps(value) == PLAIN.dumps(value)


def test_dataclasses_go_through_default_as_with_the_standard_library() -> None:
    with pytest.raises(Exception, match="Unable to serialize"):
        PLAIN.dumps({"p": Point(1)})
    with pytest.raises(Exception, match="Unable to serialize"):
        FAST.dumps({"p": Point(1)})


@pytest.mark.parametrize(
    "data",
    [
        b'{"a": 123456789012345678901234567890, "b": -9223372036854775809}',
        b'{"a": 18446744073709551615, "b": 0.1234567890123456789}',
        b'{"a": NaN, "b": Infinity}',
        b'{"a": 1e400}',
        b'{"a": "\\ud800"}',
        b'{"a": [1, 2.5, "x", null, true, {}]}',
        b"",
    ],
    ids=["big-ints", "u64-and-long-fraction", "nan", "overflow", "surrogate", "plain", "empty"],
)
def test_loads_like_the_standard_library(data: bytes) -> None:
    fast, plain = FAST.loads(data), PLAIN.loads(data)
    assert repr(fast) == repr(plain)


def test_ndjson_lines_like_the_standard_library() -> None:
    from elasticsearch.serializer import NdjsonSerializer

    lines = [{"index": {"_id": "1"}}, {"n": 2**70, "f": float("nan")}, b'{"raw":1}']
    assert FastNdjsonSerializer().dumps(lines) == NdjsonSerializer().dumps(lines)


def test_settings_pass_the_fast_serializers_only_when_on() -> None:
    on = ConnectionSettings().client_kwargs()["serializers"]
    assert isinstance(on["application/json"], FastJsonSerializer)
    assert isinstance(on["application/x-ndjson"], FastNdjsonSerializer)
    assert "serializers" not in ConnectionSettings(fast_json=False).client_kwargs()


def test_bulk_lines_hold_only_their_own_size() -> None:
    """A bulk helper holds every line of a chunk until it is sent: each line must cost its
    length, not the buffer orjson wrote it in (4 KiB and more)."""
    import tracemalloc

    docs = [{"id": f"user-{n}", "age": n, "region": "eu"} for n in range(1000)]
    tracemalloc.start()
    try:  # what `helpers.async_bulk` does with each action and each document
        lines = [FAST.dumps(doc) for doc in docs]
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sum(map(len, lines)) < 50_000
    assert held < 200_000, f"1000 short lines hold {held} bytes"
