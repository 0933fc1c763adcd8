"""A dependency-injector container: client Singleton with an async lifecycle, UoW Factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import TYPE_CHECKING, Any, overload

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

    `bus` is the `MessageBus` units of work hand their confirmed events to (None: no
    dispatch); replace it with a Singleton of your bus, and pass `bus=EsormContainer.bus`
    in your own `unit_of_work` factory.

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
    if TYPE_CHECKING:
        # dependency-injector types these "an awaitable or None"; called without a
        # resource type they include the async `lifecycle`, so they return an awaitable.
        @overload
        def init_resources(self) -> Awaitable[None]: ...
        @overload
        def init_resources(
            self, resource_type: type[providers.BaseResource[Any]] = ...
        ) -> Awaitable[None] | None: ...
        def init_resources(
            self, resource_type: type[providers.BaseResource[Any]] = providers.BaseResource
        ) -> Awaitable[None] | None: ...
        @overload
        def shutdown_resources(self) -> Awaitable[None]: ...
        @overload
        def shutdown_resources(
            self, resource_type: type[providers.BaseResource[Any]] = ...
        ) -> Awaitable[None] | None: ...
        def shutdown_resources(
            self, resource_type: type[providers.BaseResource[Any]] = providers.BaseResource
        ) -> Awaitable[None] | None: ...

    else:
        # Hidden from type checkers: a subclass's `unit_of_work = providers.Factory(MyUow, ...)`
        # then types `container.unit_of_work()` as `MyUow`, not as the base's `UnitOfWork`,
        # and its `bus = providers.Singleton(make_bus)` as a `MessageBus`, not an optional one.
        bus = providers.Object(None)
        unit_of_work = providers.Factory(UnitOfWork, client=client, registry=registry, bus=bus)
