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
        registry: Registry, watches: list[Watch], *, clock: VirtualClock | None = None, **options: Any
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
