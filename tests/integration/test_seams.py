"""The seams: flush hooks, writes no entity owns, one search request value, query-first
methods, options on every read, and streams closed with their unit of work."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from elasticsearch import AsyncElasticsearch

from esorm.errors import InvalidEntityError, QueryError, UnitOfWorkStateError
from esorm.mapping import Registry
from esorm.query import Pagination, SearchRequest
from esorm.store import ElasticsearchStore, Write
from esorm.testing import record_requests
from esorm.uow import Flush, Operation, Status
from tests.integration._blog import BlogUnitOfWork, Counter, Stamped, User
from tests.integration._support import seed

pytestmark = pytest.mark.integration

MakeUow = Callable[..., BlogUnitOfWork]


class AuditHook:
    """Writes one audit document per flush beside the entities, and reports what it saw."""

    def __init__(self, index: str) -> None:
        self.index = index
        self.seen: list[tuple[str, Status]] = []
        self.audit: Operation | None = None

    def before_flush(self, flush: Flush) -> None:
        ids = [entry.id for entry, _ in flush.changes]
        body = json.dumps({"ids": ids}).encode()
        self.audit = flush.add(Write("index", self.index, f"audit-{len(ids)}", body))

    def after_flush(self, flush: Flush) -> None:
        self.seen = [(op.write.id, op.status) for op in flush.operations]


async def test_a_hook_adds_a_write_that_joins_the_same_bulk_request(
    make_uow: MakeUow, es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    hook = AuditHook(f"{index_prefix}audit")
    async with make_uow(hooks=[hook], refresh=True) as uow:
        uow.users.add(User(id="u1", first_name="Ann"))
        uow.users.add(User(id="u2", first_name="Bo"))
        with record_requests(es_client) as log:
            result = await uow.commit()
    assert len(log.to("_bulk")) == 1 and result.written == 3
    assert hook.seen == [
        ("u1", Status.CONFIRMED),
        ("u2", Status.CONFIRMED),
        ("audit-2", Status.CONFIRMED),
    ]
    stored = await es_client.get(index=f"{index_prefix}audit", id="audit-2")
    assert stored["_source"] == {"ids": ["u1", "u2"]}
    assert hook.audit is not None and hook.audit.result is not None
    assert hook.audit.result["_seq_no"] == stored["_seq_no"]


async def test_a_hook_that_raises_refuses_the_commit_with_nothing_sent(
    make_uow: MakeUow, es_client: AsyncElasticsearch
) -> None:
    class Refuse:
        def before_flush(self, flush: Flush) -> None:
            raise InvalidEntityError("refused by the hook")

        def after_flush(self, flush: Flush) -> None:
            raise AssertionError("a hook whose before_flush failed does not run after")

    async with make_uow(hooks=[Refuse()]) as uow:
        stamped = uow.repository(Stamped).add(Stamped(id="s1", text="x"))
        with record_requests(es_client) as log, pytest.raises(InvalidEntityError):
            await uow.commit()
        assert len(log) == 0
        assert stamped.created_at is None  # the timestamps hook ran, and undid its stamps


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


async def test_the_store_is_the_unit_of_works_seam(
    es_client: AsyncElasticsearch, registry: Registry
) -> None:
    store = ElasticsearchStore(es_client)
    async with BlogUnitOfWork(store, registry, refresh=True) as uow:
        assert uow.store is store
        uow.users.add(User(id="s", first_name="Sam"))
        await uow.commit()
    hit = await store.get(registry.mapping_for(User), "s")
    assert hit is not None and hit["_source"]["first_name"] == "Sam"
