"""An esorm-built client's orjson serializers store and read exactly what the defaults do."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from elasticsearch import AsyncElasticsearch

from esorm.client import ConnectionSettings, create_client
from esorm.testing import RunningServer

pytestmark = pytest.mark.integration

BIG_INTEGERS = {
    "beyond_u64": 2**64 + 1,
    "huge": 123456789012345678901234567890,
    "below_i64": -(2**63) - 1,
}
"""orjson would read these as floats; Elasticsearch keeps `_source` as sent."""

DOCUMENTS: dict[str, dict[str, Any]] = {
    "numbers": {
        "small": 1,
        "negative": -42,
        "i64_max": 2**63 - 1,
        "i64_min": -(2**63),
        "u64_max": 2**64 - 1,
        "tenth": 0.1,
        "whole_float": 1.0,
        "big_float": 1e16,
        "tiny": 5e-324,
        "max_float": 1.7976931348623157e308,
        "negative_zero": -0.0,
    },
    "unicode": {
        "emoji": "😀 👩‍💻",
        "cjk": "日本語のテキスト",
        "combining": "e\u0301",
        "separators": "line\u2028para\u2029",
        "escapes": 'quote " backslash \\ tab \t newline \n',
        "control": "\x00\x1f",
        "empty": "",
        "long_digits": "12345678901234567890123",
    },
    "nested": {
        "list": [1, "two", 3.0, None, True, [], {}],
        "deep": {"a": {"b": {"c": [{"d": [1, 2, {"e": "f"}]}]}}},
        "objects": [{"x": 1}, {"x": 2.5, "y": None}],
        "null": None,
    },
}


@pytest.fixture
async def clients(esorm_server: RunningServer) -> AsyncIterator[dict[str, AsyncElasticsearch]]:
    url = esorm_server.settings
    made = {
        "fast": create_client(url.model_copy(update={"fast_json": True})),
        "default": create_client(url.model_copy(update={"fast_json": False})),
    }
    yield made
    for client in made.values():
        await client.close()


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same JSON types all the way down (1 is not 1.0 here)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


async def test_fast_serializers_are_used_only_when_asked(
    clients: dict[str, AsyncElasticsearch],
) -> None:
    fast = clients["fast"].transport.serializers.get_serializer("application/json")
    default = clients["default"].transport.serializers.get_serializer("application/json")
    assert type(fast).__name__ == "FastJsonSerializer"
    assert type(default).__name__ == "JsonSerializer"


async def _round_trips(
    clients: dict[str, AsyncElasticsearch], index: str, document: dict[str, Any]
) -> dict[tuple[str, str], Any]:
    """The document written by each client and read back by each, by get and by search."""
    await clients["default"].indices.create(index=index, mappings={"dynamic": False})
    for kind, client in clients.items():
        await client.index(index=index, id=kind, document=document, refresh=True)
    read: dict[tuple[str, str], Any] = {}
    for reader_kind, reader in clients.items():
        for written_by in clients:
            got = await reader.get(index=index, id=written_by)
            read[written_by, f"get by {reader_kind}"] = got["_source"]
        hits = (await reader.search(index=index, query={"match_all": {}}))["hits"]["hits"]
        for hit in hits:
            read[hit["_id"], f"search by {reader_kind}"] = hit["_source"]
    return read


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
async def test_stored_and_read_back_the_same_either_way(
    clients: dict[str, AsyncElasticsearch], index_prefix: str, name: str
) -> None:
    document = DOCUMENTS[name]
    read = await _round_trips(clients, f"{index_prefix}json", document)
    assert len(read) == 8
    for way, source in read.items():
        assert _same(source, document), way


async def test_big_integers_read_alike_either_way(
    clients: dict[str, AsyncElasticsearch], index_prefix: str
) -> None:
    read = await _round_trips(clients, f"{index_prefix}big", BIG_INTEGERS)
    first = next(iter(read.values()))
    assert all(_same(source, first) for source in read.values())


@pytest.mark.embedded_gap("noida-db stores integers beyond 64 bits as floats")
async def test_big_integers_survive_either_way(
    clients: dict[str, AsyncElasticsearch], index_prefix: str
) -> None:
    read = await _round_trips(clients, f"{index_prefix}big", BIG_INTEGERS)
    for way, source in read.items():
        assert _same(source, BIG_INTEGERS), way


async def test_bulk_bodies_the_same_either_way(
    clients: dict[str, AsyncElasticsearch], index_prefix: str
) -> None:
    index = f"{index_prefix}bulk"
    await clients["default"].indices.create(index=index, mappings={"dynamic": False})
    for kind, client in clients.items():
        operations: list[Any] = []
        for name, document in DOCUMENTS.items():
            operations += [{"index": {"_index": index, "_id": f"{kind}-{name}"}}, document]
        answer = await client.bulk(operations=operations, refresh=True)
        assert not answer["errors"]
    for kind in clients:
        for name, document in DOCUMENTS.items():
            for reader in clients.values():
                source = (await reader.get(index=index, id=f"{kind}-{name}"))["_source"]
                assert _same(source, document), (kind, name)


async def test_a_query_with_nan_fails_the_same_either_way(
    clients: dict[str, AsyncElasticsearch], index_prefix: str
) -> None:
    """orjson would send NaN as null, a different query; the fallback sends NaN as `json` does."""
    index = f"{index_prefix}nan"
    await clients["default"].indices.create(index=index)
    outcomes = []
    for client in clients.values():
        try:
            await client.search(index=index, query={"range": {"x": {"gte": float("nan")}}})
        except Exception as exc:
            outcomes.append(type(exc).__name__)
        else:
            outcomes.append("answered")
    assert outcomes[0] == outcomes[1]


def test_settings_from_env_can_turn_fast_json_off() -> None:
    assert ConnectionSettings.from_env(environ={}).fast_json is True
    assert ConnectionSettings.from_env(environ={"ESORM_FAST_JSON": "false"}).fast_json is False
    kwargs = ConnectionSettings(fast_json=False).client_kwargs()
    assert "serializers" not in kwargs
