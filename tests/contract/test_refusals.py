"""What the in-memory store cannot decide exactly it refuses, naming the clause; the server
answers the same requests. Nothing is ever answered approximately."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from esorm.errors import QueryError
from esorm.mapping import EntityMapping, Registry
from esorm.store import DocumentStore
from tests.contract._catalog import CreateIndices, Item, catalog_registry, put
from tests.integration._blog import BlogUnitOfWork, User

pytestmark = pytest.mark.contract

Body = dict[str, Any]

REFUSED: dict[str, tuple[Body, str]] = {
    # full-text queries: analysis and relevance
    "match": ({"query": {"match": {"title": "hello"}}}, "query 'match': needs text analysis"),
    "match_phrase": ({"query": {"match_phrase": {"title": "hello world"}}}, "'match_phrase'"),
    "multi_match": (
        {"query": {"multi_match": {"query": "x", "fields": ["title"]}}},
        "'multi_match'",
    ),
    "query_string": ({"query": {"query_string": {"query": "sku:A*"}}}, "'query_string'"),
    "simple_query_string": (
        {"query": {"simple_query_string": {"query": "x"}}},
        "'simple_query_string'",
    ),
    "wildcard": ({"query": {"wildcard": {"sku": "A*"}}}, "'wildcard'"),
    "regexp": ({"query": {"regexp": {"sku": "A.*"}}}, "'regexp'"),
    "fuzzy": ({"query": {"fuzzy": {"sku": "A-2"}}}, "'fuzzy'"),
    "term on text": (
        {"query": {"bool": {"filter": {"term": {"title": "hello"}}}}},
        "term on text field 'title'",
    ),
    # relevance ordering: a term on a keyword scores by BM25
    "BM25 order": (
        {"query": {"term": {"sku": "A-1"}}},
        "term on keyword field 'sku': scores by BM25",
    ),
    # scripts
    "script query": ({"query": {"script": {"script": "doc['count'].value > 1"}}}, "needs Painless"),
    "script sort": ({"sort": [{"_script": {"type": "number", "script": "1"}}]}, "sort '_script'"),
    # geo and vectors
    "geo_distance": (
        {"query": {"geo_distance": {"distance": "10km", "place": {"lat": 59.9, "lon": 10.7}}}},
        "needs geo evaluation",
    ),
    "knn": (
        {"query": {"knn": {"field": "vector", "query_vector": [1.0, 0.0], "k": 1}}},
        "vector search",
    ),
    # nested documents
    "nested": (
        {"query": {"nested": {"path": "parts", "query": {"term": {"parts.sku": "p"}}}}},
        "needs nested documents",
    ),
    "nested field": (
        {"query": {"bool": {"filter": {"term": {"parts.sku": "p"}}}}},
        "inside a nested object",
    ),
    # date math
    "date math": (
        {"query": {"bool": {"filter": {"range": {"at": {"gte": "now-1d"}}}}}},
        "date math 'now-1d'",
    ),
    # aggregations beyond terms and the simple metrics
    "histogram": (
        {"size": 0, "aggs": {"h": {"histogram": {"field": "count", "interval": 1}}}},
        "aggregation 'histogram'",
    ),
    "date_histogram": (
        {"size": 0, "aggs": {"d": {"date_histogram": {"field": "at", "calendar_interval": "day"}}}},
        "aggregation 'date_histogram'",
    ),
    "percentiles": (
        {"size": 0, "aggs": {"p": {"percentiles": {"field": "count"}}}},
        "aggregation 'percentiles'",
    ),
    "top_hits": ({"size": 0, "aggs": {"t": {"top_hits": {}}}}, "aggregation 'top_hits'"),
    # search options it does not apply
    "highlight": ({"highlight": {"fields": {"title": {}}}}, "search options ['highlight']"),
    "post_filter": ({"post_filter": {"term": {"sku": "A-1"}}}, "search options ['post_filter']"),
    "collapse": ({"collapse": {"field": "sku"}}, "search options ['collapse']"),
}
SERVER_GAPS = {
    "script query": "it runs no scripts",
    "script sort": "it runs no scripts",
    "percentiles": "it has no percentiles aggregation",
}


@pytest.fixture
async def items(
    store: DocumentStore, prefix: str, create_indices: CreateIndices
) -> EntityMapping[Any]:
    registry: Registry = catalog_registry(prefix)
    await create_indices(registry)
    mapping = registry.mapping_for(Item)
    await put(
        store,
        mapping,
        {"id": "a", "sku": "A-1", "title": "hello world", "count": 2, "at": "2024-01-01"},
        {"id": "b", "sku": "A-2", "parts": [{"sku": "p"}], "place": {"lat": 59.9, "lon": 10.7}},
    )
    return mapping


def _gap(kind: str) -> list[pytest.MarkDecorator]:
    reason = SERVER_GAPS.get(kind)
    return [pytest.mark.server_gap(reason)] if reason else []


@pytest.mark.parametrize(
    "kind", [pytest.param(kind, marks=_gap(kind), id=kind) for kind in REFUSED]
)
async def test_the_memory_store_refuses_what_it_cannot_decide_and_the_server_answers(
    store: DocumentStore, items: EntityMapping[Any], on_memory: bool, kind: str
) -> None:
    body, named = REFUSED[kind]
    if on_memory:
        with pytest.raises(QueryError, match=re.escape(named)) as refused:
            await store.search(items, body)
        assert "in-memory store cannot evaluate" in str(refused.value)
    else:
        response = await store.search(items, body)
        assert "hits" in response


async def test_refusals_reach_repository_callers_as_query_errors(
    make_uow: Callable[..., BlogUnitOfWork], on_memory: bool
) -> None:
    async with make_uow(refresh=True) as uow:
        uow.users.add(User(id="1", first_name="Ann"))
        await uow.commit()
        F = uow.users.fields
        unsorted = uow.users.search(F.first_name == "Ann")  # ordered by BM25 relevance
        sorted_ = uow.users.search(F.first_name == "Ann", sort="id")
        if on_memory:
            with pytest.raises(QueryError, match="BM25"):
                await unsorted
        else:
            assert [u.id for u in await unsorted] == ["1"]
        assert [u.id for u in await sorted_] == ["1"]  # sorted by fields: no score needed
        assert await uow.users.count(F.first_name == "Ann") == 1  # counting needs none either
