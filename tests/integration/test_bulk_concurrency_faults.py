"""Two bulk requests in flight per commit, met by faults and cancellation: the report holds.

Everything goes through the real client and the real fault proxy; what the server stored is
read with the direct client (`es_client`).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable

import pytest
from elasticsearch import AsyncElasticsearch

from esorm.errors import CommitError, TransportFailedError
from esorm.mapping import Registry
from esorm.store import Write
from esorm.uow import CommitResult, Flush
from tests.integration._blog import BlogUnitOfWork, User
from tests.integration._fault_proxy import (
    Fault,
    FaultProxy,
    RequestInfo,
    first_of,
    on_request,
    random_bulk,
)
from tests.integration._stored import commit_outcome, index_of, stored_doc, stored_sources

pytestmark = pytest.mark.integration

MakeClient = Callable[..., AsyncElasticsearch]
USERS = 50
CHUNK = 10


def users(prefix: str = "u", count: int = USERS) -> list[User]:
    return [User(id=f"{prefix}{n:02}", first_name=f"user {n}") for n in range(count)]


def bulk_with(doc_id: str) -> Callable[[RequestInfo], bool]:
    """A `_bulk` request carrying `doc_id` (chunks are told apart by their ids, not by the
    order they reach the proxy, which two requests in flight do not fix)."""
    return lambda info: info.is_bulk and doc_id in info.ids


# -- cancellation ---------------------------------------------------------------------------


async def test_a_commit_cancelled_while_a_failure_drains_leaves_nothing_running(
    fault_proxy: FaultProxy,
    make_proxy_client: MakeClient,
    registry: Registry,
) -> None:
    """Chunk 1 is refused at once (401), chunk 2 is held at the proxy: the commit waits for
    chunk 2 (`_drain(cancel=False)`). Cancelling the commit then cancels chunk 2, as it
    cancels a request in flight when nothing failed: no request keeps running in a task
    nobody awaits, changing the unit of work's entries behind the caller's back."""
    fault_proxy.decide = first_of(
        on_request(bulk_with("u00"), Fault.unauthorized()),
        on_request(bulk_with("u10"), Fault.hang(1.5)),  # applied, answer held
    )
    async with BlogUnitOfWork(make_proxy_client(), registry, chunk_size=CHUNK) as uow:
        added = uow.users.add_all(users())
        before = asyncio.all_tasks()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(uow.commit(), 0.6)
        left = [
            t.get_coro().__qualname__  # type: ignore[union-attr]
            for t in asyncio.all_tasks() - before
            if not t.done() and "Sender" in t.get_coro().__qualname__  # type: ignore[union-attr]
        ]
        versions_at_cancel = [uow.version_of(u) for u in added]
        await asyncio.sleep(2.0)  # the held answer arrives
        versions_later = [uow.version_of(u) for u in added]
        assert (left, versions_later) == ([], versions_at_cancel), (
            f"requests of a cancelled commit still running: {left}; "
            "entries changed after the commit was cancelled: "
            f"{sum(v is not None for v in versions_later)} versions now, "
            f"{sum(v is not None for v in versions_at_cancel)} when it was cancelled"
        )


@pytest.mark.parametrize("concurrency", [2, 1])
async def test_a_commit_cancelled_with_requests_applied_but_unanswered_is_settled_next(
    fault_proxy: FaultProxy,
    make_proxy_client: MakeClient,
    registry: Registry,
    es_client: AsyncElasticsearch,
    concurrency: int,
) -> None:
    """Two requests are applied by the server and their answers held; the commit is
    cancelled (a request timeout of the web framework, `asyncio.wait_for`). Their writes
    are in doubt, so the next commit reads them back and does not report the documents
    esorm itself stored as 'already exists'."""
    fault_proxy.decide = first_of(
        on_request(bulk_with("u00"), Fault.hang(2.0)),
        on_request(bulk_with("u10"), Fault.hang(2.0)),
    )
    index = index_of(registry, User)
    async with BlogUnitOfWork(
        make_proxy_client(), registry, chunk_size=CHUNK, bulk_concurrency=concurrency
    ) as uow:
        uow.users.add_all(users())
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(uow.commit(), 0.5)
        fault_proxy.decide = None
        stored_between = {s["id"] for s in await stored_sources(es_client, index)}
        second = await commit_outcome(uow)
        assert not isinstance(second, CommitError), (
            f"{len(stored_between)} documents the cancelled commit stored are reported as "
            f"failed by the next commit: {second!r}"
        )
        assert isinstance(second, CommitResult), second
        assert second.created + len(stored_between) >= USERS
    stored = await stored_sources(es_client, index)
    assert sorted(s["id"] for s in stored) == [u.id for u in users()]


# -- the order of writes of one document ------------------------------------------------------


class SameDocumentByAlias:
    """Adds, after the entity's own write, an `index` of the same document through the
    entity's index name (the alias), as an audit or denormalising hook would."""

    def __init__(self, alias: str, doc_id: str) -> None:
        self.alias, self.doc_id = alias, doc_id

    def before_flush(self, flush: Flush) -> None:
        body = json.dumps(
            {"id": self.doc_id, "first_name": "from the hook", "region": "eu", "tags": []}
        ).encode()
        flush.add(Write("index", self.alias, self.doc_id, body))

    def after_flush(self, flush: Flush) -> None:
        pass


@pytest.mark.parametrize("concurrency", [2, 1])
async def test_writes_of_one_document_by_concrete_index_and_alias_keep_their_order(
    fault_proxy: FaultProxy,
    make_proxy_client: MakeClient,
    registry: Registry,
    es_client: AsyncElasticsearch,
    make_uow: Callable[..., BlogUnitOfWork],
    concurrency: int,
) -> None:
    """A loaded entity writes to the concrete index it was read from (`users__v1`); a hook
    writes the same document by the alias (`users`). Chunks are kept apart by document id,
    so the hook's chunk waits for the entity's even though they name the index apart."""
    alias = index_of(registry, User)
    async with make_uow(refresh=True) as uow:
        uow.users.add(User(id="a", first_name="seed"))
        await uow.commit()
    async with BlogUnitOfWork(
        make_proxy_client(),
        registry,
        chunk_size=1,
        bulk_concurrency=concurrency,
        hooks=[SameDocumentByAlias(alias, "a")],
    ) as uow:
        user = await uow.users.get("a")
        concrete = uow.identity_map.entry_of(user).index  # type: ignore[union-attr]
        assert concrete != alias  # the entity is written to its concrete index
        user.first_name = "from the entity"
        # the entity's chunk (concrete index) is slow on the way to the server
        fault_proxy.decide = on_request(
            lambda info: info.is_bulk and any(i.index == concrete for i in info.items),
            Fault.delay(0.5),
        )
        outcome = await commit_outcome(uow)
    assert isinstance(outcome, CommitResult), (
        f"the entity's write landed after the hook's write of the same document: {outcome!r}"
    )
    stored = await stored_doc(es_client, alias, "a")
    assert stored is not None and stored.source["first_name"] == "from the hook"


# -- failures while another request is in flight ------------------------------------------


async def test_a_refusal_beside_a_lost_answer_reads_the_lost_one_back_before_raising(
    fault_proxy: FaultProxy,
    make_proxy_client: MakeClient,
    registry: Registry,
    es_client: AsyncElasticsearch,
) -> None:
    """Chunk 1's answer is lost (applied), chunk 2 is refused (401) while chunk 1 is in
    flight: the commit reads chunk 1 back before raising, counts it as confirmed, and the
    next commit writes the rest without reporting anything twice."""
    fault_proxy.decide = first_of(
        on_request(bulk_with("u00"), Fault.lose_response()),
        on_request(bulk_with("u10"), Fault.unauthorized()),
    )
    index = index_of(registry, User)
    async with BlogUnitOfWork(make_proxy_client(), registry, chunk_size=CHUNK) as uow:
        uow.users.add_all(users())
        failed = await commit_outcome(uow)
        assert isinstance(failed, TransportFailedError), failed
        stored = {s["id"] for s in await stored_sources(es_client, index)}
        assert failed.confirmed == len(stored) == CHUNK
        fault_proxy.decide = None
        again = await uow.commit()
        assert again.created == USERS - CHUNK
        fault_proxy.clear()
        assert (await uow.commit()).written == 0 and fault_proxy.count("_bulk") == 0
    stored_ids = sorted(s["id"] for s in await stored_sources(es_client, index))
    assert stored_ids == [u.id for u in users()]


async def test_a_lost_answer_on_one_chunk_and_429_items_on_the_other_settle_exactly(
    fault_proxy: FaultProxy,
    make_proxy_client: MakeClient,
    registry: Registry,
    es_client: AsyncElasticsearch,
) -> None:
    rejected = {"u11", "u13", "u17"}
    fault_proxy.decide = first_of(
        on_request(bulk_with("u00"), Fault.lose_response()),
        on_request(
            bulk_with("u10"),
            Fault.reject_items(lambda doc_id, seen: doc_id in rejected and seen <= 2),
        ),
    )
    index = index_of(registry, User)
    async with BlogUnitOfWork(
        make_proxy_client(), registry, chunk_size=CHUNK, rejected_backoff=0.05
    ) as uow:
        added = uow.users.add_all(users())
        first = await commit_outcome(uow)
        fault_proxy.decide = None
        total = first.created if isinstance(first, CommitResult) else 0
        if isinstance(first, TransportFailedError):
            second = await uow.commit()
            total = first.confirmed + second.created
        assert not isinstance(first, CommitError), first
        assert total == USERS
        assert all(uow.version_of(u) is not None for u in added)
    stored = await stored_sources(es_client, index)
    assert sorted(s["id"] for s in stored) == [u.id for u in users()]


async def test_many_units_of_work_under_random_lost_answers_report_what_was_stored(
    fault_proxy: FaultProxy,
    make_proxy_client: MakeClient,
    registry: Registry,
    es_client: AsyncElasticsearch,
) -> None:
    """Eight tasks, each with its own unit of work, create then rename their users while a
    third of the bulk requests lose their answer. Every commit is retried until it gives a
    result; no commit may report a failure, and the reported writes add up to the stored."""
    fault_proxy.decide = random_bulk(0.3, Fault.lose_response(), seed=20261201)
    client = make_proxy_client(max_retries=0)
    tasks, per_task = 8, 23
    index = index_of(registry, User)
    created = updated = 0

    async def commit_until_done(uow: BlogUnitOfWork) -> tuple[int, int]:
        c = u = 0
        for _ in range(20):
            outcome = await commit_outcome(uow)
            assert not isinstance(outcome, CommitError), outcome
            if isinstance(outcome, CommitResult):
                return c + outcome.created, u + outcome.updated
            assert isinstance(outcome, TransportFailedError), outcome
            # confirmed counts both kinds; split by what the unit still had pending
            c, u = c + outcome.confirmed, u
            await asyncio.sleep(random.uniform(0, 0.02))
        raise AssertionError("never settled")

    async def work(n: int) -> tuple[int, int, int]:
        c1 = c2 = 0
        async with BlogUnitOfWork(client, registry, chunk_size=4) as uow:
            mine = uow.users.add_all(users(f"t{n}-", per_task))
            c1, _ = await commit_until_done(uow)
            for user in mine:
                user.first_name = f"renamed {user.id}"
            c2a, c2b = await commit_until_done(uow)
            c2 = c2a + c2b
            assert (await uow.commit()).written == 0
        return n, c1, c2

    results = await asyncio.gather(*(work(n) for n in range(tasks)))
    for _, c1, c2 in results:
        assert c1 == per_task and c2 == per_task, results
        created += c1
        updated += c2
    assert sum(1 for e in fault_proxy.bulk if e.fault is not None) >= 10  # faults were met
    assert fault_proxy.most_bulk_in_flight >= 2
    stored = await stored_sources(es_client, index)
    assert len(stored) == tasks * per_task == created == updated
    assert all(s["first_name"] == f"renamed {s['id']}" for s in stored)
