"""`WatcherManager` over HTTP, through the real client, against a Watcher stand-in.

The embedded server has no Watcher API, so `_watcher_standin.WatcherStandIn` — a real HTTP
server answering the Watcher endpoints as Elasticsearch 8.x does — stands in for a
licensed Elasticsearch here: created and updated watches, the stored watch, execution
records, 404s, a server without Watcher, the basic license, a refused definition.
`tests/integration/test_watchers.py` runs the same manager against real Elasticsearch.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from elasticsearch import AsyncElasticsearch

from esorm.errors import ConnectionFailedError
from esorm.mapping import Registry
from esorm.testing import find_free_port
from esorm.watchers import (
    Action,
    Condition,
    Schedule,
    Watch,
    WatchChange,
    WatchDefinitionError,
    WatcherManager,
    WatcherUnavailableError,
    WatchNotFoundError,
    WatchReport,
    search_input,
    simple_input,
)
from tests.integration._watcher_standin import Received, WatcherStandIn

pytestmark = pytest.mark.integration

SECRET = "s3cr3t-Pa55"
NO_WATCHER = (
    "this server has no Watcher API (needs Elasticsearch with a license that includes Watcher)"
)


@pytest.fixture
async def standin() -> AsyncIterator[WatcherStandIn]:
    async with WatcherStandIn() as server:
        yield server


@pytest.fixture
async def client(standin: WatcherStandIn) -> AsyncIterator[AsyncElasticsearch]:
    client = AsyncElasticsearch(standin.url, max_retries=0)
    yield client
    await client.close()


@pytest.fixture
def manager(client: AsyncElasticsearch) -> WatcherManager:
    return WatcherManager(client, Registry(prefix="t1_"))


def every_10m(name: str = "w", **parts: Any) -> Watch:
    return Watch(name, trigger=Schedule.every("10m"), **parts)


def sent(standin: WatcherStandIn) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in standin.requests]


async def test_put_sends_the_body_under_the_prefixed_name(
    manager: WatcherManager, standin: WatcherStandIn
) -> None:
    watch = every_10m(actions={"log": Action.logging("x")}, active=False)

    first = await manager.put(watch)
    second = await manager.put(watch)

    assert first == WatchReport("t1_w", WatchChange.CREATED, 1, active=False)
    assert second == WatchReport("t1_w", WatchChange.UPDATED, 2, active=False)
    assert str(second) == "t1_w: updated (version 2, inactive)"
    assert standin.requests[0] == Received(
        "PUT", "/_watcher/watch/t1_w", {"active": "false"}, watch.to_dict()
    )
    assert standin.watches["t1_w"].active is False


async def test_put_all_checks_names_before_any_request(
    manager: WatcherManager, standin: WatcherStandIn
) -> None:
    with pytest.raises(WatchDefinitionError, match="two watches are named 'w'"):
        await manager.put_all([every_10m(), every_10m("x"), every_10m()])
    assert standin.requests == []

    await manager.put(every_10m("x"))
    standin.requests.clear()
    reports = await manager.put_all([every_10m(), every_10m("x")])

    assert [r.change for r in reports] == [WatchChange.CREATED, WatchChange.UPDATED]
    assert [(r.path, r.query) for r in standin.requests] == [
        ("/_watcher/watch/t1_w", {"active": "true"}),
        ("/_watcher/watch/t1_x", {"active": "true"}),
    ]


async def test_get_reads_the_stored_watch(manager: WatcherManager, standin: WatcherStandIn) -> None:
    watch = every_10m(
        input=simple_input({"limit": 5}),
        actions={"log": Action.logging("x")},
        metadata={"team": "ops"},
        active=False,
    )
    await manager.put(watch)
    await manager.put(watch)
    standin.requests.clear()

    stored = await manager.get("w")

    assert stored is not None
    assert (stored.id, stored.name, stored.version, stored.active) == ("t1_w", "w", 2, False)
    assert stored.body == watch.to_dict()
    assert stored.status["version"] == 2
    assert stored.status["state"]["active"] is False
    assert (stored.seq_no, stored.primary_term) == (1, 1)
    assert await manager.get("gone") is None
    assert sent(standin) == [
        ("GET", "/_watcher/watch/t1_w"),
        ("GET", "/_watcher/watch/t1_gone"),
    ]


async def test_get_returns_passwords_redacted_by_the_server(manager: WatcherManager) -> None:
    await manager.put(every_10m(actions={"hook": Action.webhook("http://h", auth=("u", SECRET))}))

    stored = await manager.get("w")

    assert stored is not None
    assert SECRET not in repr(stored.body)
    assert stored.body["actions"]["hook"]["webhook"]["auth"]["basic"]["username"] == "u"


async def test_delete_answers_whether_it_existed(
    manager: WatcherManager, standin: WatcherStandIn
) -> None:
    await manager.put(every_10m())
    standin.requests.clear()

    assert await manager.delete("w") is True
    assert await manager.delete("w") is False
    assert sent(standin) == [
        ("DELETE", "/_watcher/watch/t1_w"),
        ("DELETE", "/_watcher/watch/t1_w"),
    ]
    assert await manager.get("w") is None


async def test_activate_and_deactivate(manager: WatcherManager, standin: WatcherStandIn) -> None:
    await manager.put(every_10m(active=False))
    standin.requests.clear()

    await manager.activate("w")
    assert standin.watches["t1_w"].active is True
    await manager.deactivate("w")
    assert standin.watches["t1_w"].active is False
    with pytest.raises(WatchNotFoundError, match="activating watch 't1_nope': watch 't1_nope'"):
        await manager.activate("nope")

    assert sent(standin) == [
        ("PUT", "/_watcher/watch/t1_w/_activate"),
        ("PUT", "/_watcher/watch/t1_w/_deactivate"),
        ("PUT", "/_watcher/watch/t1_nope/_activate"),
    ]
    stored = await manager.get("w")
    assert stored is not None and stored.active is False


async def test_execute_is_a_dry_run_by_default(
    manager: WatcherManager, standin: WatcherStandIn
) -> None:
    standin.search_total = 3
    await manager.put(
        every_10m(
            input=search_input("blog_posts", size=0),
            condition=Condition.hits_above(0),
            actions={"log": Action.logging("{{ctx.payload.hits.total}} posts")},
        )
    )
    standin.requests.clear()

    execution = await manager.execute("w")

    assert execution.watch_id == "t1_w"
    assert execution.state == "executed"
    assert execution.condition_met is True
    assert execution.actions == {"log": "simulated"}
    assert execution.payload["hits"]["total"] == 3
    assert execution.record["result"]["condition"] == {
        "type": "compare",
        "status": "success",
        "met": True,
    }

    inline = every_10m(condition=Condition.never(), actions={"log": Action.logging("x")})
    forced = await manager.execute(inline, simulate=False, ignore_condition=True)
    assert (forced.watch_id, forced.state) == ("_inlined_", "executed")
    assert forced.actions == {"log": "success"}
    assert "t1_w" in standin.watches and len(standin.watches) == 1  # inline: not stored

    with pytest.raises(WatchNotFoundError):
        await manager.execute("gone", record=True)
    with pytest.raises(WatchDefinitionError, match="is not stored cannot be recorded"):
        await manager.execute(inline, record=True)

    assert standin.requests[0] == Received(
        "PUT", "/_watcher/watch/t1_w/_execute", {}, {"action_modes": {"_all": "simulate"}}
    )
    assert (standin.requests[1].method, standin.requests[1].path) == (
        "PUT",
        "/_watcher/watch/_execute",
    )
    assert standin.requests[1].body == {"ignore_condition": True, "watch": inline.to_dict()}
    assert standin.requests[2].path == "/_watcher/watch/t1_gone/_execute"
    assert standin.requests[2].body == {
        "action_modes": {"_all": "simulate"},
        "record_execution": True,
    }
    assert len(standin.requests) == 3


async def test_execute_reports_a_condition_that_does_not_hold(
    manager: WatcherManager, standin: WatcherStandIn
) -> None:
    standin.search_total = 2
    await manager.put(
        every_10m(
            "busy",
            input=search_input("blog_posts", size=0),
            condition=Condition.hits_above(5),
            actions={"log": Action.logging("busy")},
        )
    )

    skipped = await manager.execute("busy")

    assert skipped.state == "execution_not_needed"
    assert skipped.condition_met is False
    assert skipped.actions == {}
    assert skipped.payload["hits"]["total"] == 2


async def test_a_server_without_watcher_gets_a_clear_error(
    manager: WatcherManager, standin: WatcherStandIn
) -> None:
    standin.watcher = False
    with pytest.raises(WatcherUnavailableError) as info:
        await manager.put(every_10m())
    message = str(info.value)
    assert message.startswith(f"putting watch 't1_w': {NO_WATCHER}; the server at ")
    assert standin.url.removeprefix("http://") in message
    assert "no handler found for uri [/_watcher/watch/t1_w?active=true] and method [PUT]" in (
        message
    )
    assert "answered HTTP 400" in message


async def test_a_license_without_watcher_gets_a_clear_error(
    manager: WatcherManager, standin: WatcherStandIn
) -> None:
    standin.license = "basic"
    with pytest.raises(WatcherUnavailableError, match=re.escape(NO_WATCHER)) as info:
        await manager.get("w")
    assert "current license is non-compliant for [watcher]" in str(info.value)
    assert "start a trial" in str(info.value)


async def test_a_refused_definition_names_the_watch_and_masks_secrets(
    manager: WatcherManager, standin: WatcherStandIn
) -> None:
    standin.refuse_containing = SECRET
    watch = every_10m(actions={"hook": Action.webhook("http://h", auth=("u", SECRET))})

    with pytest.raises(WatchDefinitionError) as info:
        await manager.put(watch)

    assert str(info.value) == (
        "the server refused watch 't1_w': parse_exception: could not parse watch [t1_w] "
        "(caused by x_content_parse_exception: failed to parse value [***])"
    )
    assert info.value.__cause__ is None
    assert standin.watches == {}


async def test_a_refused_inline_execution_masks_secrets_too(
    manager: WatcherManager, standin: WatcherStandIn
) -> None:
    standin.refuse_containing = SECRET
    watch = every_10m(actions={"hook": Action.webhook("http://h", auth=("u", SECRET))})

    with pytest.raises(WatchDefinitionError) as info:
        await manager.execute(watch)

    assert str(info.value).startswith("the server refused an inline watch: ")
    assert SECRET not in str(info.value)
    assert info.value.__cause__ is None


async def test_transport_failures_become_connection_errors() -> None:
    closed = AsyncElasticsearch(f"http://127.0.0.1:{find_free_port()}", max_retries=0)
    try:
        manager = WatcherManager(closed, Registry(prefix="t1_"))
        with pytest.raises(ConnectionFailedError, match="could not reach Elasticsearch at"):
            await manager.delete("w")
    finally:
        await closed.close()


async def test_names_are_checked_before_any_request(
    manager: WatcherManager, standin: WatcherStandIn
) -> None:
    for call in (manager.get, manager.delete, manager.activate, manager.execute):
        with pytest.raises(WatchDefinitionError, match="non-empty name"):
            await call("")
    assert standin.requests == []
    assert manager.watch_id("w") == "t1_w"


async def test_ack_acknowledges_actions_that_ran(
    manager: WatcherManager, standin: WatcherStandIn
) -> None:
    await manager.put(every_10m(actions={"log": Action.logging("x"), "other": Action.logging("y")}))
    assert await manager.ack("w") == []  # nothing ran yet: nothing can be acked
    await manager.execute("w", simulate=False, record=True)

    assert await manager.ack("w", ["log"]) == ["log"]

    assert (standin.requests[-1].method, standin.requests[-1].path) == (
        "PUT",
        "/_watcher/watch/t1_w/_ack/log",
    )
    stored = await manager.get("w")
    assert stored is not None
    assert stored.status["actions"]["log"]["ack"]["state"] == "acked"
    assert stored.status["actions"]["other"]["ack"]["state"] == "ackable"
    with pytest.raises(WatchNotFoundError):
        await manager.ack("missing")
