"""Aggregations the in-memory store computes, answered as Elasticsearch answers them."""

from __future__ import annotations

from typing import Any

import pytest

from esorm.mapping import EntityMapping
from esorm.store import DocumentStore
from tests.contract._catalog import CreateIndices, Item, catalog_registry, put

pytestmark = pytest.mark.contract

DOCS: list[dict[str, Any]] = [
    {"id": "a", "sku": "s1", "count": 3, "price": 1.5, "tags": ["x", "y"], "active": True},
    {"id": "b", "sku": "s2", "count": 1, "price": 2.0, "tags": ["y"], "at": "2024-01-02T00:00:00Z"},
    {"id": "c", "sku": "s2", "count": 2, "tags": ["y", "z"], "at": "2024-01-01T00:00:00Z"},
    {"id": "d", "sku": "s3"},
]


@pytest.fixture
async def items(
    store: DocumentStore, prefix: str, create_indices: CreateIndices
) -> EntityMapping[Any]:
    registry = catalog_registry(prefix)
    await create_indices(registry)
    mapping = registry.mapping_for(Item)
    await put(store, mapping, *DOCS)
    return mapping


async def aggregate(store: DocumentStore, mapping: EntityMapping[Any], **aggs: Any) -> Any:
    response = await store.search(mapping, {"size": 0, "aggs": aggs})
    return response["aggregations"]


async def test_terms_buckets_by_count_then_key(
    store: DocumentStore, items: EntityMapping[Any]
) -> None:
    result = await aggregate(
        store,
        items,
        tags={"terms": {"field": "tags"}},
        top={"terms": {"field": "sku", "size": 1}},
        counts={"terms": {"field": "count", "order": {"_key": "desc"}}},
    )
    assert result["tags"] == {
        "doc_count_error_upper_bound": 0,
        "sum_other_doc_count": 0,
        "buckets": [
            {"key": "y", "doc_count": 3},
            {"key": "x", "doc_count": 1},
            {"key": "z", "doc_count": 1},
        ],
    }
    assert result["top"]["buckets"] == [{"key": "s2", "doc_count": 2}]
    assert result["top"]["sum_other_doc_count"] == 2
    assert [(b["key"], b["doc_count"]) for b in result["counts"]["buckets"]] == [
        (3, 1),
        (2, 1),
        (1, 1),
    ]


async def test_terms_with_metrics_inside(store: DocumentStore, items: EntityMapping[Any]) -> None:
    result = await aggregate(
        store,
        items,
        by_sku={
            "terms": {"field": "sku", "order": {"spent": "desc"}},
            "aggs": {"spent": {"sum": {"field": "price"}}, "top": {"max": {"field": "count"}}},
        },
    )
    buckets = [
        (b["key"], b["doc_count"], b["spent"]["value"], b["top"]["value"])
        for b in result["by_sku"]["buckets"]
    ]
    assert buckets == [("s2", 2, 2.0, 2.0), ("s1", 1, 1.5, 3.0), ("s3", 1, 0.0, None)]


async def test_metrics_over_the_matches(store: DocumentStore, items: EntityMapping[Any]) -> None:
    response = await store.search(
        items,
        {
            "size": 0,
            "query": {"bool": {"filter": [{"exists": {"field": "count"}}]}},
            "aggs": {
                "n": {"value_count": {"field": "count"}},
                "low": {"min": {"field": "count"}},
                "high": {"max": {"field": "price"}},
                "total": {"sum": {"field": "count"}},
                "mean": {"avg": {"field": "count"}},
                "skus": {"cardinality": {"field": "sku"}},
                "none": {"avg": {"field": "weight"}},
                "unmapped": {"max": {"field": "no_such_field"}},
            },
        },
    )
    result = response["aggregations"]
    assert response["hits"]["total"] == {"value": 3, "relation": "eq"}
    assert result["n"] == {"value": 3}
    assert result["low"] == {"value": 1.0}
    assert result["high"] == {"value": 2.0}
    assert result["total"] == {"value": 6.0}
    assert result["mean"] == {"value": 2.0}
    assert result["skus"] == {"value": 2}
    assert result["none"] == {"value": None}
    assert result["unmapped"] == {"value": None}


@pytest.mark.server_gap("max of a date field answers null; terms on dates split the text")
async def test_dates_aggregate_as_epoch_milliseconds_with_their_text(
    store: DocumentStore, items: EntityMapping[Any]
) -> None:
    result = await aggregate(
        store, items, last={"max": {"field": "at"}}, days={"terms": {"field": "at"}}
    )
    assert result["last"] == {
        "value": 1704153600000.0,
        "value_as_string": "2024-01-02T00:00:00.000Z",
    }
    assert [(b["key"], b["key_as_string"]) for b in result["days"]["buckets"]] == [
        (1704067200000, "2024-01-01T00:00:00.000Z"),
        (1704153600000, "2024-01-02T00:00:00.000Z"),
    ]


@pytest.mark.server_gap("keyword arrays count repeated values; booleans bucket as true/false keys")
async def test_doc_values_count_distinct_keywords_and_booleans_as_numbers(
    store: DocumentStore, items: EntityMapping[Any]
) -> None:
    await put(store, items, {"id": "e", "tags": ["w", "w"], "active": False})
    result = await aggregate(
        store, items, n={"value_count": {"field": "tags"}}, flags={"terms": {"field": "active"}}
    )
    assert result["n"] == {"value": 6}  # ["w", "w"] is one keyword value of its document
    assert [(b["key"], b["key_as_string"]) for b in result["flags"]["buckets"]] == [
        (0, "false"),
        (1, "true"),
    ]
