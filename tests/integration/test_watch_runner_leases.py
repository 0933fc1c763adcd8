"""Several runners over one cluster, crashed runners, and stopping during an execution."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from elasticsearch import AsyncElasticsearch

from esorm.errors import ConfigurationError
from esorm.indices import IndexManager
from esorm.mapping import Registry
from esorm.uow import UnitOfWork
from esorm.watchers import (
    Action,
    Schedule,
    Watch,
    WatchBusyError,
    WatchRecord,
    WatchRunner,
    WatchState,
)
from esorm.watchers._lease import Lease, LeaseStore
from tests.integration._watch_clock import START, VirtualClock
from tests.integration._webhook_target import WebhookTarget

pytestmark = pytest.mark.integration


@pytest.fixture
def app_registry(index_prefix: str) -> Registry:
    return Registry(prefix=index_prefix)


@pytest.fixture
async def target() -> AsyncIterator[WebhookTarget]:
    async with WebhookTarget() as server:
        yield server


def runner_on(
    client: AsyncElasticsearch,
    registry: Registry,
    watches: list[Watch],
    node: str,
    clock: VirtualClock | None = None,
) -> tuple[WatchRunner, VirtualClock]:
    clock = clock or VirtualClock()
    runner = WatchRunner(client, registry, watches, node=node, clock=clock, sleep=clock.sleep)
    clock.settle = runner.wait_idle
    return runner, clock


async def records(runner: WatchRunner) -> list[WatchRecord]:
    found = await runner.history.records(refresh=True, size=1000)
    return sorted(found, key=lambda r: (r.execution_time, r.state))


def every_minute(name: str = "beat") -> Watch:
    return Watch(name, trigger=Schedule.every("1m"), actions={"log": Action.logging("beat")})


async def test_two_runners_execute_each_trigger_once(
    es_client: AsyncElasticsearch, app_registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    watches = [every_minute("beat"), every_minute("pulse")]
    clock = VirtualClock(runners=2)  # one time for both, as on synchronized hosts
    first, _ = runner_on(es_client, app_registry, watches, "node-a", clock)
    second, _ = runner_on(es_client, app_registry, watches, "node-b", clock)
    clock.run_for(10 * 60)

    with caplog.at_level("DEBUG", logger="esorm.watchers"):
        async with first, second:
            await clock.reached.wait()

    found = await records(first)
    skipped = [r for r in caplog.records if "not running" in r.getMessage()]
    assert len(skipped) == 20  # each runner saw every trigger; one of them ran it
    expected = [START + timedelta(minutes=m) for m in range(1, 11)]
    for name in ("beat", "pulse"):
        mine = [r for r in found if r.watch_id == first.watch_id(name)]
        assert sorted(r.scheduled_time for r in mine if r.scheduled_time) == expected
        assert all(r.state == "executed" for r in mine)
    assert {r.node for r in found} <= {"node-a", "node-b"}
    assert len(found) == 20


async def test_a_crashed_holder_blocks_the_watch_only_until_its_lease_expires(
    es_client: AsyncElasticsearch, app_registry: Registry
) -> None:
    runner, clock = runner_on(es_client, app_registry, [every_minute()], "survivor")
    watch_id = runner.watch_id("beat")
    await runner.start()  # creates the state index
    await runner.stop()
    async with UnitOfWork(es_client, _state_registry(app_registry)) as uow:
        uow.add(
            WatchState(
                id=watch_id,
                trigger=START + timedelta(minutes=1),
                taken_by="crashed",
                holder="crashed",
                run_id="dead-run",
                expires_at=START + timedelta(minutes=2, seconds=30),
            )
        )
        await uow.commit()
    clock.run_for(5 * 60)

    async with runner:
        await clock.reached.wait()

    found = await records(runner)
    assert [(r.state, r.node, r.scheduled_time) for r in found] == [
        ("abandoned", "crashed", START + timedelta(minutes=1)),
        ("executed", "survivor", START + timedelta(minutes=3)),
        ("executed", "survivor", START + timedelta(minutes=4)),
        ("executed", "survivor", START + timedelta(minutes=5)),
    ]
    state = await runner.state("beat")
    assert state is not None
    assert (state.holder, state.taken_by, state.trigger) == (
        None,
        "survivor",
        START + timedelta(minutes=5),
    )


async def test_stopping_during_an_execution_lets_it_finish_and_records_it(
    es_client: AsyncElasticsearch, app_registry: Registry
) -> None:
    async with WebhookTarget(hold=True) as target:
        watch = Watch(
            "slow-hook",
            trigger=Schedule.every("1m"),
            actions={"call": Action.webhook(f"{target.url}/hook", body="{{ctx.watch_id}}")},
        )
        runner, clock = runner_on(es_client, app_registry, [watch], "node-a")
        clock.run_for(60)
        await runner.start()
        await target.received.wait()  # the execution is in flight

        stopping = asyncio.create_task(runner.stop())
        for _ in range(20):
            await asyncio.sleep(0)
        assert not stopping.done()
        target.release()
        await stopping

    (record,) = await records(runner)
    assert record.state == "executed"
    assert [(a.id, a.status, a.status_code) for a in record.actions] == [("call", "success", 200)]
    assert target.calls[0].body == runner.watch_id("slow-hook")
    state = await runner.state("slow-hook")
    assert state is not None and state.holder is None


def _state_registry(registry: Registry) -> Registry:
    from esorm.watchers import WatchRecord as Record

    state = Registry(prefix=registry.prefix)
    state.register(WatchState, index="watcher-state")
    state.register(Record, index="watcher-history")
    return state


async def test_a_manual_run_is_recorded_and_refused_while_the_watch_runs(
    es_client: AsyncElasticsearch, app_registry: Registry
) -> None:
    async with WebhookTarget(hold=True) as target:
        watch = Watch(
            "manual-hook",
            trigger=Schedule.every("1d"),
            actions={"call": Action.webhook(f"{target.url}/hook")},
        )
        runner, _ = runner_on(es_client, app_registry, [watch], "node-a")
        first = asyncio.create_task(runner.execute("manual-hook"))
        await target.received.wait()

        with pytest.raises(WatchBusyError, match="node-a is still executing it"):
            await runner.execute("manual-hook")
        target.release()
        record = await first

    assert (record.trigger, record.scheduled_time, record.state) == ("manual", None, "executed")
    assert [r.id for r in await records(runner)] == [record.id]


async def test_a_lease_is_renewed_only_by_its_holder(
    es_client: AsyncElasticsearch, app_registry: Registry
) -> None:
    clock = VirtualClock()
    store = _state_registry(app_registry)
    await IndexManager(es_client, store).create_all()
    mine = LeaseStore(es_client, store, node="a", clock=clock, ttl=timedelta(minutes=5))
    theirs = LeaseStore(es_client, store, node="b", clock=clock, ttl=timedelta(minutes=5))
    lease = await mine.acquire("t_w", START)
    assert isinstance(lease, Lease)
    clock.now = START + timedelta(minutes=4)

    assert await mine.renew(lease)
    state = await mine.read("t_w")
    assert state is not None and state.expires_at == START + timedelta(minutes=9)
    clock.now = START + timedelta(minutes=10)
    taken = await theirs.acquire("t_w", START + timedelta(minutes=10))
    assert isinstance(taken, Lease) and taken.abandoned is not None

    assert not await mine.renew(lease)
    assert not await mine.release(lease, None)
    assert await theirs.release(taken, None)


async def test_a_naive_clock_is_refused(
    es_client: AsyncElasticsearch, app_registry: Registry
) -> None:
    runner = WatchRunner(es_client, app_registry, [every_minute()], clock=datetime.now)
    with pytest.raises(ConfigurationError, match="naive datetime"):
        await runner.start()
