"""esorm.fastapi's conditional requests in a small app against the real server: a counter that
clients increment under If-Match, and the headers' edge cases.

No `from __future__ import annotations` here: FastAPI resolves an endpoint's annotations
against module globals, and the endpoints below use aliases local to `create_app`.
"""

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

import pytest
from elasticsearch import AsyncElasticsearch
from fastapi import Depends, FastAPI, Response
from httpx import ASGITransport, AsyncClient
from pydantic import BaseModel

from esorm.fastapi import (
    ETAG_HEADER,
    ReadPreconditions,
    WritePreconditions,
    install_error_handlers,
    read_preconditions,
    set_etag,
    unit_of_work_dependency,
    write_preconditions,
)
from esorm.indices import IndexManager
from esorm.mapping import Registry
from esorm.repository import Repository
from esorm.uow import UnitOfWork

pytestmark = pytest.mark.integration


class Counter(BaseModel):
    id: str
    value: int = 0


class Gauge(BaseModel):
    id: str
    level: int = 0


class CounterUow(UnitOfWork):
    counters: Repository[Counter]
    gauges: Repository[Gauge]


class Value(BaseModel):
    value: int


def create_app(registry: Registry, client: AsyncElasticsearch) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    Uow = Annotated[
        CounterUow, Depends(unit_of_work_dependency(lambda: CounterUow(client, registry)))
    ]
    Reads = Annotated[ReadPreconditions, Depends(read_preconditions())]
    Writes = Annotated[WritePreconditions, Depends(write_preconditions())]
    Lenient = Annotated[WritePreconditions, Depends(write_preconditions(require=False))]

    @app.get("/counters/{counter_id}")
    async def read(counter_id: str, response: Response, uow: Uow, pre: Reads) -> Counter:
        return pre.answer(response, uow, await uow.counters.get(counter_id))

    @app.put("/counters/{counter_id}")
    async def replace(
        counter_id: str, body: Value, response: Response, uow: Uow, pre: Writes
    ) -> Counter:
        counter = await pre.load(uow.counters, counter_id)
        counter.value = body.value
        await uow.commit()
        return set_etag(response, uow, counter)

    @app.patch("/counters/{counter_id}")
    async def lenient(
        counter_id: str, body: Value, response: Response, uow: Uow, pre: Lenient
    ) -> Counter:
        counter = await pre.load(uow.counters, counter_id)
        counter.value = body.value
        await uow.commit()
        return set_etag(response, uow, counter)

    @app.get("/gauges/{gauge_id}")
    async def gauge(gauge_id: str, response: Response, uow: Uow) -> Gauge:
        return set_etag(response, uow, await uow.gauges.get(gauge_id))

    return app


@pytest.fixture
async def registry(es_client: AsyncElasticsearch, index_prefix: str) -> Registry:
    registry = Registry(prefix=index_prefix)
    registry.register(Counter, index="counters")
    registry.register(Gauge, index="gauges")
    await IndexManager(es_client, registry).create_all()
    async with CounterUow(es_client, registry) as uow:
        uow.counters.add(Counter(id="c"))
        uow.gauges.add(Gauge(id="c"))
        await uow.commit()
    return registry


@pytest.fixture
async def http(registry: Registry, es_client: AsyncElasticsearch) -> AsyncIterator[AsyncClient]:
    app = create_app(registry, es_client)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
        yield client


async def stored_value(es_client: AsyncElasticsearch, registry: Registry) -> int:
    answer = await es_client.get(index=registry.mapping_for(Counter).index, id="c")
    return int(answer["_source"]["value"])


async def test_thirty_clients_incrementing_under_if_match_store_thirty_increments(
    http: AsyncClient, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    refused = 0

    async def increment() -> None:
        nonlocal refused
        while True:
            read = await http.get("/counters/c")
            value = read.json()["value"] + 1  # the client computes it: a lost update shows
            answer = await http.put(
                "/counters/c", json={"value": value}, headers={"If-Match": read.headers["ETag"]}
            )
            if answer.status_code == 200:
                return
            assert answer.status_code == 412, answer.text
            refused += 1

    await asyncio.wait_for(asyncio.gather(*(increment() for _ in range(30))), timeout=120)
    assert await stored_value(es_client, registry) == 30
    assert refused > 0


async def test_a_412_names_the_failure_and_carries_the_current_etag(http: AsyncClient) -> None:
    tag = (await http.get("/counters/c")).headers["ETag"]
    fresh = await http.put("/counters/c", json={"value": 1}, headers={"If-Match": tag})
    stale = await http.put("/counters/c", json={"value": 2}, headers={"If-Match": tag})
    assert stale.status_code == 412
    assert stale.headers[ETAG_HEADER] == fresh.headers[ETAG_HEADER]
    body = stale.json()
    assert body["detail"].startswith("precondition failed: Counter 'c': the client expects")
    ((failure),) = body["failures"]
    assert (failure["entity"], failure["id"], failure["status"]) == ("Counter", "c", 412)


async def test_weak_tags_never_satisfy_if_match(
    http: AsyncClient, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    tag = (await http.get("/counters/c")).headers["ETag"]
    weak = await http.put("/counters/c", json={"value": 5}, headers={"If-Match": f"W/{tag}"})
    assert weak.status_code == 412
    assert "weak ETags never match" in weak.json()["failures"][0]["reason"]
    assert await stored_value(es_client, registry) == 0


async def test_if_match_lists_and_header_lines_are_read_whole(http: AsyncClient) -> None:
    tag = (await http.get("/counters/c")).headers["ETag"]
    listed = await http.put(
        "/counters/c", json={"value": 1}, headers={"If-Match": f'"older", {tag}'}
    )
    assert listed.status_code == 200
    lines = [("If-Match", '"older"'), ("If-Match", listed.headers["ETag"])]  # two header lines
    again = await http.put("/counters/c", json={"value": 2}, headers=lines)
    assert again.status_code == 200, again.text
    star = await http.put("/counters/c", json={"value": 3}, headers={"If-Match": "*"})
    assert star.status_code == 200


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"If-Match": "no quotes"}, "not `*` or a list of entity tags"),
        ({"If-Match": ""}, "If-Match is empty"),
        ({"If-None-Match": '"a" junk'}, "If-None-Match"),
        ({"If-Match": '"not-ours"'}, "not an ETag esorm made for a Counter"),
    ],
)
async def test_unreadable_or_foreign_tags_answer_400(
    http: AsyncClient, headers: dict[str, str], message: str
) -> None:
    answer = await http.put("/counters/c", json={"value": 9}, headers=headers)
    assert answer.status_code == 400, answer.text
    assert message in answer.json()["detail"]


async def test_a_tag_of_another_entity_type_answers_400_naming_it(
    http: AsyncClient, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    gauge_tag = (await http.get("/gauges/c")).headers["ETag"]
    answer = await http.put("/counters/c", json={"value": 9}, headers={"If-Match": gauge_tag})
    assert answer.status_code == 400
    assert "another entity type, not of a Counter" in answer.json()["detail"]
    assert await stored_value(es_client, registry) == 0


async def test_a_read_answers_304_only_for_the_current_version(http: AsyncClient) -> None:
    old = (await http.get("/counters/c")).headers["ETag"]
    new = (await http.put("/counters/c", json={"value": 1}, headers={"If-Match": old})).headers
    assert (await http.get("/counters/c", headers={"If-None-Match": old})).status_code == 200
    current = await http.get("/counters/c", headers={"If-None-Match": f"{old}, {new['ETag']}"})
    assert current.status_code == 304 and current.headers["ETag"] == new["ETag"]
    garbled = await http.get("/counters/c", headers={"If-None-Match": "garbled"})
    assert garbled.status_code == 400


async def test_a_route_that_does_not_require_if_match_still_honours_it(
    http: AsyncClient,
) -> None:
    old = (await http.get("/counters/c")).headers["ETag"]
    blind = await http.patch("/counters/c", json={"value": 1})  # guarded by what it loaded
    assert blind.status_code == 200
    stale = await http.patch("/counters/c", json={"value": 2}, headers={"If-Match": old})
    assert stale.status_code == 412
