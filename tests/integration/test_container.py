"""The DI container gives a ready unit of work whose repositories talk to the real server."""

from __future__ import annotations

import pytest
from dependency_injector import providers
from elasticsearch import AsyncElasticsearch

from esorm.di import EsormContainer
from esorm.indices import IndexManager
from esorm.testing import RunningServer
from tests.integration._blog import BlogUnitOfWork, User, blog_registry

pytestmark = pytest.mark.integration


class BlogContainer(EsormContainer):
    unit_of_work = providers.Factory(
        BlogUnitOfWork, client=EsormContainer.client, registry=EsormContainer.registry
    )


async def test_container_provides_a_fresh_unit_of_work_per_call(
    esorm_server: RunningServer, index_prefix: str, es_client: AsyncElasticsearch
) -> None:
    container = BlogContainer(registry=blog_registry().with_prefix(index_prefix))
    container.settings.override(providers.Object(esorm_server.settings))
    container.wait_for_server.override(providers.Object(5.0))
    await container.init_resources()
    try:
        assert container.lifecycle.initialized
        client = container.client()
        await IndexManager(client, container.registry()).create_all()
        first, second = container.unit_of_work(), container.unit_of_work()
        assert isinstance(first, BlogUnitOfWork) and first is not second
        assert isinstance(second, BlogUnitOfWork)
        async with first:
            first.users.add(User(id="di", first_name="Injected"))
            await first.commit()
        async with second:
            assert (await second.users.get("di")).first_name == "Injected"
    finally:
        await container.shutdown_resources()
    assert not container.lifecycle.initialized  # the client was closed at shutdown
