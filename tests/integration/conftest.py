"""Fixtures for integration tests: a registry under the test's own prefix, its indices created.

Also a fault-injecting proxy in front of the server (`fault_proxy`), clients that talk
through it built the way esorm builds them (`make_proxy_client`, `proxy_client`), and units
of work on such a client (`make_proxy_uow`). Read what the server really stored with
`es_client`, which talks to the server directly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from elasticsearch import AsyncElasticsearch

from esorm.client import ConnectionSettings, create_client
from esorm.indices import IndexManager
from esorm.mapping import Registry
from esorm.testing import RunningServer
from tests.integration._blog import BlogUnitOfWork, blog_registry
from tests.integration._fault_proxy import PROXY_PASSWORD, PROXY_USER, FaultProxy, auth_headers


@pytest.fixture
async def registry(es_client: AsyncElasticsearch, index_prefix: str) -> Registry:
    """The blog registry under this test's prefix, with every index created."""
    registry = blog_registry().with_prefix(index_prefix)
    await IndexManager(es_client, registry).create_all()
    return registry


@pytest.fixture
def make_uow(es_client: AsyncElasticsearch, registry: Registry) -> Callable[..., BlogUnitOfWork]:
    """A factory of unit-of-work instances, as a DI container would provide them."""

    def make(**options: object) -> BlogUnitOfWork:
        return BlogUnitOfWork(es_client, registry, **options)  # type: ignore[arg-type]

    return make


@pytest.fixture
async def fault_proxy(esorm_server: RunningServer) -> AsyncIterator[FaultProxy]:
    """A `FaultProxy` in front of the session's server; program it with `proxy.decide = ...`."""
    settings = esorm_server.settings
    async with FaultProxy(
        settings.hosts[0],
        upstream_headers=auth_headers(settings),
        verify_upstream_certs=settings.verify_certs,
    ) as proxy:
        yield proxy


@pytest.fixture
async def make_proxy_client(
    fault_proxy: FaultProxy,
) -> AsyncIterator[Callable[..., AsyncElasticsearch]]:
    """Clients through the proxy, made by `create_client(ConnectionSettings(...))`.

    Their URL carries `PROXY_USER:PROXY_PASSWORD@`; keyword arguments are further
    `ConnectionSettings` fields (`max_retries=0`, `request_timeout=0.5`). Closed after the test.
    """
    clients: list[AsyncElasticsearch] = []

    def make(**settings: Any) -> AsyncElasticsearch:
        url = fault_proxy.url_with_credentials(PROXY_USER, PROXY_PASSWORD)
        client = create_client(ConnectionSettings(hosts=[url], **settings))
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
def proxy_client(make_proxy_client: Callable[..., AsyncElasticsearch]) -> AsyncElasticsearch:
    """A client through the proxy with esorm's default connection settings."""
    return make_proxy_client()


@pytest.fixture
def make_proxy_uow(
    proxy_client: AsyncElasticsearch, registry: Registry
) -> Callable[..., BlogUnitOfWork]:
    """Units of work (of the blog registry) that talk through the proxy."""

    def make(**options: object) -> BlogUnitOfWork:
        return BlogUnitOfWork(proxy_client, registry, **options)  # type: ignore[arg-type]

    return make
