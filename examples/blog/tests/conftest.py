"""The blog's service-layer tests run on the test server and on the in-memory store alike."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from elasticsearch import AsyncElasticsearch

from esorm.indices import IndexManager
from esorm.store import DocumentStore, ElasticsearchStore
from esorm.testing import InMemoryStore, RecordingStore
from examples.blog.mapping import blog_registry
from examples.blog.service_checks import Blog
from examples.blog.uow import BlogUnitOfWork

Setup = tuple[DocumentStore, Callable[[], Awaitable[None]], str]


@pytest.fixture(params=["server", "memory"])
def store_setup(request: pytest.FixtureRequest) -> Setup:
    """A fresh store (the session's server, or an `InMemoryStore`), how to create the
    blog's indices on it, and the prefix they take."""
    if request.param == "memory":
        memory = InMemoryStore()

        async def in_memory() -> None:
            memory.create_indices(blog_registry())

        return memory, in_memory, ""
    client: AsyncElasticsearch = request.getfixturevalue("es_client")
    prefix: str = request.getfixturevalue("index_prefix")

    async def on_server() -> None:
        await IndexManager(client, blog_registry(prefix)).create_all()

    return ElasticsearchStore(client), on_server, prefix


@pytest.fixture
async def blog(store_setup: Setup) -> Blog:
    """The blog's indices on the store, and units of work as the container makes them."""
    store, create_indices, prefix = store_setup
    await create_indices()
    registry = blog_registry(prefix)
    calls = RecordingStore(store)
    # the container's refresh: a listing right after a commit shows it
    return Blog(calls, lambda: BlogUnitOfWork(calls, registry, refresh="wait_for"))
