"""Repository searches on either store: tracked hits, sort and window, aggregations."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from esorm.errors import InvalidEntityError, QueryError
from tests.integration._blog import BlogUnitOfWork, Counter, User

pytestmark = pytest.mark.contract

MakeUow = Callable[..., BlogUnitOfWork]


async def seed_counters(make_uow: MakeUow, count: int) -> None:
    async with make_uow(refresh=True, chunk_size=2000) as uow:
        for i in range(count):
            uow.counters.add(Counter(id=f"c{i:06}", value=i))
        await uow.commit()


async def test_sort_size_offset_and_default_sort(make_uow: MakeUow) -> None:
    await seed_counters(make_uow, 30)
    async with make_uow() as uow:
        result = await uow.counters.search(sort="-value", size=5, offset=10)
        assert [c.value for c in result] == [19, 18, 17, 16, 15]
        assert result.total == 30
        ascending = await uow.counters.search(sort=[{"value": "asc"}], size=3)
        assert [c.value for c in ascending] == [0, 1, 2]


async def test_aggregations(make_uow: MakeUow) -> None:
    await seed_counters(make_uow, 10)
    async with make_uow() as uow:
        aggs = await uow.counters.aggregate(
            {"range": {"value": {"lt": 5}}},
            {"total": {"sum": {"field": "value"}}, "top": {"max": {"field": "value"}}},
        )
        assert aggs["total"]["value"] == 10
        assert aggs["top"]["value"] == 4
        with pytest.raises(QueryError):
            await uow.counters.aggregate(aggs={})


async def test_partial_load_without_defaults_says_what_is_missing(make_uow: MakeUow) -> None:
    async with make_uow(refresh=True) as uow:
        uow.users.add(User(id="1", first_name="Ann"))
        await uow.commit()
    async with make_uow() as uow:
        with pytest.raises(InvalidEntityError, match="need defaults") as caught:
            await uow.users.search(source_includes=["region"])  # first_name has no default
        assert "User '1'" in str(caught.value) and "first_name" in str(caught.value)


async def test_a_search_the_server_refuses_is_a_query_error_with_its_reason(
    make_uow: MakeUow,
) -> None:
    async with make_uow() as uow:
        with pytest.raises(QueryError, match="server refused") as caught:
            await uow.counters.search({"no_such_query": {}})
        assert "no_such_query" in str(caught.value) or "parsing" in str(caught.value)
