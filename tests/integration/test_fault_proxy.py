"""The fault proxy itself, and what the HTTP client stack does with each fault, on the wire.

These pin the findings the commit fixes build on (see the docstring of `_fault_proxy`):
which faults make elasticsearch-py, elastic_transport and aiohttp send a request again,
and how often. The clients here are raw `AsyncElasticsearch` instances with explicit
settings; `max_retries=3, retry_on_timeout=False` are the values esorm's
`ConnectionSettings` passes by default today.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from elastic_transport import ConnectionError, ConnectionTimeout, SerializationError
from elasticsearch import (
    ApiError,
    AsyncElasticsearch,
    AuthenticationException,
    AuthorizationException,
)

from tests.integration._fault_proxy import (
    GARBLE_MARK,
    Fault,
    FaultKind,
    FaultProxy,
    RequestInfo,
    every_bulk,
    first_of,
    limited,
    nth_bulk,
    on_request,
    random_bulk,
)

pytestmark = pytest.mark.integration

NDJSON = {"content-type": "application/x-ndjson", "accept": "application/json"}


@pytest.fixture
async def wire_index(es_client: AsyncElasticsearch, index_prefix: str) -> str:
    index = f"{index_prefix}wire"
    await es_client.indices.create(index=index)
    return index


@pytest.fixture
async def raw_client(
    fault_proxy: FaultProxy,
) -> AsyncIterator[Callable[..., AsyncElasticsearch]]:
    """Raw clients through the proxy with the given transport settings; closed after."""
    clients: list[AsyncElasticsearch] = []

    def make(**kwargs: Any) -> AsyncElasticsearch:
        kwargs.setdefault("request_timeout", 10)
        client = AsyncElasticsearch(fault_proxy.url, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


def two_items(index: str) -> list[dict[str, Any]]:
    return [
        {"create": {"_index": index, "_id": "a"}},
        {"n": 1},
        {"index": {"_index": index, "_id": "b"}},
        {"n": 2},
    ]


async def stored(es_client: AsyncElasticsearch, index: str) -> dict[str, Any]:
    await es_client.indices.refresh(index=index)
    response = await es_client.search(index=index, size=100)
    return {hit["_id"]: hit["_source"] for hit in response["hits"]["hits"]}


def cause_chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        errors = getattr(current, "errors", ())
        current = errors[-1] if errors else (current.__cause__ or current.__context__)
    return chain


# -- forwarding and counting ------------------------------------------------------------------


async def test_requests_are_forwarded_and_counted(
    fault_proxy: FaultProxy,
    raw_client: Callable[..., AsyncElasticsearch],
    wire_index: str,
    es_client: AsyncElasticsearch,
) -> None:
    client = raw_client()
    response = await client.bulk(operations=two_items(wire_index))
    assert [next(iter(i.values()))["status"] for i in response["items"]] == [201, 201]
    assert (await client.get(index=wire_index, id="a"))["_source"] == {"n": 1}
    assert [(r.method, r.endpoint) for r in fault_proxy.requests] == [
        ("PUT", "_bulk"),
        ("GET", "_doc"),
    ]
    (bulk,) = fault_proxy.bulk
    assert bulk.request.ids == ("a", "b")
    assert [i.action for i in bulk.request.items] == ["create", "index"]
    assert (bulk.forwarded, bulk.upstream_status, bulk.answered) == (True, 200, 200)
    assert fault_proxy.item_attempts == {"a": 1, "b": 1}
    assert await stored(es_client, wire_index) == {"a": {"n": 1}, "b": {"n": 2}}


# -- dropped connections: aiohttp re-sends PUT once, the transport retries on top ------------


@pytest.mark.parametrize(
    ("max_retries", "sent"),
    [(0, 2), (3, 8)],
    ids=["max_retries=0", "max_retries=3"],
)
@pytest.mark.parametrize("fault", [Fault.reset(), Fault.lose_response()], ids=["reset", "lost"])
async def test_a_dropped_put_bulk_is_sent_again_by_aiohttp_under_each_transport_retry(
    fault_proxy: FaultProxy,
    raw_client: Callable[..., AsyncElasticsearch],
    wire_index: str,
    es_client: AsyncElasticsearch,
    fault: Fault,
    max_retries: int,
    sent: int,
) -> None:
    fault_proxy.decide = every_bulk(fault)
    client = raw_client(max_retries=max_retries)
    with pytest.raises(ConnectionError) as caught:
        await client.bulk(operations=two_items(wire_index))
    assert fault_proxy.count("_bulk", "PUT") == sent == 2 * (max_retries + 1)
    forwarded = fault.kind is FaultKind.LOSE_RESPONSE
    assert all(e.forwarded == forwarded for e in fault_proxy.bulk)
    assert all(e.answered is None for e in fault_proxy.bulk)
    assert await stored(es_client, wire_index) == (
        {"a": {"n": 1}, "b": {"n": 2}} if forwarded else {}
    )
    if fault.kind is FaultKind.RESET and max_retries:
        # the RST reaches the client as a reset connection, not a clean close
        assert any("Connection reset by peer" in repr(e) for e in cause_chain(caught.value))


async def test_a_lost_put_bulk_answer_comes_back_as_409s_from_the_hidden_resend(
    fault_proxy: FaultProxy,
    raw_client: Callable[..., AsyncElasticsearch],
    wire_index: str,
    es_client: AsyncElasticsearch,
) -> None:
    """Even with `max_retries=0`: the caller gets a 200 whose create says 409."""
    fault_proxy.decide = nth_bulk(1, Fault.lose_response())
    client = raw_client(max_retries=0)
    response = await client.bulk(operations=two_items(wire_index))
    create, index = (next(iter(item.values())) for item in response["items"])
    assert create["status"] == 409
    assert create["error"]["type"] == "version_conflict_engine_exception"
    assert index["status"] == 200 and index["result"] == "updated"
    assert fault_proxy.bulk_ids() == [("a", "b"), ("a", "b")]
    assert [e.forwarded for e in fault_proxy.bulk] == [True, True]
    assert await stored(es_client, wire_index) == {"a": {"n": 1}, "b": {"n": 2}}


@pytest.mark.parametrize(("max_retries", "sent"), [(0, 1), (3, 4)])
async def test_a_dropped_post_bulk_is_sent_again_only_by_the_transport(
    fault_proxy: FaultProxy,
    raw_client: Callable[..., AsyncElasticsearch],
    wire_index: str,
    max_retries: int,
    sent: int,
) -> None:
    fault_proxy.decide = every_bulk(Fault.lose_response())
    client = raw_client(max_retries=max_retries)
    body = b"".join(json.dumps(line).encode() + b"\n" for line in two_items(wire_index))
    with pytest.raises(ConnectionError):
        await client.perform_request("POST", "/_bulk", body=body, headers=NDJSON)
    assert fault_proxy.count("_bulk", "POST") == sent


# -- statuses: 429 and 502/503/504 are retried by the transport ---------------------------------


@pytest.mark.parametrize(("max_retries", "sent"), [(0, 1), (3, 4)])
@pytest.mark.parametrize("status", [502, 503, 504])
async def test_gateway_statuses_after_forwarding_are_retried_by_the_transport(
    fault_proxy: FaultProxy,
    raw_client: Callable[..., AsyncElasticsearch],
    wire_index: str,
    status: int,
    max_retries: int,
    sent: int,
) -> None:
    fault_proxy.decide = every_bulk(Fault.status_after(status))
    client = raw_client(max_retries=max_retries)
    with pytest.raises(ApiError) as caught:
        await client.bulk(operations=two_items(wire_index))
    assert caught.value.meta.status == status
    assert fault_proxy.count("_bulk") == sent
    assert all(e.forwarded and e.answered == status for e in fault_proxy.bulk)


async def test_a_gateway_status_is_not_retried_without_retry_on_status(
    fault_proxy: FaultProxy, raw_client: Callable[..., AsyncElasticsearch], wire_index: str
) -> None:
    fault_proxy.decide = every_bulk(Fault.status_after(502, html=True))
    client = raw_client(max_retries=3, retry_on_status=())
    with pytest.raises(ApiError) as caught:
        await client.bulk(operations=two_items(wire_index))
    assert caught.value.meta.status == 502
    assert fault_proxy.count("_bulk") == 1


async def test_a_whole_request_429_is_retried_by_the_transport_then_raised(
    fault_proxy: FaultProxy,
    raw_client: Callable[..., AsyncElasticsearch],
    wire_index: str,
    es_client: AsyncElasticsearch,
) -> None:
    fault_proxy.decide = every_bulk(Fault.too_many_requests())
    client = raw_client(max_retries=3)
    with pytest.raises(ApiError) as caught:
        await client.bulk(operations=two_items(wire_index))
    assert caught.value.meta.status == 429
    assert caught.value.error == "es_rejected_execution_exception"
    assert fault_proxy.count("_bulk") == 4
    assert not any(e.forwarded for e in fault_proxy.bulk)
    assert await stored(es_client, wire_index) == {}


async def test_a_whole_request_429_once_is_hidden_by_the_transport(
    fault_proxy: FaultProxy, raw_client: Callable[..., AsyncElasticsearch], wire_index: str
) -> None:
    fault_proxy.decide = nth_bulk(1, Fault.too_many_requests())
    response = await raw_client(max_retries=3).bulk(operations=two_items(wire_index))
    assert not response["errors"]
    assert [e.answered for e in fault_proxy.bulk] == [429, 200]


# -- timeouts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("retry_on_timeout", "sent"), [(False, 1), (True, 4)])
async def test_a_timeout_after_forwarding_is_retried_only_with_retry_on_timeout(
    fault_proxy: FaultProxy,
    raw_client: Callable[..., AsyncElasticsearch],
    wire_index: str,
    es_client: AsyncElasticsearch,
    retry_on_timeout: bool,
    sent: int,
) -> None:
    fault_proxy.decide = every_bulk(Fault.hang(30))
    client = raw_client(max_retries=3, retry_on_timeout=retry_on_timeout, request_timeout=0.2)
    with pytest.raises(ConnectionTimeout):
        await client.bulk(operations=two_items(wire_index))
    assert fault_proxy.count("_bulk") == sent
    assert all(e.forwarded for e in fault_proxy.bulk)
    assert await stored(es_client, wire_index) == {"a": {"n": 1}, "b": {"n": 2}}


async def test_a_hang_before_forwarding_never_reaches_the_server(
    fault_proxy: FaultProxy,
    raw_client: Callable[..., AsyncElasticsearch],
    wire_index: str,
    es_client: AsyncElasticsearch,
) -> None:
    fault_proxy.decide = every_bulk(Fault.hang(30, forwarded=False))
    client = raw_client(max_retries=0, request_timeout=0.2)
    with pytest.raises(ConnectionTimeout):
        await client.bulk(operations=two_items(wire_index))
    assert [e.forwarded for e in fault_proxy.bulk] == [False]
    assert await stored(es_client, wire_index) == {}


# -- bodies ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault", [Fault.garble(), Fault.truncate(full_length=False)], ids=["garbled", "short"]
)
async def test_an_unparseable_answer_is_a_serialization_error_sent_once(
    fault_proxy: FaultProxy,
    raw_client: Callable[..., AsyncElasticsearch],
    wire_index: str,
    es_client: AsyncElasticsearch,
    fault: Fault,
) -> None:
    fault_proxy.decide = nth_bulk(1, fault)
    with pytest.raises(SerializationError) as caught:
        await raw_client(max_retries=3).bulk(operations=two_items(wire_index))
    assert fault_proxy.count("_bulk") == 1
    assert wire_index in str(caught.value)  # the client quotes the body it could not read
    if fault.kind is FaultKind.GARBLE:
        assert GARBLE_MARK.decode() in str(caught.value) or "\\x00" in str(caught.value)
    assert await stored(es_client, wire_index) == {"a": {"n": 1}, "b": {"n": 2}}


@pytest.mark.parametrize(("max_retries", "sent"), [(0, 1), (3, 2)])
async def test_an_answer_cut_below_its_length_is_retried_by_the_transport_only(
    fault_proxy: FaultProxy,
    raw_client: Callable[..., AsyncElasticsearch],
    wire_index: str,
    max_retries: int,
    sent: int,
) -> None:
    fault_proxy.decide = nth_bulk(1, Fault.truncate())
    client = raw_client(max_retries=max_retries)
    if max_retries:
        response = await client.bulk(operations=two_items(wire_index))
        assert next(iter(response["items"][0].values()))["status"] == 409  # the re-send
    else:
        with pytest.raises(ConnectionError) as caught:
            await client.bulk(operations=two_items(wire_index))
        assert any("payload is not completed" in repr(e) for e in cause_chain(caught.value))
    assert fault_proxy.count("_bulk") == sent


async def test_dropped_items_shorten_the_bulk_answer(
    fault_proxy: FaultProxy,
    raw_client: Callable[..., AsyncElasticsearch],
    wire_index: str,
    es_client: AsyncElasticsearch,
) -> None:
    fault_proxy.decide = nth_bulk(1, Fault.drop_items())
    response = await raw_client().bulk(operations=two_items(wire_index))
    assert [next(iter(i.values()))["_id"] for i in response["items"]] == ["a"]
    fault_proxy.decide = nth_bulk(2, Fault.drop_items(ids=["a"]))
    response = await raw_client().bulk(operations=two_items(wire_index))
    assert [next(iter(i.values()))["_id"] for i in response["items"]] == ["b"]
    assert await stored(es_client, wire_index) == {"a": {"n": 1}, "b": {"n": 2}}


# -- answers without forwarding ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.unauthorized(), AuthenticationException),
        (Fault.forbidden(), AuthorizationException),
        (Fault.server_error(500), ApiError),
    ],
    ids=["401", "403", "500"],
)
async def test_error_answers_without_forwarding(
    fault_proxy: FaultProxy,
    raw_client: Callable[..., AsyncElasticsearch],
    wire_index: str,
    fault: Fault,
    error: type[ApiError],
) -> None:
    fault_proxy.decide = on_request(lambda info: info.endpoint == "_search", fault)
    with pytest.raises(error) as caught:
        await raw_client(max_retries=3).search(index=wire_index)
    assert caught.value.meta.status == fault.status
    assert fault_proxy.count("_search") == 1  # 401, 403 and 500 are not retried
    assert not fault_proxy.exchanges[0].forwarded


# -- the decide helpers -----------------------------------------------------------------------


def bulk_request(number: int) -> RequestInfo:
    return RequestInfo(number, "PUT", "/_bulk", "", b"", bulk_number=number)


def test_decide_helpers_pick_requests() -> None:
    lost, reset = Fault.lose_response(), Fault.reset()
    search = RequestInfo(1, "POST", "/x/_search", "", b"")
    assert every_bulk(lost)(search) is None
    assert every_bulk(lost)(bulk_request(1)) is lost
    assert [nth_bulk({2, 3}, lost)(bulk_request(n)) for n in (1, 2, 3, 4)] == [
        None,
        lost,
        lost,
        None,
    ]
    twice = limited(every_bulk(lost), 2)
    assert [twice(bulk_request(n)) for n in range(1, 5)] == [lost, lost, None, None]
    combined = first_of(nth_bulk(1, reset), every_bulk(lost))
    assert [combined(bulk_request(n)) for n in (1, 2)] == [reset, lost]
    once = random_bulk(0.1, lost, seed=7)
    picks = [once(bulk_request(n)) for n in range(1, 1001)]
    again = random_bulk(0.1, lost, seed=7)
    assert [again(bulk_request(n)) for n in range(1, 1001)] == picks  # seeded: reproducible
    assert 50 < sum(p is lost for p in picks) < 150
