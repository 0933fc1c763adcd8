"""A dependency-injector container: client Singleton with an async lifecycle, UoW Factory."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dependency_injector import containers, providers
from elasticsearch import AsyncElasticsearch

from esorm.client import ConnectionSettings, create_client, wait_until_ready
from esorm.mapping import Registry
from esorm.uow import UnitOfWork


async def client_lifecycle(
    client: AsyncElasticsearch, wait: float | None = None
) -> AsyncIterator[AsyncElasticsearch]:
    """At start-up optionally wait until the server answers; at shutdown close the client."""
    try:
        if wait:
            await wait_until_ready(client, timeout=wait)
        yield client
    finally:
        await client.close()


class EsormContainer(containers.DeclarativeContainer):
    """Wires settings -> client -> unit of work; provide `registry`, override `unit_of_work`.

    The client is a plain Singleton (creating one does no I/O), so `unit_of_work()` stays
    synchronous; `lifecycle` is the async Resource that waits for the server at
    `await container.init_resources()` and closes the client at
    `await container.shutdown_resources()`. Subclass and replace `unit_of_work` with a
    factory of your own `UnitOfWork` subclass to get its declared repositories.
    """

    settings = providers.Singleton(ConnectionSettings.from_env)
    wait_for_server: providers.Object[float | None] = providers.Object(None)
    client = providers.Singleton(create_client, settings)
    lifecycle = providers.Resource(client_lifecycle, client=client, wait=wait_for_server)
    registry = providers.Dependency(instance_of=Registry)
    unit_of_work = providers.Factory(UnitOfWork, client=client, registry=registry)
