"""The per-loop async fixtures behind ``es_client`` and ``index_prefix``; needs pytest-asyncio."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from elasticsearch import AsyncElasticsearch

from esorm.testing._cleanup import delete_prefixed
from esorm.testing._clients import LoopClients
from esorm.testing._loops import LoopScope


def client_name(scope: LoopScope) -> str:
    """The fixture holding the client of the ``scope`` loop."""
    return f"_esorm_client_{scope}"


def prefix_name(scope: LoopScope) -> str:
    """The fixture giving a test on the ``scope`` loop its index prefix."""
    return f"_esorm_prefix_{scope}"


def client_fixture(scope: LoopScope) -> Any:
    """A client living exactly as long as the ``scope`` loop: opened on it, closed before it."""

    async def client(_esorm_clients: LoopClients) -> AsyncIterator[AsyncElasticsearch]:
        async with _esorm_clients.open() as opened:
            yield opened

    return pytest_asyncio.fixture(scope=scope, loop_scope=scope, name=client_name(scope))(client)


def prefix_fixture(scope: LoopScope) -> Any:
    """A unique prefix for one test; what it created is deleted afterwards, on the same loop."""

    async def prefix(_esorm_clients: LoopClients) -> AsyncIterator[str]:
        client = _esorm_clients.on_running_loop()
        value = f"t{uuid.uuid4().hex[:8]}_"
        yield value
        await delete_prefixed(client, value)

    return pytest_asyncio.fixture(scope="function", loop_scope=scope, name=prefix_name(scope))(
        prefix
    )
