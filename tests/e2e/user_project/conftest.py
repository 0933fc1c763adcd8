"""The user's fixtures: esorm's plugin gives es_client, index_prefix and memory_store."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from elasticsearch import AsyncElasticsearch
from shop import ShopUnitOfWork, shop_registry
from shop_testing import Shop

from esorm import IndexManager, Registry
from esorm.testing import InMemoryStore

UnitOfWorkFactory = Callable[[], ShopUnitOfWork]

# --- against the real server (esorm's pytest plugin) -------------------------------------


@pytest.fixture
def registry(index_prefix: str) -> Registry:
    """The shop's registry under this test's prefix (its indices are removed afterwards)."""
    return shop_registry().with_prefix(index_prefix)


@pytest.fixture
def unit_of_work(es_client: AsyncElasticsearch, registry: Registry) -> UnitOfWorkFactory:
    """A fresh unit of work per call, as the application's container would give one."""
    return lambda: ShopUnitOfWork(es_client, registry, refresh=True)


# --- in memory ----------------------------------------------------------------------------


@pytest.fixture
def memory_shop(memory_store: InMemoryStore) -> Shop:
    """The shop on esorm's in-memory store: the same classes, no server."""
    registry = shop_registry()

    async def create_indices() -> None:
        memory_store.create_indices(registry)

    return Shop(lambda: ShopUnitOfWork(memory_store, registry), create_indices)


# --- both: one service-layer test, two stores --------------------------------------------


@pytest.fixture(params=["server", "memory"])
def shop(request: pytest.FixtureRequest) -> Shop:
    """The test runs once against the server and once in memory."""
    if request.param == "memory":
        in_memory: Shop = request.getfixturevalue("memory_shop")
        return in_memory
    client: AsyncElasticsearch = request.getfixturevalue("es_client")
    registry: Registry = request.getfixturevalue("registry")
    factory: UnitOfWorkFactory = request.getfixturevalue("unit_of_work")

    async def create_indices() -> None:
        await IndexManager(client, registry).create_all()

    return Shop(factory, create_indices)
