"""The user's fixtures: esorm's plugin gives es_client and index_prefix, these build on them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from elasticsearch import AsyncElasticsearch
from shop import ShopUnitOfWork, shop_registry

from esorm import Registry

# --- against the real server (esorm's pytest plugin) -------------------------------------


@pytest.fixture
def registry(index_prefix: str) -> Registry:
    """The shop's registry under this test's prefix (its indices are removed afterwards)."""
    return shop_registry().with_prefix(index_prefix)


@pytest.fixture
def unit_of_work(es_client: AsyncElasticsearch, registry: Registry) -> Callable[[], ShopUnitOfWork]:
    """A fresh unit of work per call, as the application's container would give one."""
    return lambda: ShopUnitOfWork(es_client, registry, refresh=True)


# --- in memory ----------------------------------------------------------------------------
# In-memory fixtures (esorm.testing's in-memory store and unit of work) go here, with the
# same names and types as the real-server ones above, so the tests run against both.
