"""A commit keeps two bulk requests in flight, and its report stays exact.

The fault proxy counts the `_bulk` requests it holds at once and delays or breaks chosen
ones; what the server stored is read back with the direct client.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from elasticsearch import AsyncElasticsearch

from esorm.errors import TransportFailedError
from esorm.mapping import Registry
from esorm.repository import IdentityMap
from esorm.store import ElasticsearchStore, Write
from esorm.uow import BulkSettings, Flush, Status
from tests.integration._blog import BlogUnitOfWork, User
from tests.integration._fault_proxy import Fault, FaultProxy, every_bulk, first_of, nth_bulk
from tests.integration._stored import commit_outcome, index_of, stored_doc, stored_sources

pytestmark = pytest.mark.integration

MakeClient = Callable[..., AsyncElasticsearch]
USERS = 50
CHUNK = 10  # 50 users in 5 bulk requests


def users() -> list[User]:
    return [User(id=f"u{n:02}", first_name=f"user {n}") for n in range(USERS)]


@pytest.mark.parametrize(("concurrency", "most"), [(2, 2), (1, 1)])
async def test_a_commit_keeps_its_bulk_requests_in_flight_up_to_the_limit(
    fault_proxy: FaultProxy,
    make_proxy_client: MakeClient,
    registry: Registry,
    es_client: AsyncElasticsearch,
    concurrency: int,
    most: int,
) -> None:
    fault_proxy.decide = every_bulk(Fault.delay(0.2))  # each request waits at the proxy
    async with BlogUnitOfWork(
        make_proxy_client(), registry, chunk_size=CHUNK, bulk_concurrency=concurrency
    ) as uow:
        uow.users.add_all(users())
        result = await uow.commit()
    assert (result.created, result.requests) == (USERS, USERS // CHUNK)
    assert fault_proxy.most_bulk_in_flight == most
    stored = await stored_sources(es_client, index_of(registry, User))
    assert sorted(s["id"] for s in stored) == [u.id for u in users()]


async def test_writes_of_one_document_in_two_chunks_keep_their_order(
    fault_proxy: FaultProxy,
    make_proxy_client: MakeClient,
    registry: Registry,
    es_client: AsyncElasticsearch,
    make_uow: Callable[..., BlogUnitOfWork],
) -> None:
    """The first chunk is held at the proxy; the second writes the same document again. Sent
    side by side the second would land first and be overwritten by the older body."""
    async with make_uow() as uow:  # the index exists
        uow.users.add(User(id="seed", first_name="seed"))
        await uow.commit()
    index = index_of(registry, User)
    fault_proxy.clear()
    fault_proxy.decide = nth_bulk(1, Fault.delay(0.4))
    flush = Flush(
        ElasticsearchStore(make_proxy_client()),
        IdentityMap(),
        settings=BulkSettings(chunk_size=2, concurrency=2),
    )
    for doc_id, name in [("a", "first"), ("b", "b"), ("c", "c"), ("a", "second")]:
        body = f'{{"id":"{doc_id}","first_name":"{name}","region":"eu","tags":[]}}'.encode()
        flush.add(Write("index", index, doc_id, body))
    await flush.run(False)
    assert all(op.status is Status.CONFIRMED for op in flush.operations)
    assert fault_proxy.most_bulk_in_flight == 1  # the second chunk waited for the first
    stored = await stored_doc(es_client, index, "a")
    assert stored is not None and stored.source["first_name"] == "second"


async def test_a_lost_answer_beside_a_request_in_flight_is_settled_exactly(
    fault_proxy: FaultProxy,
    make_proxy_client: MakeClient,
    registry: Registry,
    es_client: AsyncElasticsearch,
) -> None:
    fault_proxy.decide = first_of(nth_bulk(2, Fault.lose_response()), every_bulk(Fault.delay(0.1)))
    async with BlogUnitOfWork(make_proxy_client(), registry, chunk_size=CHUNK) as uow:
        uow.users.add_all(users())
        first = await commit_outcome(uow)
        fault_proxy.decide = None
        if isinstance(first, TransportFailedError):
            first = await commit_outcome(uow)
        assert not isinstance(first, Exception), first
        fault_proxy.clear()
        assert (await uow.commit()).written == 0
        assert fault_proxy.count("_bulk") == 0
    stored = await stored_sources(es_client, index_of(registry, User))
    assert sorted(s["id"] for s in stored) == [u.id for u in users()]


async def test_a_refused_request_lets_the_one_in_flight_land_and_reports_it(
    fault_proxy: FaultProxy,
    make_proxy_client: MakeClient,
    registry: Registry,
    es_client: AsyncElasticsearch,
) -> None:
    """The first request is slow, the second is refused (401): the commit fails only once
    the first is answered, counts its writes as confirmed, and sends nothing more."""
    fault_proxy.decide = first_of(nth_bulk(1, Fault.delay(1.0)), nth_bulk(2, Fault.unauthorized()))
    index = index_of(registry, User)
    async with BlogUnitOfWork(make_proxy_client(), registry, chunk_size=CHUNK) as uow:
        uow.users.add_all(users())
        failed = await commit_outcome(uow)
        assert isinstance(failed, TransportFailedError), failed
        assert failed.confirmed == CHUNK
        assert fault_proxy.count("_bulk") == 2  # nothing after the refusal
        stored = await stored_sources(es_client, index)
        assert sorted(s["id"] for s in stored) == [u.id for u in users()[:CHUNK]]
        fault_proxy.decide = None
        again = await uow.commit()
        assert again.created == USERS - CHUNK
    stored = await stored_sources(es_client, index)
    assert sorted(s["id"] for s in stored) == [u.id for u in users()]
