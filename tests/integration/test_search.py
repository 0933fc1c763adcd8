"""Repository searches against a real server: tracked hits, exact counts, deep iteration."""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from collections.abc import Callable

import pytest
from elasticsearch import AsyncElasticsearch, NotFoundError

from esorm.errors import QueryError
from esorm.testing import record_requests
from tests.integration._blog import BlogUnitOfWork, Counter, User
from tests.integration._stored import without_writes

pytestmark = pytest.mark.integration

MakeUow = Callable[..., BlogUnitOfWork]


async def seed_counters(make_uow: MakeUow, count: int) -> None:
    async with make_uow(refresh=True, chunk_size=2000) as uow:
        for i in range(count):
            uow.counters.add(Counter(id=f"c{i:06}", value=i))
        await uow.commit()


async def test_source_filtering_marks_partial_entities(
    make_uow: MakeUow, es_client: AsyncElasticsearch
) -> None:
    async with make_uow(refresh=True) as uow:
        uow.users.add(User(id="1", first_name="Ann", region="us", tags=["t"]))
        await uow.commit()
    async with make_uow(refresh=True) as uow:
        (user,) = (await uow.users.search(source_includes=["first_name"])).items
        assert (user.first_name, user.region, user.tags) == ("Ann", "eu", [])
        user.first_name = "Anne"
        await uow.commit()
        again = await es_client.get(index=uow.users.mapping.index, id="1")
        assert without_writes(again["_source"]) == {
            "id": "1",
            "first_name": "Anne",
            "region": "us",
            "tags": ["t"],
        }


async def test_count_and_all_are_exact_beyond_ten_thousand(
    make_uow: MakeUow, es_client: AsyncElasticsearch
) -> None:
    await seed_counters(make_uow, 12_345)
    async with make_uow() as uow:
        assert await uow.counters.count() == 12_345
        assert await uow.counters.count({"range": {"value": {"gte": 12_000}}}) == 345
        with record_requests(es_client) as log:
            everything = await uow.counters.all(sort="value")
        assert [c.value for c in everything] == list(range(12_345))
        assert all(uow.version_of(c) is not None for c in everything[::1000])  # tracked
        assert log.to("_pit")  # opened and closed a point in time


async def test_paging_past_the_window_says_to_iterate(
    make_uow: MakeUow, es_client: AsyncElasticsearch
) -> None:
    async with make_uow() as uow:
        with record_requests(es_client) as log, pytest.raises(QueryError, match="iterate"):
            await uow.counters.search(size=100, offset=9_950)
        assert len(log) == 0


async def test_iterating_25000_documents_once_each_in_order_with_bounded_memory(
    make_uow: MakeUow, es_client: AsyncElasticsearch
) -> None:
    await seed_counters(make_uow, 25_000)
    async with make_uow() as uow:
        seen: list[int] = []
        tracemalloc.start()
        try:
            stream = uow.counters.iterate(sort="-value", page_size=500)
            async for counter in stream:
                seen.append(counter.value)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert seen == list(range(24_999, -1, -1))
        assert stream.pages in (50, 51)  # a last, empty page may be needed to see the end
        assert len(uow.identity_map) == 0  # not tracked: memory bounded by the page
        assert peak < 8 * 1024 * 1024, f"peak {peak} bytes while streaming"
        assert stream.pit_id is None  # closed at the end


async def test_point_in_time_closed_after_consumer_error_and_break(
    make_uow: MakeUow, es_client: AsyncElasticsearch
) -> None:
    await seed_counters(make_uow, 50)
    async with make_uow() as uow:
        with record_requests(es_client) as log:

            async def consume_until_failure() -> None:
                async with uow.counters.iterate(page_size=10) as stream:
                    async for counter in stream:
                        if counter.value == 15:
                            raise RuntimeError("consumer failed")

            with pytest.raises(RuntimeError, match="consumer"):
                await consume_until_failure()
            closes = [r for r in log.requests if r.method == "DELETE" and r.endpoint == "_pit"]
            assert len(closes) == 1
            opened_id = closes[0].body["id"]
            with pytest.raises(NotFoundError):
                await es_client.search(pit={"id": opened_id}, size=1)

            log.clear()
            stream = uow.counters.iterate(page_size=10)
            async for counter in stream:
                if counter.value == 3:
                    break
            del stream
            gc.collect()
            for _ in range(5):
                await asyncio.sleep(0)
            assert [r.method for r in log.requests if r.endpoint == "_pit"] == ["POST", "DELETE"]


async def test_search_hits_are_tracked_and_committable(make_uow: MakeUow) -> None:
    async with make_uow(refresh=True) as uow:
        uow.users.add(User(id="1", first_name="Ann", region="eu"))
        uow.users.add(User(id="2", first_name="Bob", region="us"))
        await uow.commit()
    async with make_uow(refresh=True) as uow:
        ann = await uow.users.get("1")
        ann.first_name = "Unflushed"
        result = await uow.users.search({"term": {"region": "eu"}})
        assert result.items == [ann] and result.items[0] is ann
        assert ann.first_name == "Unflushed"  # the hit did not overwrite the change
        assert (result.total, result.total_is_exact) == (1, True)
        bob = await uow.users.search_one({"term": {"first_name": "Bob"}})
        assert bob is not None and uow.version_of(bob) is not None
        bob.region = "asia"
        assert (await uow.commit()).updated == 2
