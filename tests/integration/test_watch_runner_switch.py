"""One switch: Watcher where the cluster has it, the local runner where it does not.

The embedded server has no Watcher (and no `_xpack`), so `auto` must pick the local
runner there; the Watcher stand-in (`_watcher_standin`) answers `_xpack`, `_watcher/stats`
and the Watcher API like a licensed cluster, or like one under the basic license.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from elasticsearch import AsyncElasticsearch
from fastapi import FastAPI

from esorm.mapping import Registry
from esorm.testing import RunningServer
from esorm.watchers import (
    Action,
    Condition,
    NotRunnableLocallyError,
    Schedule,
    Watch,
    WatchBackend,
    WatcherManager,
    WatcherUnavailableError,
    WatchService,
    running_watches,
    simple_input,
    watchers_lifespan,
)
from tests.integration._watch_clock import START, VirtualClock
from tests.integration._watcher_standin import WatcherStandIn
from tests.integration.test_watchers import ensure_watcher, is_emulator

pytestmark = pytest.mark.integration


def beat(name: str = "beat") -> Watch:
    return Watch(name, trigger=Schedule.every("1m"), actions={"log": Action.logging("beat")})


@pytest.fixture
def app_registry(index_prefix: str) -> Registry:
    return Registry(prefix=index_prefix)


@pytest.fixture
async def standin() -> AsyncIterator[WatcherStandIn]:
    async with WatcherStandIn() as server:
        yield server


@pytest.fixture
async def standin_client(standin: WatcherStandIn) -> AsyncIterator[AsyncElasticsearch]:
    client = AsyncElasticsearch(standin.url, max_retries=0)
    yield client
    await client.close()


def virtual(**options: Any) -> tuple[VirtualClock, dict[str, Any]]:
    clock = VirtualClock()
    return clock, {"clock": clock, "sleep": clock.sleep, **options}


async def test_auto_runs_locally_on_a_server_without_watcher(
    es_client: AsyncElasticsearch, app_registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    """Real behaviour of the embedded server (no `_xpack`); Elasticsearch's answers are
    covered by the stand-in tests below and `test_auto_uses_elasticsearchs_watcher`."""
    if not await is_emulator(es_client):
        pytest.skip("the server answers _xpack")
    manager = WatcherManager(es_client, app_registry)
    assert manager.backend is None

    with caplog.at_level("INFO", logger="esorm.watchers"):
        chosen = await manager.choose_backend()

    assert chosen is WatchBackend.LOCAL
    assert manager.backend is WatchBackend.LOCAL
    assert manager.choice is not None
    assert "no X-Pack info API" in manager.choice.reason
    assert any(
        r.getMessage().startswith("watches run locally by esorm (mode='auto': ")
        for r in caplog.records
    )


async def test_mode_watcher_on_a_server_without_watcher_fails_clearly(
    es_client: AsyncElasticsearch, app_registry: Registry
) -> None:
    if not await is_emulator(es_client):
        pytest.skip("the server may have Watcher")
    manager = WatcherManager(es_client, app_registry, mode="watcher")
    with pytest.raises(WatcherUnavailableError, match="mode='watcher' but the cluster at"):
        await WatchService(manager, [beat()]).start()


async def test_auto_puts_the_watches_into_a_licensed_watcher(
    standin: WatcherStandIn, standin_client: AsyncElasticsearch
) -> None:
    manager = WatcherManager(standin_client, Registry(prefix="t1_"))
    service = WatchService(manager, [beat(), beat("pulse")])

    assert await service.start() is WatchBackend.WATCHER

    assert service.backend is WatchBackend.WATCHER
    assert service.runner is None
    assert sorted(standin.watches) == ["t1_beat", "t1_pulse"]
    assert [r.id for r in service.reports] == ["t1_beat", "t1_pulse"]
    assert [(r.method, r.path) for r in standin.requests[:2]] == [
        ("GET", "/_xpack"),
        ("GET", "/_watcher/stats"),
    ]
    await service.stop()
    assert sorted(standin.watches) == ["t1_beat", "t1_pulse"]  # Watcher keeps running them


async def test_auto_under_the_basic_license_runs_locally(
    standin: WatcherStandIn, standin_client: AsyncElasticsearch
) -> None:
    standin.license = "basic"
    manager = WatcherManager(standin_client, Registry(prefix="t1_"))

    assert await manager.choose_backend() is WatchBackend.LOCAL
    assert manager.choice is not None
    assert manager.choice.reason == (
        "mode='auto': Watcher is not available under the 'basic' license"
    )
    assert [r.path for r in standin.requests] == ["/_xpack"]


async def test_mode_local_asks_the_cluster_nothing(
    standin: WatcherStandIn, standin_client: AsyncElasticsearch
) -> None:
    manager = WatcherManager(standin_client, Registry(prefix="t1_"), mode="local")
    assert await manager.choose_backend() is WatchBackend.LOCAL
    assert standin.requests == []
    with pytest.raises(ValueError, match="unknown watcher mode 'cloud'"):
        WatcherManager(standin_client, Registry(), mode="cloud")  # type: ignore[arg-type]


async def test_a_watch_needing_watcher_is_refused_when_the_service_starts_locally(
    es_client: AsyncElasticsearch, app_registry: Registry
) -> None:
    scripted = Watch(
        "scripted-check",
        trigger=Schedule.every("1m"),
        input=simple_input({"n": 3}),
        condition=Condition.script("return ctx.payload.n > 2"),
        actions={"log": Action.logging("x")},
    )
    manager = WatcherManager(es_client, app_registry, mode="local")
    service = WatchService(manager, [beat(), scripted])

    with pytest.raises(NotRunnableLocallyError, match=re.escape("watch 'scripted-check'")):
        await service.start()
    assert service.backend is WatchBackend.LOCAL and service.runner is None


async def test_running_watches_starts_and_stops_the_local_runner(
    es_client: AsyncElasticsearch, app_registry: Registry
) -> None:
    clock, options = virtual()
    clock.run_for(180)
    manager = WatcherManager(es_client, app_registry, mode="local")

    async with running_watches(manager, [beat()], **options) as service:
        assert service.runner is not None
        clock.settle = service.runner.wait_idle
        await clock.reached.wait()
        assert service.runner.running

    assert not service.runner.running
    found = await service.runner.history.records(refresh=True)
    assert len(found) == 3


async def test_a_fastapi_lifespan_runs_the_watches_while_the_app_runs(
    es_client: AsyncElasticsearch, app_registry: Registry
) -> None:
    clock, options = virtual(node="api-1")
    clock.run_for(120)
    app = FastAPI(
        lifespan=watchers_lifespan(
            [beat()],
            manager=lambda: WatcherManager(es_client, app_registry, mode="local"),
            **options,
        )
    )

    async with app.router.lifespan_context(app) as state:
        assert state is not None
        service = state["watchers"]
        assert isinstance(service, WatchService)
        assert service.backend is WatchBackend.LOCAL
        runner = service.runner
        assert runner is not None
        clock.settle = runner.wait_idle
        await clock.reached.wait()

    assert not runner.running
    found = await runner.history.records(refresh=True)
    assert [(r.node, r.scheduled_time) for r in sorted(found, key=lambda r: r.execution_time)] == [
        ("api-1", START.replace(minute=1)),
        ("api-1", START.replace(minute=2)),
    ]


@pytest.mark.embedded_gap("noida-db has no watcher API")
async def test_auto_uses_elasticsearchs_watcher_when_the_license_has_it(
    es_client: AsyncElasticsearch, app_registry: Registry, esorm_server: RunningServer
) -> None:
    if not await is_emulator(es_client):
        await ensure_watcher(es_client, esorm_server)
    manager = WatcherManager(es_client, app_registry)
    service = WatchService(manager, [beat("switch-beat")])
    try:
        assert await service.start() is WatchBackend.WATCHER
        stored = await manager.get("switch-beat")
        assert stored is not None and stored.active
    finally:
        if manager.backend is WatchBackend.WATCHER:
            await manager.delete("switch-beat")


async def test_the_service_acks_wherever_the_watches_run(
    es_client: AsyncElasticsearch,
    app_registry: Registry,
    standin: WatcherStandIn,
    standin_client: AsyncElasticsearch,
) -> None:
    clock, options = virtual()
    clock.run_for(60)
    local = WatchService(WatcherManager(es_client, app_registry, mode="local"), [beat()], **options)
    async with local:
        assert local.runner is not None
        clock.settle = local.runner.wait_idle
        await clock.reached.wait()
        assert await local.ack("beat") == ["log"]

    remote = WatchService(WatcherManager(standin_client, Registry(prefix="t1_")), [beat()])
    async with remote:
        await remote.manager.execute("beat", simulate=False, record=True)
        assert await remote.ack("beat") == ["log"]
    assert standin.watches["t1_beat"].acks == {"log": "acked"}
