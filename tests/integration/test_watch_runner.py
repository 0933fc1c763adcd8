"""The local watch runner against the embedded server, on virtual time.

The runner gets a `VirtualClock` (`_watch_clock`): time moves only when the runner
sleeps, so triggers fire at exact times and no test waits on the wall clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel

from esorm.mapping import Registry
from esorm.query import fields
from esorm.testing import RunningServer
from esorm.watchers import (
    Action,
    Condition,
    NotRunnableLocallyError,
    Schedule,
    Watch,
    WatchRecord,
    WatchRunner,
    delete_matching,
    search_input,
    simple_input,
)
from tests.integration._support import registered, store
from tests.integration._watch_clock import START, VirtualClock

pytestmark = pytest.mark.integration


class Draft(BaseModel):
    id: str
    title: str
    created_at: datetime


@pytest.fixture
async def drafts(es_client: AsyncElasticsearch, index_prefix: str) -> Registry:
    return await registered(es_client, index_prefix, Draft, index="draft")


@pytest.fixture
def make_runner(
    es_client: AsyncElasticsearch,
) -> Callable[..., tuple[WatchRunner, VirtualClock]]:
    def make(
        registry: Registry,
        watches: list[Watch],
        *,
        clock: VirtualClock | None = None,
        **options: Any,
    ) -> tuple[WatchRunner, VirtualClock]:
        clock = clock or VirtualClock()
        runner = WatchRunner(
            es_client, registry, watches, clock=clock, sleep=clock.sleep, **options
        )
        clock.settle = runner.wait_idle
        return runner, clock

    return make


async def run_for(runner: WatchRunner, clock: VirtualClock, seconds: float) -> None:
    """Start the runner, let `seconds` of virtual time pass, stop it."""
    clock.run_for(seconds)
    async with runner:
        await clock.reached.wait()


async def history(runner: WatchRunner, name: str | None = None) -> list[WatchRecord]:
    watch_id = None if name is None else runner.watch_id(name)
    return sorted(
        await runner.history.records(watch_id, refresh=True, size=1000),
        key=lambda r: (r.execution_time, r.watch_id),
    )


def purge_draft(registry: Registry, server: RunningServer) -> Watch:
    """ESORM's seed example: drafts whose id starts with `_`, older than an hour, every 30s."""
    D = fields(registry.mapping_for(Draft))
    return delete_matching(
        Draft,
        D.id.prefix("_") & (D.created_at < "now-1h"),
        every="30s",
        name="purge-draft",
        settings=server.settings,
        registry=registry,
    )


async def test_purge_draft_deletes_exactly_the_old_drafts(
    es_client: AsyncElasticsearch,
    drafts: Registry,
    esorm_server: RunningServer,
    make_runner: Callable[..., tuple[WatchRunner, VirtualClock]],
    index_prefix: str,
) -> None:
    now = datetime.now(UTC)
    await store(
        es_client,
        drafts,
        Draft(id="_old", title="draft", created_at=now - timedelta(hours=2)),
        Draft(id="_new", title="draft", created_at=now - timedelta(minutes=5)),
        Draft(id="kept", title="published", created_at=now - timedelta(hours=2)),
    )
    watch = purge_draft(drafts, esorm_server)
    host = esorm_server.settings.hosts[0].split("://", 1)[1]
    hostname, port = host.rstrip("/").rsplit(":", 1)
    assert watch.to_dict() == {
        "trigger": {"schedule": {"interval": "30s"}},
        "input": {
            "search": {
                "request": {
                    "indices": [f"{index_prefix}draft"],
                    "rest_total_hits_as_int": True,
                    "body": {
                        "query": {
                            "bool": {
                                "filter": [
                                    {"prefix": {"id": "_"}},
                                    {"range": {"created_at": {"lt": "now-1h"}}},
                                ]
                            }
                        },
                        "size": 0,
                    },
                }
            }
        },
        "condition": {"compare": {"ctx.payload.hits.total": {"gt": 0}}},
        "actions": {
            "delete_matching": {
                "webhook": {
                    "scheme": "http",
                    "host": hostname,
                    "port": int(port),
                    "method": "post",
                    "path": f"/{index_prefix}draft/_delete_by_query",
                    "params": {"conflicts": "proceed"},
                    "headers": {"Content-Type": "application/json"},
                    "body": '{"query":{"bool":{"filter":[{"prefix":{"id":"_"}},'
                    '{"range":{"created_at":{"lt":"now-1h"}}}]}}}',
                    "read_timeout": "60s",
                }
            }
        },
    }
    runner, clock = make_runner(drafts, [watch])

    await run_for(runner, clock, 30)

    await es_client.indices.refresh(index=f"{index_prefix}draft")
    left = await es_client.search(index=f"{index_prefix}draft", size=10)
    assert sorted(hit["_id"] for hit in left["hits"]["hits"]) == ["_new", "kept"]
    (record,) = await history(runner)
    assert record.watch_id == f"{index_prefix}purge-draft"
    assert record.state == "executed"
    assert record.condition_met is True
    assert record.hits_total == 1
    assert record.scheduled_time == START + timedelta(seconds=30)
    (action,) = record.actions
    assert (action.id, action.type, action.status, action.deleted) == (
        "delete_matching",
        "delete_by_query",
        "success",
        1,
    )


async def test_nothing_to_purge_is_recorded_as_not_needed(
    es_client: AsyncElasticsearch,
    drafts: Registry,
    esorm_server: RunningServer,
    make_runner: Callable[..., tuple[WatchRunner, VirtualClock]],
) -> None:
    now = datetime.now(UTC)
    await store(es_client, drafts, Draft(id="_new", title="d", created_at=now))
    runner, clock = make_runner(drafts, [purge_draft(drafts, esorm_server)])

    await run_for(runner, clock, 60)

    records = await history(runner)
    assert [(r.state, r.condition_met, r.actions) for r in records] == [
        ("execution_not_needed", False, []),
        ("execution_not_needed", False, []),
    ]


async def test_a_script_condition_is_refused_at_start_naming_the_watch(
    es_client: AsyncElasticsearch, drafts: Registry
) -> None:
    scripted = Watch(
        "scripted",
        trigger=Schedule.every("1m"),
        input=simple_input({"n": 3}),
        condition=Condition.script("return ctx.payload.n > 2"),
        actions={"log": Action.logging("n is {{ctx.payload.n}}")},
    )
    fine = Watch("fine", trigger=Schedule.every("1m"), actions={"log": Action.logging("x")})

    with pytest.raises(NotRunnableLocallyError) as info:
        WatchRunner(es_client, drafts, [fine, scripted])

    message = str(info.value)
    assert message.startswith("watch 'scripted': the condition is a script")
    assert "run this watch with Watcher" in message


async def test_search_input_payload_reaches_templates_and_conditions(
    es_client: AsyncElasticsearch,
    drafts: Registry,
    make_runner: Callable[..., tuple[WatchRunner, VirtualClock]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = datetime.now(UTC)
    await store(
        es_client,
        drafts,
        *(Draft(id=f"d{i}", title="t", created_at=now) for i in range(3)),
    )
    D = fields(drafts.mapping_for(Draft))
    watch = Watch(
        "count",
        trigger=Schedule.every("1m"),
        input=search_input(Draft, D.title == "t", registry=drafts, size=0),
        condition=Condition.hits_above(2),
        actions={
            "log": Action.logging(
                "{{ctx.watch_id}} saw {{ctx.payload.hits.total}} drafts at "
                "{{ctx.trigger.scheduled_time}}",
                category="tests.watch",
            )
        },
    )
    runner, clock = make_runner(drafts, [watch])

    with caplog.at_level("INFO", logger="tests.watch"):
        await run_for(runner, clock, 60)

    expected = f"{runner.watch_id('count')} saw 3 drafts at 2026-01-05T09:01:00.000Z"
    assert [r.getMessage() for r in caplog.records if r.name == "tests.watch"] == [expected]
    (record,) = await history(runner)
    assert record.actions[0].logged_text == expected


def logging_watch(name: str, trigger: Any, **parts: Any) -> Watch:
    return Watch(
        name, trigger=trigger, actions={"log": Action.logging("{{ctx.watch_id}}")}, **parts
    )


async def scheduled_times(runner: WatchRunner, name: str) -> list[datetime]:
    return [r.scheduled_time for r in await history(runner, name) if r.scheduled_time]


async def test_interval_and_cron_schedules_fire_at_their_times(
    drafts: Registry, make_runner: Callable[..., tuple[WatchRunner, VirtualClock]]
) -> None:
    watches = [
        logging_watch("every-10m", Schedule.every("10m")),
        logging_watch("quarter-hours", Schedule.cron("0 0/15 9-17 ? * MON-FRI")),
        logging_watch("at-seconds", Schedule.cron("5,35 59 9 * * ?")),
        logging_watch("inactive", Schedule.every("1m"), active=False),
    ]
    runner, clock = make_runner(drafts, watches)

    await run_for(runner, clock, 3600)  # 09:00 to 10:00 on a Monday

    at = START.replace
    assert await scheduled_times(runner, "every-10m") == [
        at(minute=m) for m in (10, 20, 30, 40, 50)
    ] + [at(hour=10)]
    assert await scheduled_times(runner, "quarter-hours") == [
        at(minute=15),
        at(minute=30),
        at(minute=45),
        at(hour=10),
    ]
    assert await scheduled_times(runner, "at-seconds") == [
        at(minute=59, second=5),
        at(minute=59, second=35),
    ]
    assert await scheduled_times(runner, "inactive") == []
    assert all(r.triggered_time == r.scheduled_time for r in await history(runner))


async def test_calendar_schedules_and_weekday_crons_over_a_week(
    drafts: Registry, make_runner: Callable[..., tuple[WatchRunner, VirtualClock]]
) -> None:
    watches = [
        logging_watch("friday-evening", Schedule.weekly("friday", "17:30")),
        logging_watch("second-friday", Schedule.cron("0 0 8 ? * 6#2")),  # Quartz 6 = FRI
        logging_watch("first-friday", Schedule.cron("0 0 8 ? * FRI#1")),
        logging_watch("daily", Schedule.daily("06:00", "noon")),
        logging_watch("monthly", Schedule.monthly([6, 9], "01:00")),
    ]
    runner, clock = make_runner(drafts, watches, max_sleep=10**9)

    await run_for(runner, clock, 7 * 86400)  # Monday 2026-01-05 09:00 for a week

    day = timedelta(days=1)
    assert await scheduled_times(runner, "friday-evening") == [
        START.replace(hour=17, minute=30) + 4 * day
    ]
    assert await scheduled_times(runner, "second-friday") == [START.replace(hour=8) + 4 * day]
    assert await scheduled_times(runner, "first-friday") == []  # that was January 2nd
    assert await scheduled_times(runner, "daily") == [
        START.replace(hour=12),
        *(START.replace(hour=h) + n * day for n in range(1, 7) for h in (6, 12)),
        START.replace(hour=6) + 7 * day,
    ]
    assert await scheduled_times(runner, "monthly") == [
        START.replace(hour=1) + day,
        START.replace(hour=1) + 4 * day,
    ]


def action_statuses(records: list[WatchRecord]) -> list[tuple[str, str]]:
    return [(r.state, r.actions[0].status if r.actions else "-") for r in records]


async def test_throttle_periods_as_watcher_defines_them(
    drafts: Registry, make_runner: Callable[..., tuple[WatchRunner, VirtualClock]]
) -> None:
    watch = Watch(
        "throttled",
        trigger=Schedule.every("1m"),
        actions={
            "log": Action.with_options(Action.logging("again"), throttle_period="3m"),
        },
    )
    runner, clock = make_runner(drafts, [watch])

    await run_for(runner, clock, 6 * 60)

    records = await history(runner)
    # executed at 1m; 2m, 3m, 4m are within 3m of it (Watcher throttles at <= the period)
    assert action_statuses(records) == [
        ("executed", "success"),
        ("throttled", "throttled"),
        ("throttled", "throttled"),
        ("throttled", "throttled"),
        ("executed", "success"),
        ("throttled", "throttled"),
    ]
    assert records[1].actions[0].reason == (
        "throttling interval is set to [180s] but time elapsed since last execution is [60s]"
    )


async def test_the_watch_throttle_period_applies_to_every_action(
    drafts: Registry, make_runner: Callable[..., tuple[WatchRunner, VirtualClock]]
) -> None:
    watch = Watch(
        "watch-level",
        trigger=Schedule.every("1m"),
        throttle_period="90s",
        actions={
            "a": Action.logging("a"),
            "b": Action.with_options(Action.logging("b"), throttle_period="1s"),
        },
    )
    runner, clock = make_runner(drafts, [watch])

    await run_for(runner, clock, 3 * 60)

    statuses = [[a.status for a in r.actions] for r in await history(runner)]
    assert statuses == [["success", "success"], ["throttled", "success"], ["success", "success"]]


async def test_acknowledged_actions_are_throttled_until_the_condition_fails(
    es_client: AsyncElasticsearch,
    drafts: Registry,
    make_runner: Callable[..., tuple[WatchRunner, VirtualClock]],
    index_prefix: str,
) -> None:
    D = fields(drafts.mapping_for(Draft))
    watch = Watch(
        "stale-drafts",
        trigger=Schedule.every("1m"),
        input=search_input(Draft, D.title == "stale", registry=drafts, size=0),
        condition=Condition.hits_above(0),
        actions={"page": Action.logging("{{ctx.payload.hits.total}} stale drafts")},
    )
    runner, clock = make_runner(drafts, [watch])
    stale = Draft(id="s", title="stale", created_at=datetime.now(UTC))
    await store(es_client, drafts, stale)

    assert await runner.ack("stale-drafts") == []  # nothing ran yet: nothing to ack
    await run_for(runner, clock, 60)
    state = await runner.state("stale-drafts")
    assert state is not None and state.action("page").ack_state == "ackable"

    assert await runner.ack("stale-drafts", ["page"]) == ["page"]
    await run_for(runner, clock, 120)
    await es_client.delete(index=f"{index_prefix}draft", id="s", refresh=True)
    await run_for(runner, clock, 60)
    state = await runner.state("stale-drafts")
    assert state is not None and state.action("page").ack_state == "awaits_successful_execution"
    await store(es_client, drafts, stale)
    await run_for(runner, clock, 60)

    records = await history(runner)
    assert action_statuses(records) == [
        ("executed", "success"),
        ("throttled", "throttled"),
        ("throttled", "throttled"),
        ("execution_not_needed", "-"),
        ("executed", "success"),
    ]
    assert records[1].actions[0].reason is not None
    assert records[1].actions[0].reason.startswith("action [page] was acked at [")
    with pytest.raises(Exception, match="has no action 'pager'"):
        await runner.ack("stale-drafts", ["pager"])
