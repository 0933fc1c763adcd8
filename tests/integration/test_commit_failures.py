"""Commits that meet a dying server or an overloaded one: nothing lost, nothing duplicated."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import AsyncElasticsearch

from esorm.errors import CommitError, TransportFailedError
from esorm.indices import IndexManager
from esorm.testing import EmbeddedServer, record_requests
from tests.integration._blog import BlogUnitOfWork, User, blog_registry
from tests.integration._fault_proxy import Fault, FaultProxy, every_bulk

pytestmark = pytest.mark.integration


@contextlib.contextmanager
def stop_at_bulk(
    client: AsyncElasticsearch, server: EmbeddedServer, number: int
) -> Iterator[list[str]]:
    """Stop the server as the client starts its `number`-th `_bulk` request; yields the
    targets of the `_bulk` requests started (a real stop of the real server, not a mock:
    the request then meets a dead port)."""
    original = client.transport.perform_request
    bulks: list[str] = []

    async def intercept(method: str, target: str, **kwargs: Any) -> Any:
        if target.endswith("_bulk") or "_bulk?" in target:
            bulks.append(target)
            if len(bulks) == number:
                server.stop()
        return await original(method, target, **kwargs)

    client.transport.perform_request = intercept  # type: ignore[method-assign]
    try:
        yield bulks
    finally:
        client.transport.perform_request = original  # type: ignore[method-assign]


class DyingServer:
    """An embedded server of its own, with a users index, that a test stops and restarts on
    the same port and data, and a client without retries that outlives both."""

    def __init__(self, data: Path) -> None:
        self._data = data
        self.server = EmbeddedServer(data_dir=data).start()
        self.client = AsyncElasticsearch(self.server.url, max_retries=0, request_timeout=5)
        self.registry = blog_registry()
        self.index = self.registry.mapping_for(User).index

    def restart(self) -> None:
        self.server = EmbeddedServer(port=self.server.port, data_dir=self._data).start()

    async def stored(self) -> int:
        await self.client.indices.refresh(index=self.index)
        return int((await self.client.count(index=self.index))["count"])


@pytest.fixture
async def dying(tmp_path: Path) -> AsyncIterator[DyingServer]:
    dying = DyingServer(tmp_path / "data")
    try:
        await IndexManager(dying.client, dying.registry).create(User)
        yield dying
    finally:
        await dying.client.close()
        dying.server.stop()


async def test_server_stopped_mid_commit_then_restarted(dying: DyingServer) -> None:
    """The server dies after two of five bulk requests; a later commit writes only the rest."""
    client, url, port = dying.client, dying.server.url, dying.server.port
    uow = BlogUnitOfWork(
        client, dying.registry, chunk_size=2, refresh="wait_for", bulk_concurrency=1
    )
    async with uow:
        users = [uow.users.add(User(id=f"u{i}", first_name="x")) for i in range(10)]
        with stop_at_bulk(client, dying.server, 3), pytest.raises(TransportFailedError) as caught:
            await uow.commit()
        message = str(caught.value)
        assert caught.value.confirmed == 4
        assert "4 of 10 operations were confirmed" in message
        assert url in message or f"127.0.0.1:{port}" in message
        assert [uow.version_of(u) is not None for u in users] == [True] * 4 + [False] * 6

        dying.restart()
        with record_requests(client) as log:
            result = await uow.commit()
        assert result.created == 6
        sent = [
            line["create"]["_id"]
            for r in log.to("_bulk")
            for line in r.ndjson()
            if "create" in line
        ]
        assert sent == [f"u{i}" for i in range(4, 10)]
    assert await dying.stored() == 10


async def test_server_stopped_with_two_requests_in_flight_then_restarted(
    dying: DyingServer,
) -> None:
    """With two requests in flight, the server dies as the third starts: the commit reports
    what it confirmed, the request whose answer was lost is read back by the next commit
    after the restart, and every document is stored once."""
    client = dying.client
    uow = BlogUnitOfWork(client, dying.registry, chunk_size=2, bulk_concurrency=2)
    async with uow:
        users = [uow.users.add(User(id=f"u{i}", first_name="x")) for i in range(10)]
        with (
            stop_at_bulk(client, dying.server, 3) as bulks,
            pytest.raises(TransportFailedError) as caught,
        ):
            await uow.commit()
        confirmed = caught.value.confirmed
        assert confirmed in (2, 4)
        assert sum(uow.version_of(u) is not None for u in users) == confirmed
        # no request starts once the failure is known; one may start while it is not
        # yet (the second request answered first, the third still connecting)
        assert len(bulks) in (3, 4)

        dying.restart()
        result = await uow.commit()
        assert result.created == 10 - confirmed
        assert all(uow.version_of(u) is not None for u in users)
        assert (await uow.commit()).written == 0
    assert await dying.stored() == 10


async def test_rejected_items_are_retried_with_backoff_then_reported(
    esorm_server: Any, index_prefix: str
) -> None:
    """429 items are sent again; those still rejected after the retries are reported."""
    registry = blog_registry().with_prefix(index_prefix)

    def reject(doc_id: str, attempt: int) -> bool:
        return (doc_id in ("r1", "r2") and attempt <= 2) or doc_id == "always"

    async with FaultProxy(esorm_server.url, every_bulk(Fault.reject_items(reject))) as proxy:
        client = AsyncElasticsearch(proxy.url, max_retries=0)
        try:
            await IndexManager(client, registry).create(User)
            uow = BlogUnitOfWork(client, registry, rejected_retries=2, rejected_backoff=0.01)
            async with uow:
                for doc_id in ("ok", "r1", "r2", "always"):
                    uow.users.add(User(id=doc_id, first_name="x"))
                with record_requests(client) as log, pytest.raises(CommitError) as caught:
                    await uow.commit()
                (failure,) = caught.value.failures
                assert (failure.id, failure.status) == ("always", 429)
                assert failure.error_type == "es_rejected_execution_exception"
                assert caught.value.written == 3
                assert len(log.to("_bulk")) == 3
                assert proxy.item_attempts == {"ok": 1, "r1": 3, "r2": 3, "always": 3}
                found = await uow.users.get_many(["ok", "r1", "r2", "always"])
                assert [u.id for u in found] == ["ok", "r1", "r2", "always"]  # tracked, one pending
        finally:
            await client.close()
