"""Fixtures for integration tests: a registry under the test's own prefix, its indices created."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from elasticsearch import AsyncElasticsearch

from esorm.indices import IndexManager
from esorm.mapping import Registry
from tests.integration._blog import BlogUnitOfWork, blog_registry


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
