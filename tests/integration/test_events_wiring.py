"""A bus through the wiring: the DI container's units of work and FastAPI's per-request unit.

No `from __future__ import annotations` here: FastAPI resolves an endpoint's annotations
against module globals, and the endpoints below use a dependency local to `create_app`.
"""

from typing import Annotated

import pytest
from dependency_injector import providers
from elasticsearch import AsyncElasticsearch
from fastapi import Depends, FastAPI
from httpx import ASGITransport, AsyncClient

from esorm.di import EsormContainer
from esorm.events import MessageBus
from esorm.fastapi import unit_of_work_dependency
from esorm.mapping import Registry
from tests.integration._events import (
    Article,
    EventsUnitOfWork,
    Published,
    Recorder,
    bus_with,
    events_indices,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def registry(es_client: AsyncElasticsearch, index_prefix: str) -> Registry:
    return await events_indices(es_client, index_prefix)


class EventsContainer(EsormContainer):
    bus = providers.Singleton(MessageBus)
    unit_of_work = providers.Factory(
        EventsUnitOfWork,
        client=EsormContainer.client,
        registry=EsormContainer.registry,
        bus=bus,
    )


async def test_the_container_gives_every_unit_of_work_its_bus(
    es_client: AsyncElasticsearch, registry: Registry
) -> None:
    container = EventsContainer(registry=registry)
    container.client.override(providers.Object(es_client))
    recorder = Recorder()
    container.bus().subscribe(Published, recorder)
    first, second = container.unit_of_work(), container.unit_of_work()
    assert first.bus is second.bus is container.bus()
    async with first:
        first.articles.add(Article(id="a1", title="DI")).publish()
        await first.commit()
    assert [m.event.title for m in recorder.messages] == ["DI"]

    plain = EsormContainer(registry=registry)  # the base container: no bus unless given
    plain.client.override(providers.Object(es_client))
    assert plain.unit_of_work().bus is None
    bus = MessageBus()
    plain.bus.override(providers.Object(bus))
    assert plain.unit_of_work().bus is bus


def create_app(registry: Registry, client: AsyncElasticsearch, bus: MessageBus) -> FastAPI:
    app = FastAPI()
    get_uow = unit_of_work_dependency(
        lambda: EventsUnitOfWork(client, registry, refresh=True), bus=bus
    )
    Uow = Annotated[EventsUnitOfWork, Depends(get_uow)]

    @app.post("/articles/{article_id}")
    async def publish(article_id: str, uow: Uow) -> dict[str, int]:
        uow.articles.add(Article(id=article_id, title=article_id.upper())).publish()
        result = await uow.commit()
        return {"created": result.created, "delivered": len(result.dispatched.delivered)}

    @app.post("/drafts/{article_id}")
    async def draft(article_id: str, uow: Uow) -> None:
        uow.articles.add(Article(id=article_id, title="draft")).publish()  # never committed

    return app


async def test_each_request_unit_of_work_hands_its_events_to_the_bus(
    es_client: AsyncElasticsearch, registry: Registry
) -> None:
    recorder = Recorder()
    app = create_app(registry, es_client, bus_with((Published, recorder)))
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as http:
        response = await http.post("/articles/a1")
        assert response.json() == {"created": 1, "delivered": 1}
        assert (await http.post("/drafts/d1")).status_code == 200
    assert [m.aggregate_id for m in recorder.messages] == ["a1"]  # the draft was discarded
