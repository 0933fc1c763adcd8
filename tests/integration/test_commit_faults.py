"""Issue 10: what a commit reports must be what the server stored, whatever the network does.

Each test puts the fault proxy between a unit of work and the server, makes a commit meet
one fault, and compares what esorm reported (the result or the error, `written`, the
failures, what is still pending) with what the server stored, read back with the direct
client. Each of them failed before the fix (issue 10).

When the answer to a commit is lost after the server applied it, two reports are honest:
the commit's result counts the writes (esorm found out what happened), or it raises a
connection error (`TransportFailedError`) and the next commit settles what stayed
uncertain, without reporting the applied writes as failures and without writing them
twice. Either way, afterwards nothing is pending and every entity carries the version the
server holds, so it can be changed again. What is never honest is a `CommitError` or
`ConflictError` listing writes the server applied.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable

import pytest
from elasticsearch import AsyncElasticsearch

from esorm.domain import new_id
from esorm.errors import CommitError, EsormError
from esorm.mapping import Registry
from esorm.uow import CommitResult
from tests.integration._blog import BlogUnitOfWork, Counter, Order, User
from tests.integration._fault_proxy import (
    GARBLE_MARK,
    Decide,
    Fault,
    FaultProxy,
    every_bulk,
    limited,
    nth_bulk,
    random_bulk,
)
from tests.integration._stored import commit_outcome, index_of, stored_doc, stored_sources
from tests.integration._support import seed

pytestmark = pytest.mark.integration

MakeUow = Callable[..., BlogUnitOfWork]
MakeClient = Callable[..., AsyncElasticsearch]


async def settle(
    uow: BlogUnitOfWork, proxy: FaultProxy, first: CommitResult | EsormError
) -> CommitResult | None:
    """After a commit whose answer was lost: the honest outcomes, then nothing pending.

    Returns the first commit's result when it gave one. Stops the faults.
    """
    assert not isinstance(first, CommitError), (
        f"writes the server applied are reported as failed: {first!r}"
    )
    proxy.decide = None
    if isinstance(first, EsormError):
        # an uncertain outcome may be reported as a connection error; then the next commit
        # must settle it without failures
        second = await commit_outcome(uow)
        assert isinstance(second, CommitResult), f"the next commit failed: {second!r}"
    proxy.clear()
    assert (await uow.commit()).written == 0
    assert proxy.count("_bulk") == 0, f"still pending afterwards: {proxy.bulk_ids()}"
    return first if isinstance(first, CommitResult) else None


# -- one commit, one lost answer ----------------------------------------------------------------

ANSWER_LOST = [
    pytest.param(
        nth_bulk(1, Fault.lose_response()),
        {},
        id="response-lost",
    ),
    *(
        pytest.param(
            nth_bulk(1, Fault.status_after(status)),
            {},
            id=f"{status}-after-apply",
        )
        for status in (502, 503, 504)
    ),
    pytest.param(
        every_bulk(Fault.status_after(502)),
        {},
        id="502-on-every-copy",
    ),
    pytest.param(
        nth_bulk(1, Fault.truncate()),
        {},
        id="answer-cut-short",
    ),
    pytest.param(
        nth_bulk(1, Fault.hang(30)),
        {"request_timeout": 0.5},
        id="timeout-after-apply",
    ),
    pytest.param(
        nth_bulk(1, Fault.garble()),
        {},
        id="answer-garbled",
    ),
    pytest.param(
        nth_bulk(1, Fault.drop_items(1)),
        {},
        id="answer-missing-an-item",
    ),
]


@pytest.mark.parametrize(("decide", "settings"), ANSWER_LOST)
async def test_a_commit_whose_answer_is_lost_reports_what_the_server_stored(
    fault_proxy: FaultProxy,
    make_proxy_client: MakeClient,
    make_uow: MakeUow,
    registry: Registry,
    es_client: AsyncElasticsearch,
    decide: Decide,
    settings: dict[str, float],
) -> None:
    """A create, an update and a delete; the server applies all three, its answer is lost."""
    await seed(make_uow, User(id="upd", first_name="before"), User(id="del", first_name="x"))
    index = index_of(registry, User)
    async with BlogUnitOfWork(make_proxy_client(**settings), registry) as uow:
        new = uow.users.add(User(id="new", first_name="new"))
        upd = await uow.users.get("upd")
        upd.first_name = "after"
        uow.users.remove(await uow.users.get("del"))
        fault_proxy.clear()
        fault_proxy.decide = decide
        first = await commit_outcome(uow)
        result = await settle(uow, fault_proxy, first)
        if result is not None:
            assert (result.created, result.updated, result.deleted) == (1, 1, 1)

        new_doc = await stored_doc(es_client, index, "new")
        upd_doc = await stored_doc(es_client, index, "upd")
        assert new_doc is not None and new_doc.source["first_name"] == "new"
        assert upd_doc is not None and upd_doc.source["first_name"] == "after"
        assert await stored_doc(es_client, index, "del") is None
        assert uow.version_of(new) == new_doc.version
        assert uow.version_of(upd) == upd_doc.version
        assert await uow.users.find("del") is None
        # the versions are really current: both can be changed again
        new.first_name = upd.first_name = "again"
        assert (await uow.commit()).updated == 2


# -- after a transport failure, the next commit -------------------------------------------------


async def test_after_a_transport_failure_an_applied_create_is_not_reported_as_existing(
    fault_proxy: FaultProxy,
    make_proxy_uow: MakeUow,
    registry: Registry,
    es_client: AsyncElasticsearch,
) -> None:
    async with make_proxy_uow() as uow:
        user = uow.users.add(User(id="new", first_name="x"))
        fault_proxy.decide = every_bulk(Fault.lose_response())  # every copy of the commit
        first = await commit_outcome(uow)
        assert fault_proxy.bulk[0].forwarded  # the server applied the first copy
        await settle(uow, fault_proxy, first)
        doc = await stored_doc(es_client, index_of(registry, User), "new")
        assert doc is not None and uow.version_of(user) == doc.version


async def test_after_a_transport_failure_an_applied_update_is_not_a_conflict_and_not_dirty(
    fault_proxy: FaultProxy,
    make_uow: MakeUow,
    make_proxy_uow: MakeUow,
    registry: Registry,
    es_client: AsyncElasticsearch,
) -> None:
    await seed(make_uow, User(id="u", first_name="before"))
    async with make_proxy_uow() as uow:
        user = await uow.users.get("u")
        user.first_name = "after"
        fault_proxy.decide = every_bulk(Fault.lose_response())
        first = await commit_outcome(uow)
        await settle(uow, fault_proxy, first)
        doc = await stored_doc(es_client, index_of(registry, User), "u")
        assert doc is not None and doc.source["first_name"] == "after"
        assert uow.version_of(user) == doc.version


async def test_after_a_transport_failure_an_applied_delete_is_not_reported_missing(
    fault_proxy: FaultProxy,
    make_uow: MakeUow,
    make_proxy_uow: MakeUow,
    registry: Registry,
    es_client: AsyncElasticsearch,
) -> None:
    await seed(make_uow, User(id="u", first_name="x"))
    async with make_proxy_uow() as uow:
        uow.users.remove(await uow.users.get("u"))
        fault_proxy.decide = every_bulk(Fault.lose_response())
        first = await commit_outcome(uow)
        await settle(uow, fault_proxy, first)
        assert await stored_doc(es_client, index_of(registry, User), "u") is None
        assert await uow.users.find("u") is None


# -- use cases run with the retry helper ----------------------------------------------------------


async def increment(uow: BlogUnitOfWork) -> None:
    counter = await uow.counters.get("hits")
    counter.value += 1


async def add_order(uow: BlogUnitOfWork, run: int) -> None:
    # the id is made inside the use case, so a re-run would make another order
    uow.add(Order(id=f"eu:{new_id()}", total=run))


async def test_one_run_whose_answer_is_lost_increments_once(
    fault_proxy: FaultProxy,
    make_uow: MakeUow,
    make_proxy_uow: MakeUow,
    registry: Registry,
    es_client: AsyncElasticsearch,
) -> None:
    await seed(make_uow, Counter(id="hits"))
    fault_proxy.decide = nth_bulk(1, Fault.lose_response())
    await make_proxy_uow().run(increment, attempts=5, base_delay=0.001)
    doc = await stored_doc(es_client, index_of(registry, Counter), "hits")
    assert doc is not None and doc.source["value"] == 1


async def test_one_create_run_whose_answer_is_lost_stores_one_order(
    fault_proxy: FaultProxy,
    make_proxy_uow: MakeUow,
    registry: Registry,
    es_client: AsyncElasticsearch,
) -> None:
    fault_proxy.decide = nth_bulk(1, Fault.lose_response())
    await make_proxy_uow().run(lambda uow: add_order(uow, 7), attempts=5, base_delay=0.001)
    orders = await stored_sources(es_client, index_of(registry, Order))
    assert [order["total"] for order in orders] == [7]


TASKS, RUNS = 20, 50


async def test_1000_increments_with_10_percent_of_bulk_answers_lost_store_1000(
    fault_proxy: FaultProxy,
    make_uow: MakeUow,
    make_proxy_uow: MakeUow,
    registry: Registry,
    es_client: AsyncElasticsearch,
) -> None:
    """20 tasks x 50 `uow.run(increment)`; a seeded tenth of the bulk answers is lost."""
    await seed(make_uow, Counter(id="hits"))
    fault_proxy.decide = random_bulk(0.1, Fault.lose_response(), seed=10)
    failures: list[EsormError] = []

    async def worker() -> None:
        uow = make_proxy_uow()
        for _ in range(RUNS):
            try:
                await uow.run(increment, attempts=200, base_delay=0.005, max_delay=0.2)
            except EsormError as error:
                failures.append(error)

    await asyncio.gather(*(worker() for _ in range(TASKS)))
    assert sum(e.answered is None for e in fault_proxy.bulk) > 0  # answers were lost
    doc = await stored_doc(es_client, index_of(registry, Counter), "hits")
    assert doc is not None
    assert (doc.source["value"], failures) == (TASKS * RUNS, [])


async def test_1000_create_runs_with_10_percent_of_bulk_answers_lost_store_no_duplicates(
    fault_proxy: FaultProxy,
    make_proxy_uow: MakeUow,
    registry: Registry,
    es_client: AsyncElasticsearch,
) -> None:
    """20 tasks x 50 runs that each add a new order with a fresh id and their run number."""
    fault_proxy.decide = random_bulk(0.1, Fault.lose_response(), seed=11)
    succeeded: list[int] = []
    failures: list[EsormError] = []

    async def worker(task: int) -> None:
        uow = make_proxy_uow()
        for i in range(RUNS):
            run = task * RUNS + i

            async def work(uow: BlogUnitOfWork, run: int = run) -> None:
                await add_order(uow, run)

            try:
                await uow.run(work, attempts=200, base_delay=0.005, max_delay=0.2)
            except EsormError as error:
                failures.append(error)
            else:
                succeeded.append(run)

    await asyncio.gather(*(worker(task) for task in range(TASKS)))
    assert sum(e.answered is None for e in fault_proxy.bulk) > 0
    runs = sorted(
        order["total"] for order in await stored_sources(es_client, index_of(registry, Order))
    )
    duplicates = sorted({run for run in runs if runs.count(run) > 1})
    assert duplicates == []
    assert runs == sorted(succeeded)
    assert len(succeeded) + len(failures) == TASKS * RUNS


# -- how answers that cannot be read are reported -------------------------------------------------


async def test_a_garbled_bulk_answer_is_reported_as_unreadable_without_quoting_it(
    fault_proxy: FaultProxy, make_proxy_uow: MakeUow
) -> None:
    async with make_proxy_uow() as uow:
        uow.users.add(User(id="g", first_name="x"))
        fault_proxy.decide = nth_bulk(1, Fault.garble())
        outcome = await commit_outcome(uow)
        if isinstance(outcome, CommitResult):  # esorm found out what the server did
            assert outcome.created == 1
            return
        message = str(outcome)
        assert "could not reach" not in message  # it was reached, and it answered
        assert GARBLE_MARK.decode() not in message and "\\x00" not in message
        assert "_seq_no" not in message and "_shards" not in message  # no body quoted


async def test_a_whole_request_429_is_retried_with_backoff(
    fault_proxy: FaultProxy,
    proxy_client: AsyncElasticsearch,
    registry: Registry,
    es_client: AsyncElasticsearch,
) -> None:
    """The node refuses the whole request 4 times; esorm's 429 backoff must cover that too."""
    backoff = 0.05
    uow = BlogUnitOfWork(proxy_client, registry, rejected_retries=4, rejected_backoff=backoff)
    async with uow:
        uow.users.add(User(id="a", first_name="x"))
        uow.users.add(User(id="b", first_name="y"))
        fault_proxy.decide = limited(every_bulk(Fault.too_many_requests()), 4)
        result = await commit_outcome(uow)
        assert isinstance(result, CommitResult) and result.created == 2, repr(result)
    bulk = fault_proxy.bulk
    gaps = [
        later.request.received_at - earlier.request.received_at
        for earlier, later in itertools.pairwise(bulk)
        if earlier.answered == 429
    ]
    # esorm waits backoff * 2**attempt * uniform(0.5, 1) after a rejection
    assert gaps and min(gaps) >= backoff / 2, gaps
    index = index_of(registry, User)
    assert [await stored_doc(es_client, index, i) is not None for i in "ab"] == [True, True]
