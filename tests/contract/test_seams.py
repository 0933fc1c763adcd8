"""The seams on either store: the query-first search methods, one search request value paged
with search_after, options on every read, streams closed with their unit of work."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from esorm.errors import QueryError, UnitOfWorkStateError
from esorm.query import Pagination, SearchRequest
from tests.integration._blog import BlogUnitOfWork, Counter, User
from tests.integration._support import seed

pytestmark = pytest.mark.contract

MakeUow = Callable[..., BlogUnitOfWork]


async def test_every_search_method_takes_the_query_first(make_uow: MakeUow) -> None:
    await seed(make_uow, *(Counter(id=f"c{i}", value=i) for i in range(5)))
    async with make_uow() as uow:
        F = uow.counters.fields
        page = await uow.counters.page(F.value >= 3, Pagination(page=1, page_size=1))
        assert page.total == 2 and len(page.items) == 1
        aggs = await uow.counters.aggregate(F.value >= 3, {"top": {"max": {"field": "value"}}})
        assert aggs["top"]["value"] == 4
        with pytest.raises(QueryError, match=r"query first: page\(query, pagination\)"):
            await uow.counters.page(Pagination(page=1))  # type: ignore[arg-type]
        with pytest.raises(QueryError, match="needs at least one aggregation"):
            await uow.counters.aggregate({"top": {"max": {"field": "value"}}})


async def test_a_request_value_runs_and_pages_with_search_after(make_uow: MakeUow) -> None:
    await seed(make_uow, *(Counter(id=f"c{i}", value=i) for i in range(5)))
    async with make_uow() as uow:
        request = SearchRequest(uow.counters.fields.value >= 1, sort="value", size=2)
        first = await uow.counters.execute(request)
        second = await uow.counters.execute(request.replace(search_after=first.next_after))
        assert [c.value for c in first] == [1, 2] and [c.value for c in second] == [3, 4]
        assert request.search_after is None  # the value itself never changes


async def test_source_filters_and_tracking_on_every_read(make_uow: MakeUow) -> None:
    await seed(make_uow, User(id="a", first_name="Ann", tags=["x"]), User(id="b", first_name="Bo"))
    async with make_uow() as uow:
        found = await uow.users.get_many(["a", "b"], source_includes=["first_name"])
        assert [u.tags for u in found] == [[], []]  # left out, defaults
        by_fields = await uow.users.search_by_fields(first_name="Ann", source_excludes=["tags"])
        assert by_fields.items[0] is found.entities[0]
        again = await uow.users.search(track=False, sort="id")
        assert again.items[0] is found.entities[0]  # tracked ones stay the tracked instances
    async with make_uow() as uow:
        detached = await uow.users.search(track=False)
        assert len(detached) == 2 and len(uow.identity_map) == 0


async def test_a_stream_left_open_is_closed_when_its_unit_ends(make_uow: MakeUow) -> None:
    await seed(make_uow, *(Counter(id=f"c{i}", value=i) for i in range(5)))
    uow = make_uow()
    async with uow:
        stream = uow.counters.iterate(page_size=2)
        async for _ in stream:
            break  # no `async with`: the point in time stays open ...
        assert stream.pit_id is not None
    assert stream.pit_id is None  # ... until the unit of work's exit closed it
    with pytest.raises(UnitOfWorkStateError):
        await stream.__anext__()
