"""The search request value: frozen, checked when built, turned into one search body."""

from __future__ import annotations

import dataclasses

import pytest
from pydantic import BaseModel

from esorm.errors import QueryError
from esorm.mapping import Registry
from esorm.query import SearchOptions, SearchRequest, fields

pytestmark = pytest.mark.unit


class Item(BaseModel):
    id: str
    name: str
    price: int = 0


REGISTRY = Registry()
MAPPING = REGISTRY.register(Item, default_sort="-price", settings={"max_result_window": 100})
F = fields(Item)


def test_the_body_carries_every_part_of_the_request() -> None:
    request = SearchRequest(
        F.name == "a",
        sort="name",
        size=5,
        offset=10,
        source_includes=["name"],
        track_total_hits=50,
        aggs={"n": {"value_count": {"field": "price"}}},
    )
    assert request.body(MAPPING) == {
        "seq_no_primary_term": True,
        "track_total_hits": 50,
        "query": {"term": {"name": "a"}},
        "sort": [{"name": {"order": "asc"}}],
        "size": 5,
        "from": 10,
        "_source": {"includes": ["name", "esorm_writes", "esorm_outbox"]},  # write ids, events
        "aggs": {"n": {"value_count": {"field": "price"}}},
    }


def test_no_sort_means_the_entitys_default_sort() -> None:
    assert SearchRequest().body(MAPPING)["sort"] == [{"price": {"order": "desc"}}]


def test_it_is_frozen_and_replace_gives_a_changed_copy() -> None:
    request = SearchRequest({"term": {"name": "a"}}, size=3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.size = 4  # type: ignore[misc]
    changed = request.replace(size=4)
    assert (request.size, changed.size) == (3, 4)
    assert changed.query == request.query
    assert hash(request) != hash(changed) and request == SearchRequest(
        {"term": {"name": "a"}}, size=3
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"size": -1}, "size must not be negative"),
        ({"offset": -2}, "from must not be negative"),
        ({"size": "10"}, "size must be an int"),
        ({"offset": 3, "search_after": [1]}, "either offset"),
        ({"source_includes": [3]}, "takes field names"),
        ({"aggs": ["x"]}, "aggs must be a mapping"),
    ],
)
def test_bad_values_are_refused_when_built(options: SearchOptions, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        SearchRequest(**options)


def test_past_the_window_is_refused_before_any_request() -> None:
    with pytest.raises(QueryError, match="max_result_window of 100"):
        SearchRequest(size=60, offset=50).body(MAPPING)
    assert SearchRequest(size=50, offset=50).body(MAPPING)["from"] == 50
    deep = SearchRequest(size=50, search_after=[7, "x"]).body(MAPPING)
    assert deep["search_after"] == [7, "x"]  # search_after has no window


def test_repr_shows_what_differs_from_the_defaults() -> None:
    assert repr(SearchRequest(size=2, track=False)) == "SearchRequest(size=2, track=False)"
