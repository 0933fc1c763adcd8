"""Searches as Elasticsearch answers them, on either store: what matches by field type, the
order, the window, totals and constant scores."""

from __future__ import annotations

from typing import Any

import pytest

from esorm.errors import QueryError
from esorm.mapping import EntityMapping, Registry
from esorm.store import DocumentStore
from tests.contract._catalog import CreateIndices, Item, catalog_registry, ids, put

pytestmark = pytest.mark.contract

DOCS: list[dict[str, Any]] = [
    {
        "id": "a",
        "sku": "A-1",
        "title": "Hello World",
        "count": 3,
        "price": 1.5,
        "weight": 0.1,
        "at": "2024-01-01T10:00:00.123456Z",
        "day": "2024-01-01",
        "active": True,
        "tags": ["x", "y"],
        "address": {"city": "Oslo"},
        "lines": [{"sku": "p", "qty": 1}, {"sku": "q", "qty": 2}],
        "labels": {"color": "red"},
    },
    {"id": "b", "sku": "B-2", "count": 1, "price": 2.5, "active": False, "tags": ["y"]},
    {"id": "c", "sku": "a-3", "count": 2, "day": "2023-06-30", "address": {"city": "Bergen"}},
    {"id": "d", "tags": []},
]


@pytest.fixture
async def items(
    store: DocumentStore, prefix: str, create_indices: CreateIndices
) -> EntityMapping[Any]:
    registry: Registry = catalog_registry(prefix)
    await create_indices(registry)
    mapping = registry.mapping_for(Item)
    await put(store, mapping, *DOCS)
    return mapping


def filtered(query: dict[str, Any]) -> dict[str, Any]:
    """The query in filter context, sorted by id: what matches, in a known order."""
    return {"query": {"bool": {"filter": [query]}}, "sort": [{"sku": "asc"}, {"count": "asc"}]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"term": {"sku": "A-1"}}, ["a"]),
        ({"term": {"sku": "a-1"}}, []),  # keywords are exact
        ({"term": {"sku": {"value": "a-1", "case_insensitive": True}}}, ["a"]),
        ({"terms": {"tags": ["x", "nope"]}}, ["a"]),
        ({"term": {"tags": "y"}}, ["a", "b"]),  # an array matches when any element does
        ({"term": {"title.keyword": "Hello World"}}, ["a"]),
        ({"term": {"count": 2}}, ["c"]),
        ({"term": {"count": "2"}}, ["c"]),
        ({"term": {"count": 2.5}}, []),  # a long holds no decimal
        ({"range": {"count": {"gt": 1.5, "lte": 3}}}, ["c", "a"]),
        ({"range": {"price": {"gte": 1.5, "lt": 2.5}}}, ["a"]),
        ({"term": {"weight": 0.1}}, ["a"]),  # a float field matches its 32-bit value
        ({"term": {"active": True}}, ["a"]),
        ({"term": {"active": "false"}}, ["b"]),
        ({"range": {"at": {"gte": "2024-01-01T10:00:00.123Z"}}}, ["a"]),  # ms precision
        ({"range": {"at": {"gt": "2024-01-01T10:00:00.1231Z"}}}, []),
        ({"range": {"day": {"lt": "2024-01-01"}}}, ["c"]),
        ({"exists": {"field": "address"}}, ["a", "c"]),  # an object exists by its fields
        ({"exists": {"field": "tags"}}, ["a", "b"]),  # [] is no value
        ({"term": {"address.city": "Oslo"}}, ["a"]),
        ({"term": {"lines.sku": "q"}}, ["a"]),  # object arrays flatten
        ({"term": {"labels.color": "red"}}, ["a"]),
        ({"prefix": {"sku": "B-"}}, ["b"]),
        ({"ids": {"values": ["b", "zz", "c"]}}, ["b", "c"]),
        ({"term": {"no_such_field": "x"}}, []),  # unmapped fields match nothing
        ({"match_none": {}}, []),
        ({"bool": {"must_not": [{"exists": {"field": "sku"}}]}}, ["d"]),
        (
            {"bool": {"should": [{"term": {"sku": "A-1"}}, {"term": {"sku": "B-2"}}]}},
            ["a", "b"],
        ),
        (
            {
                "bool": {
                    "should": [
                        {"term": {"tags": "x"}},
                        {"term": {"tags": "y"}},
                        {"term": {"count": 3}},
                    ],
                    "minimum_should_match": 2,
                }
            },
            ["a"],
        ),
        (
            {"bool": {"filter": {"exists": {"field": "sku"}}, "should": {"term": {"sku": "x"}}}},
            ["a", "b", "c"],  # beside a filter, should clauses are optional
        ),
    ],
)  # fmt: skip
async def test_what_matches_by_field_type(
    store: DocumentStore, items: EntityMapping[Any], query: dict[str, Any], expected: list[str]
) -> None:
    found = await ids(store, items, filtered(query))
    assert sorted(found) == sorted(expected)


async def test_a_date_without_time_stands_for_the_whole_day(
    store: DocumentStore, items: EntityMapping[Any]
) -> None:
    assert await ids(store, items, filtered({"term": {"at": "2024-01-01"}})) == ["a"]
    assert await ids(store, items, filtered({"range": {"at": {"lte": "2024-01-01"}}})) == ["a"]
    assert await ids(store, items, filtered({"range": {"at": {"gt": "2024-01-01"}}})) == []


async def test_sorts_put_missing_values_last_and_report_elasticsearchs_sort_values(
    store: DocumentStore, items: EntityMapping[Any]
) -> None:
    response = await store.search(items, {"sort": [{"count": "desc"}, "_doc"], "_source": False})
    hits = response["hits"]["hits"]
    assert [h["_id"] for h in hits] == ["a", "c", "b", "d"]
    assert [h["sort"][0] for h in hits] == [3, 2, 1, -(2**63)]  # Long.MIN_VALUE for missing
    assert response["hits"]["max_score"] is None and hits[0]["_score"] is None
    response = await store.search(items, {"sort": [{"at": "asc"}, {"sku": "asc"}]})
    hits = response["hits"]["hits"]
    assert [h["_id"] for h in hits] == ["a", "b", "c", "d"]
    assert hits[0]["sort"] == [1704103200123, "A-1"]  # dates sort by epoch milliseconds
    assert hits[1]["sort"] == [2**63 - 1, "B-2"]
    assert hits[3]["sort"] == [2**63 - 1, None]  # a missing keyword reports null
    by_tags = await ids(store, items, {"sort": [{"tags": {"order": "desc"}}, {"count": "asc"}]})
    assert by_tags == ["b", "a", "c", "d"]  # y > x; the largest value sorts descending


@pytest.mark.server_gap("a sort's `missing: _first` is ignored")
async def test_missing_values_sort_first_when_asked(
    store: DocumentStore, items: EntityMapping[Any]
) -> None:
    by_first = await ids(store, items, {"sort": [{"sku": {"order": "asc", "missing": "_first"}}]})
    assert by_first == ["d", "a", "b", "c"]  # "A-1" < "B-2" < "a-3": byte order


async def test_sorts_the_server_refuses(store: DocumentStore, items: EntityMapping[Any]) -> None:
    with pytest.raises(QueryError, match="No mapping found for \\[nope\\] in order to sort on"):
        await store.search(items, {"sort": [{"nope": "asc"}]})
    with pytest.raises(QueryError, match="Text fields are not optimised"):
        await store.search(items, {"sort": [{"title": "asc"}]})
    unmapped = {"nope": {"order": "asc", "unmapped_type": "long"}}
    found = await ids(store, items, {"sort": [unmapped, {"count": "asc"}]})
    assert found == ["b", "c", "a", "d"]


async def test_windows_search_after_and_totals(
    store: DocumentStore, items: EntityMapping[Any]
) -> None:
    sort = [{"count": "asc"}]
    first = await store.search(items, {"sort": sort, "size": 2, "track_total_hits": True})
    assert [h["_id"] for h in first["hits"]["hits"]] == ["b", "c"]
    assert first["hits"]["total"] == {"value": 4, "relation": "eq"}
    after = first["hits"]["hits"][-1]["sort"]
    second = await store.search(items, {"sort": sort, "size": 2, "search_after": after})
    assert [h["_id"] for h in second["hits"]["hits"]] == ["a", "d"]
    offset = await store.search(items, {"sort": sort, "from": 1, "size": 1, "track_total_hits": 2})
    assert [h["_id"] for h in offset["hits"]["hits"]] == ["c"]
    assert offset["hits"]["total"] == {"value": 2, "relation": "gte"}
    exact = await store.search(items, {"sort": sort, "size": 0, "track_total_hits": 4})
    assert exact["hits"]["total"] == {"value": 4, "relation": "eq"} and not exact["hits"]["hits"]
    uncounted = await store.search(items, {"sort": sort, "size": 1, "track_total_hits": False})
    assert "total" not in uncounted["hits"]
    assert await store.count(items) == 4
    assert await store.count(items, {"range": {"count": {"gte": 2}}}) == 2
    with pytest.raises(QueryError, match="Result window is too large"):
        await store.search(items, {"from": 9_999, "size": 2})


async def test_scores_that_are_constant_order_hits(
    store: DocumentStore, items: EntityMapping[Any]
) -> None:
    everything = await store.search(items, {"query": {"match_all": {}}})
    assert everything["hits"]["max_score"] == 1.0
    assert [h["_score"] for h in everything["hits"]["hits"]] == [1.0] * 4
    filtered_only = await store.search(
        items, {"query": {"bool": {"filter": [{"exists": {"field": "sku"}}]}}}
    )
    assert [h["_score"] for h in filtered_only["hits"]["hits"]] == [0.0] * 3
    ranges = {
        "bool": {"should": [{"range": {"count": {"gte": 1}}}, {"range": {"count": {"gte": 2}}}]}
    }
    ranked = await store.search(items, {"query": ranges})
    assert [(h["_id"], h["_score"]) for h in ranked["hits"]["hits"]] == [
        ("a", 2.0),
        ("c", 2.0),
        ("b", 1.0),
    ]


@pytest.mark.server_gap("the boost of a terms query is not applied")
async def test_a_constant_score_is_its_boost(
    store: DocumentStore, items: EntityMapping[Any]
) -> None:
    boosted = await store.search(items, {"query": {"terms": {"tags": ["x"], "boost": 3}}})
    assert boosted["hits"]["max_score"] == 3.0
