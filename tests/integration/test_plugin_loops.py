"""The plugin's client follows the test's event loop: one client per loop, checked once."""

# ruff: noqa: PT019 - the plugin's private per-loop fixtures are what these tests look at

from __future__ import annotations

import asyncio
import time

import pytest
from elasticsearch import AsyncElasticsearch

from esorm.client import ConnectionSettings
from esorm.errors import ConfigurationError, ConnectionFailedError
from esorm.testing import EmbeddedServer, RunningServer, find_free_port
from esorm.testing._clients import LoopClients

pytestmark = pytest.mark.integration


@pytest.mark.asyncio(loop_scope="session")
async def test_a_session_loop_test_gets_the_session_client(
    es_client: AsyncElasticsearch,
    _esorm_client_session: AsyncElasticsearch,
    _esorm_clients: LoopClients,
) -> None:
    # every test on the session loop shares this one client
    assert es_client is _esorm_client_session
    assert _esorm_clients.on_running_loop() is es_client


@pytest.mark.asyncio(loop_scope="function")
async def test_a_function_loop_test_gets_a_client_of_its_own(
    es_client: AsyncElasticsearch,
    index_prefix: str,
    _esorm_client_session: AsyncElasticsearch,
    _esorm_clients: LoopClients,
) -> None:
    assert es_client is not _esorm_client_session
    assert _esorm_clients.on_running_loop() is es_client
    await asyncio.gather(*(es_client.indices.create(index=f"{index_prefix}f{i}") for i in range(2)))
    assert await es_client.indices.exists(index=f"{index_prefix}f1")


@pytest.mark.asyncio(loop_scope="module")
async def test_a_module_loop_test_gets_the_module_client(
    es_client: AsyncElasticsearch, index_prefix: str, _esorm_client_module: AsyncElasticsearch
) -> None:
    assert es_client is _esorm_client_module
    await es_client.indices.create(index=f"{index_prefix}m")
    assert await es_client.indices.exists(index=f"{index_prefix}m")


@pytest.mark.asyncio(loop_scope="class")
class TestOnAClassLoop:
    async def test_the_class_client(
        self, es_client: AsyncElasticsearch, _esorm_client_class: AsyncElasticsearch
    ) -> None:
        assert es_client is _esorm_client_class
        assert await es_client.ping()


async def test_later_clients_do_no_io_when_opened() -> None:
    with EmbeddedServer() as server:
        clients = LoopClients(ConnectionSettings(hosts=[server.url]), wait=5.0)
        async with clients.open() as first:  # waits for the server and checks its version
            assert await first.ping()
    assert clients.server_is_emulator

    async def on_another_loop() -> bool:
        started = time.monotonic()
        async with clients.open() as second:  # the server is gone: checking again would fail
            assert clients.on_running_loop() is second
            return time.monotonic() - started < 1.0

    assert await asyncio.to_thread(asyncio.run, on_another_loop())
    assert clients.opened == 2
    with pytest.raises(ConfigurationError, match="no esorm test client is open"):
        clients.on_running_loop()


async def test_a_failed_check_is_raised_again_without_waiting() -> None:
    settings = ConnectionSettings(hosts=[f"http://127.0.0.1:{find_free_port()}"], max_retries=0)
    clients = LoopClients(settings, wait=0.5)
    with pytest.raises(ConnectionFailedError) as first:
        async with clients.open():
            pytest.fail("opened a client to a closed port")
    started = time.monotonic()
    with pytest.raises(ConnectionFailedError) as again:
        async with clients.open():
            pytest.fail("opened a client to a closed port")
    assert time.monotonic() - started < 0.3
    assert again.value is first.value
    assert clients.opened == 0


async def test_one_client_per_loop(esorm_server: RunningServer) -> None:
    clients = LoopClients(esorm_server.settings, wait=5.0)
    with pytest.raises(ConfigurationError, match="no client to the test server was opened yet"):
        _ = clients.server_is_emulator
    async with clients.open():
        with pytest.raises(ConfigurationError, match="already open on this event loop"):
            async with clients.open():
                pytest.fail("a second client on one loop")
