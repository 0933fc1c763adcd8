"""Actions the local runner performs, against real servers: a webhook target over HTTP,
the embedded server for index and delete-matching, and the history's retention."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel

from esorm.mapping import Registry
from esorm.query import fields
from esorm.testing import RunningServer, record_requests
from esorm.watchers import (
    Action,
    Condition,
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
from tests.integration._webhook_target import WebhookTarget

pytestmark = pytest.mark.integration


class Note(BaseModel):
    id: str
    region: str
    text: str = ""


@pytest.fixture
async def notes(es_client: AsyncElasticsearch, index_prefix: str) -> Registry:
    return await registered(
        es_client, index_prefix, Note, index="notes", routing=lambda note: note.region
    )


@pytest.fixture
async def target() -> AsyncIterator[WebhookTarget]:
    async with WebhookTarget() as server:
        yield server


async def run_once(
    client: AsyncElasticsearch, registry: Registry, watch: Watch, **options: Any
) -> tuple[WatchRunner, WatchRecord]:
    clock = VirtualClock()
    runner = WatchRunner(client, registry, [watch], clock=clock, sleep=clock.sleep, **options)
    clock.settle = runner.wait_idle
    clock.run_for(60)
    async with runner:
        await clock.reached.wait()
    (record,) = await runner.history.records(refresh=True)
    return runner, record


async def test_webhook_renders_its_templates_and_sends_auth(
    es_client: AsyncElasticsearch, notes: Registry, target: WebhookTarget
) -> None:
    watch = Watch(
        "hook",
        trigger=Schedule.every("1m"),
        input=simple_input({"count": 2, "who": 'Jane "J" Doe'}),
        metadata={"team": "ops"},
        actions={
            "call": Action.webhook(
                f"{target.url}/alerts/{{{{ctx.metadata.team}}}}?source=esorm",
                method="put",
                body='__json__::{"who": "{{ctx.payload.who}}", "n": {{ctx.payload.count}}}',
                headers={"X-Watch": "{{ctx.watch_id}}"},
                params={"at": "{{ctx.trigger.scheduled_time}}"},
                auth=("hook-user", "s3cret"),
            )
        },
    )

    runner, record = await run_once(es_client, notes, watch)

    (call,) = target.calls
    assert (call.method, call.path) == ("PUT", "/alerts/ops")
    assert call.query == {"source": "esorm", "at": "2026-01-05T09:01:00.000Z"}
    assert call.headers["X-Watch"] == runner.watch_id("hook")
    assert call.headers["Authorization"] == "Basic aG9vay11c2VyOnMzY3JldA=="
    assert json.loads(call.body) == {"who": 'Jane "J" Doe', "n": 2}
    (action,) = record.actions
    assert (action.status, action.status_code) == ("success", 200)
    assert action.response_body == '{"ok": true}'


async def test_an_error_answer_fails_the_action_not_the_watch(
    es_client: AsyncElasticsearch, notes: Registry
) -> None:
    async with WebhookTarget(status=503) as failing:
        watch = Watch(
            "failing-hook",
            trigger=Schedule.every("1m"),
            actions={
                "call": Action.webhook(f"{failing.url}/x"),
                "log": Action.logging("still logged"),
            },
        )
        runner, record = await run_once(es_client, notes, watch)

    assert record.state == "executed"
    assert [(a.id, a.status, a.reason) for a in record.actions] == [
        ("call", "failure", "received [503] status code"),
        ("log", "success", None),
    ]
    state = await runner.state("failing-hook")
    assert state is not None
    assert state.action("call").last_execution_successful is False
    assert state.action("call").ack_state == "awaits_successful_execution"
    assert state.action("log").ack_state == "ackable"


async def test_index_action_writes_the_payload(
    es_client: AsyncElasticsearch, notes: Registry, index_prefix: str
) -> None:
    watch = Watch(
        "report",
        trigger=Schedule.every("1m"),
        input=simple_input({"_doc": [{"_id": "a", "n": 1}, {"_id": "b", "n": 2}]}),
        actions={
            "keep": Action.index(
                f"{index_prefix}reports", execution_time_field="at", refresh="true"
            )
        },
    )

    _, record = await run_once(es_client, notes, watch)

    assert [(a.status, a.indexed) for a in record.actions] == [("success", 2)]
    found = await es_client.search(index=f"{index_prefix}reports", sort=["n"])
    assert [(h["_id"], h["_source"]) for h in found["hits"]["hits"]] == [
        ("a", {"n": 1, "at": "2026-01-05T09:01:00.000Z"}),
        ("b", {"n": 2, "at": "2026-01-05T09:01:00.000Z"}),
    ]


async def test_delete_matching_runs_through_the_client_with_index_and_routing(
    es_client: AsyncElasticsearch,
    notes: Registry,
    esorm_server: RunningServer,
    index_prefix: str,
) -> None:
    await store(
        es_client,
        notes,
        Note(id="1", region="eu", text="old"),
        Note(id="2", region="us", text="old"),
        Note(id="3", region="eu", text="new"),
    )
    N = fields(notes.mapping_for(Note))
    watch = delete_matching(
        Note,
        N.text == "old",
        registry=notes,
        settings=esorm_server.settings,
        every="1m",
        routing="eu",
    )
    assert watch.to_dict()["actions"]["delete_matching"]["webhook"]["params"] == {
        "conflicts": "proceed",
        "routing": "eu",
    }

    with record_requests(es_client) as log:
        _, record = await run_once(es_client, notes, watch)

    notes_path = f"/{index_prefix}notes/_delete_by_query"
    (sent,) = [r for r in log.to("_delete_by_query") if r.path.startswith(notes_path)]
    assert sent.method == "POST"
    assert sent.path == f"/{index_prefix}notes/_delete_by_query?conflicts=proceed&routing=eu"
    assert sent.body == {"query": {"term": {"text": "old"}}}
    (action,) = record.actions
    # routing picks the shard, it filters nothing: on one shard both old notes go
    assert (action.type, action.index, action.deleted) == (
        "delete_by_query",
        f"{index_prefix}notes",
        2,
    )
    await es_client.indices.refresh(index=f"{index_prefix}notes")
    left = await es_client.search(index=f"{index_prefix}notes")
    assert sorted(h["_id"] for h in left["hits"]["hits"]) == ["3"]


async def test_action_conditions_and_chained_inputs(
    es_client: AsyncElasticsearch, notes: Registry
) -> None:
    await store(es_client, notes, Note(id="1", region="eu"), Note(id="2", region="eu"))
    N = fields(notes.mapping_for(Note))
    watch = Watch(
        "chained",
        trigger=Schedule.every("1m"),
        input={
            "chain": {
                "inputs": [
                    {"limits": {"simple": {"max": 1}}},
                    {"eu": search_input(Note, N.region == "eu", registry=notes, size=0)},
                ]
            }
        },
        condition=Condition.compare(
            "ctx.payload.eu.hits.total", "gt", "{{ctx.payload.limits.max}}"
        ),
        actions={
            "many": Action.with_options(
                Action.logging("{{ctx.payload.eu.hits.total}}"),
                condition=Condition.compare("ctx.payload.eu.hits.total", "gte", 5),
            ),
            "some": Action.logging("{{ctx.payload.eu.hits.total}} over {{ctx.payload.limits.max}}"),
        },
    )

    _, record = await run_once(es_client, notes, watch)

    assert record.condition_met is True
    assert [(a.id, a.status, a.logged_text) for a in record.actions] == [
        ("many", "condition_failed", None),
        ("some", "success", "2 over 1"),
    ]


async def test_history_older_than_the_retention_is_deleted(
    es_client: AsyncElasticsearch, notes: Registry
) -> None:
    watch = Watch("beat", trigger=Schedule.every("1m"), actions={"log": Action.logging("x")})
    clock = VirtualClock()
    runner = WatchRunner(
        es_client, notes, [watch], clock=clock, sleep=clock.sleep, history_retention="1d"
    )
    clock.settle = runner.wait_idle
    clock.run_for(120)
    async with runner:
        await clock.reached.wait()
    assert len(await runner.history.records(refresh=True)) == 2

    clock.now = START + timedelta(days=2)
    clock.run_for(60)
    async with runner:  # starting trims the history
        await clock.reached.wait()

    kept = await runner.history.records(refresh=True)
    assert [r.scheduled_time for r in kept] == [START + timedelta(days=2, minutes=1)]
    assert await runner.history.purge(START + timedelta(days=3, hours=2)) == 1
    assert await runner.history.records(refresh=True) == []
