"""`esorm outbox relay` as a user runs it: the installed console script, in a subprocess,
with the application's registry and bus, against the embedded server."""

from __future__ import annotations

import asyncio
import importlib
import os
import signal
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest
from elasticsearch import AsyncElasticsearch

from esorm.indices import IndexManager
from esorm.testing import RunningServer
from esorm.uow import UnitOfWork

pytestmark = pytest.mark.integration

ESORM = Path(sys.executable).parent / "esorm"
SAFETY = 60  # seconds: only so a broken command cannot hang the suite

APP = textwrap.dedent(
    """
    import os

    from pydantic import BaseModel

    from esorm import Registry, UnitOfWork
    from esorm.domain import Aggregate
    from esorm.events import MessageBus


    class Shipped(BaseModel):
        order_id: str


    class Order(Aggregate):
        id: str

        def ship(self) -> None:
            self.record_event(Shipped(order_id=self.id))


    class Receipt(BaseModel):
        id: str
        order_id: str


    registry = Registry(prefix=os.environ["APP_PREFIX"])
    registry.register(Order, index="orders", outbox=True)
    registry.register(Receipt, index="receipts")


    def make_bus(client):
        bus = MessageBus()

        async def write_receipt(message):
            if message.event.order_id == "poison":
                raise RuntimeError("cannot ship poison")
            async with UnitOfWork(client, registry, refresh=True) as uow:
                uow.add(Receipt(id=message.id, order_id=message.event.order_id))
                await uow.commit()

        bus.subscribe(Shipped, write_receipt)
        return bus
    """
)


@pytest.fixture
def app(tmp_path: Path, index_prefix: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    module = f"relayapp_{index_prefix.rstrip('_')}"
    (tmp_path / f"{module}.py").write_text(APP)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("APP_PREFIX", index_prefix)
    return importlib.import_module(module)


def environment(server: RunningServer, prefix: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESORM_")}
    env.update(ESORM_URL=server.settings.hosts[0], APP_PREFIX=prefix)
    return env


async def ship(client: AsyncElasticsearch, app: ModuleType, *ids: str) -> None:
    """Orders shipped by a process with no bus: their events wait in the outbox."""
    await IndexManager(client, app.registry).create_all()
    async with UnitOfWork(client, app.registry, refresh=True) as uow:
        for order_id in ids:
            uow.add(app.Order(id=order_id)).ship()
        await uow.commit()


async def receipts(client: AsyncElasticsearch, prefix: str) -> list[str]:
    await client.indices.refresh(index=f"{prefix}receipts")
    found = await client.search(index=f"{prefix}receipts", size=100)
    return sorted(hit["_source"]["order_id"] for hit in found["hits"]["hits"])


async def relay(
    app: ModuleType, server: RunningServer, prefix: str, *extra: str
) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        str(ESORM),
        *("outbox", "relay", "--registry", f"{app.__name__}:registry"),
        *("--bus", f"{app.__name__}:make_bus", *extra),
        cwd=Path(app.__file__ or ".").parent,
        env=environment(server, prefix),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(SAFETY):
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_one_pass_delivers_what_waits_and_the_next_finds_nothing(
    es_client: AsyncElasticsearch, esorm_server: RunningServer, index_prefix: str, app: ModuleType
) -> None:
    await ship(es_client, app, "o1", "o2")
    code, out, err = await relay(app, esorm_server, index_prefix)
    assert code == 0, out + err
    assert "outbox relay: 2 events delivered from 2 documents, 0 handler failures\n" in out
    assert await receipts(es_client, index_prefix) == ["o1", "o2"]
    code, out, err = await relay(app, esorm_server, index_prefix)
    assert code == 0 and "outbox relay: 0 events delivered from 0 documents" in out
    assert await receipts(es_client, index_prefix) == ["o1", "o2"]


async def test_a_pass_with_a_failing_handler_exits_1_naming_it(
    es_client: AsyncElasticsearch, esorm_server: RunningServer, index_prefix: str, app: ModuleType
) -> None:
    await ship(es_client, app, "ok", "poison")
    code, out, err = await relay(app, esorm_server, index_prefix)
    assert code == 1
    assert "1 event delivered from 2 documents, 1 handler failure" in out
    assert "write_receipt failed for" in err and "cannot ship poison" in err
    assert await receipts(es_client, index_prefix) == ["ok"]


async def test_every_runs_passes_until_sigterm(
    es_client: AsyncElasticsearch, esorm_server: RunningServer, index_prefix: str, app: ModuleType
) -> None:
    await ship(es_client, app)
    process = await asyncio.create_subprocess_exec(
        str(ESORM),
        *("outbox", "relay", "--registry", f"{app.__name__}:registry", "--every", "0.2"),
        *("--bus", f"{app.__name__}:make_bus"),
        cwd=Path(app.__file__ or ".").parent,
        env=environment(esorm_server, index_prefix),
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(SAFETY):
            await ship(es_client, app, "later")  # shipped while the relay runs
            for _ in range(SAFETY * 10):  # until a pass delivered it
                if await receipts(es_client, index_prefix) == ["later"]:
                    break
                await asyncio.sleep(0.1)
            process.send_signal(signal.SIGTERM)
            _, err = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode()
    assert "stop requested" in err.decode()
