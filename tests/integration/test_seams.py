"""The seams: flush hooks, writes no entity owns, one search request value, query-first
methods, options on every read, and streams closed with their unit of work."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from elasticsearch import AsyncElasticsearch

from esorm.errors import InvalidEntityError
from esorm.mapping import Registry
from esorm.store import ElasticsearchStore, Write
from esorm.testing import record_requests
from esorm.uow import Flush, Operation, Status
from tests.integration._blog import BlogUnitOfWork, Stamped, User

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
