"""Watches stored, read, (de)activated, executed and deleted on a real server.

Watcher needs Elasticsearch with a license above basic (a trial will do): on the docker
backend the fixture starts the container's trial license; on the url backend a cluster
without Watcher is skipped, naming the fix. The embedded server
has no Watcher API, so the tests using it are marked `embedded_gap`; what it does answer
(no handler) must become a clear `WatcherUnavailableError`, which is tested against it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import urlsplit

import pytest
from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel

from esorm.indices import IndexManager
from esorm.mapping import Registry
from esorm.query import fields
from esorm.testing import RunningServer, record_requests
from esorm.watchers import (
    Action,
    Condition,
    Schedule,
    Watch,
    WatchChange,
    WatcherManager,
    WatcherUnavailableError,
    WatchNotFoundError,
    WatchReport,
    delete_matching,
    search_input,
)

pytestmark = pytest.mark.integration

GAP = pytest.mark.embedded_gap("noida-db has no watcher API")
NO_WATCHER = (
    "this server has no Watcher API (needs Elasticsearch with a license that includes Watcher)"
)
# every watch name a test here may store; the fixture deletes them afterwards
NAMES = ("open-tickets", "busy", "delete-tickets")


class Ticket(BaseModel):
    id: str
    status: str
    age: int


T = fields(Ticket)


async def is_emulator(client: AsyncElasticsearch) -> bool:
    info = await client.info()
    return bool(info.get("version", {}).get("build_hash") == "noida")


async def ensure_watcher(client: AsyncElasticsearch, server: RunningServer) -> None:
    """Start a throwaway container's trial license; skip a url cluster without Watcher."""
    features = (await client.xpack.info(categories=["features"])).body.get("features", {})
    if features.get("watcher", {}).get("available"):
        return
    if server.kind == "docker":
        await client.license.post_start_trial(acknowledge=True)
        return
    pytest.skip(
        "Watcher is not available under this cluster's license; start a trial "
        "(POST /_license/start_trial?acknowledge=true) or use a license that includes it"
    )


@pytest.fixture
async def tickets(es_client: AsyncElasticsearch, index_prefix: str) -> Registry:
    registry = Registry(prefix=index_prefix)
    registry.register(Ticket, index="tickets")
    await IndexManager(es_client, registry).create_all()
    operations: list[dict[str, object]] = []
    for ticket in (
        Ticket(id="1", status="open", age=3),
        Ticket(id="2", status="open", age=40),
        Ticket(id="3", status="closed", age=90),
    ):
        operations += [{"index": {"_index": index_prefix + "tickets", "_id": ticket.id}}]
        operations += [ticket.model_dump()]
    await es_client.bulk(operations=operations, refresh=True)
    return registry


@pytest.fixture
async def watchers(
    es_client: AsyncElasticsearch, tickets: Registry, esorm_server: RunningServer
) -> AsyncIterator[WatcherManager]:
    manager = WatcherManager(es_client, tickets)
    if not await is_emulator(es_client):
        await ensure_watcher(es_client, esorm_server)
    yield manager
    for name in NAMES:
        with contextlib.suppress(WatcherUnavailableError):
            await manager.delete(name)


def open_tickets(registry: Registry, **options: object) -> Watch:
    return Watch(
        "open-tickets",
        trigger=Schedule.every("1h"),
        input=search_input(Ticket, T.status == "open", registry=registry, size=0),
        condition=Condition.hits_above(0),
        actions={"log": Action.logging("{{ctx.payload.hits.total}} open tickets")},
        metadata={"team": "support"},
        **options,  # type: ignore[arg-type]
    )


async def count(client: AsyncElasticsearch, index: str, status: str) -> int:
    await client.indices.refresh(index=index)
    response = await client.count(index=index, query={"term": {"status": status}})
    return int(response["count"])


@GAP
async def test_put_twice_get_deactivate_activate_delete(
    watchers: WatcherManager, tickets: Registry, index_prefix: str
) -> None:
    watch = open_tickets(tickets)

    first = await watchers.put(watch)
    second = await watchers.put(watch)

    watch_id = index_prefix + "open-tickets"
    assert first == WatchReport(watch_id, WatchChange.CREATED, 1)
    assert second == WatchReport(watch_id, WatchChange.UPDATED, 2)
    stored = await watchers.get("open-tickets")
    assert stored is not None
    assert (stored.id, stored.name, stored.active) == (watch_id, "open-tickets", True)
    assert stored.body["trigger"] == {"schedule": {"interval": "1h"}}
    assert stored.body["condition"] == {"compare": {"ctx.payload.hits.total": {"gt": 0}}}
    assert stored.body["actions"]["log"]["logging"]["text"] == (
        "{{ctx.payload.hits.total}} open tickets"
    )
    assert stored.body["metadata"] == {"team": "support"}
    assert stored.body["input"]["search"]["request"]["indices"] == [index_prefix + "tickets"]

    await watchers.deactivate("open-tickets")
    assert (await watchers.get("open-tickets")).active is False  # type: ignore[union-attr]
    await watchers.activate("open-tickets")
    assert (await watchers.get("open-tickets")).active is True  # type: ignore[union-attr]

    assert await watchers.delete("open-tickets") is True
    assert await watchers.delete("open-tickets") is False
    assert await watchers.get("open-tickets") is None
    with pytest.raises(WatchNotFoundError):
        await watchers.activate("open-tickets")


@GAP
async def test_a_watch_put_inactive_is_stored_inactive(
    watchers: WatcherManager, tickets: Registry
) -> None:
    report = await watchers.put(open_tickets(tickets, active=False))
    assert report.active is False
    stored = await watchers.get("open-tickets")
    assert stored is not None and stored.active is False


@GAP
async def test_execute_is_a_dry_run(watchers: WatcherManager, tickets: Registry) -> None:
    await watchers.put(open_tickets(tickets))
    quiet = Watch(
        "busy",
        trigger=Schedule.every("1h"),
        input=search_input(Ticket, T.status == "open", registry=tickets, size=0),
        condition=Condition.hits_above(5),
        actions={"log": Action.logging("busy")},
    )
    await watchers.put(quiet)

    ran = await watchers.execute("open-tickets")
    skipped = await watchers.execute("busy")

    assert ran.state == "executed"
    assert ran.condition_met is True
    assert ran.actions == {"log": "simulated"}
    assert ran.payload["hits"]["total"] == 2
    assert skipped.state == "execution_not_needed"
    assert skipped.condition_met is False
    assert skipped.actions == {}
    with pytest.raises(WatchNotFoundError):
        await watchers.execute("missing")


@GAP
async def test_delete_matching_dry_run_keeps_the_documents(
    watchers: WatcherManager,
    tickets: Registry,
    esorm_server: RunningServer,
    es_client: AsyncElasticsearch,
) -> None:
    watch = delete_matching(
        Ticket, T.status == "closed", registry=tickets, settings=esorm_server.settings
    )

    execution = await watchers.execute(watch)  # inline, not stored

    assert execution.condition_met is True
    assert execution.actions == {"delete_matching": "simulated"}
    assert await count(es_client, tickets.mapping_for(Ticket).index, "closed") == 1


@GAP
async def test_delete_matching_deletes_through_the_cluster_itself(
    watchers: WatcherManager,
    tickets: Registry,
    esorm_server: RunningServer,
    es_client: AsyncElasticsearch,
) -> None:
    """The webhook calls the node's own address; with https, the nodes must trust their CA
    (`xpack.http.ssl.certificate_authorities`), and the settings must use basic auth."""
    settings = esorm_server.settings
    if settings.api_key is not None or settings.bearer_auth is not None:
        pytest.skip("delete_matching needs basic-auth credentials for its webhook")
    nodes = await es_client.nodes.info(node_id="_local", metric="http")
    address = next(iter(nodes.body["nodes"].values()))["http"]["publish_address"]
    url = f"{urlsplit(settings.hosts[0]).scheme}://{address.rsplit('/', 1)[-1]}"
    watch = delete_matching(
        Ticket, T.age > 30, registry=tickets, settings=settings, url=url, every="1d"
    )
    await watchers.put(watch)

    execution = await watchers.execute("delete-tickets", simulate=False)

    assert execution.actions == {"delete_matching": "success"}
    index = tickets.mapping_for(Ticket).index
    assert await count(es_client, index, "closed") == 0
    assert await count(es_client, index, "open") == 1


async def test_a_server_without_watcher_gets_a_clear_error(
    es_client: AsyncElasticsearch, tickets: Registry, index_prefix: str
) -> None:
    """Real behaviour of the embedded server: every watcher call names what is missing."""
    if not await is_emulator(es_client):
        pytest.skip("the server has a Watcher API")
    manager = WatcherManager(es_client, tickets)
    watch = open_tickets(tickets, active=False)
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: manager.put(watch),
        lambda: manager.put_all([watch]),
        lambda: manager.get("open-tickets"),
        lambda: manager.delete("open-tickets"),
        lambda: manager.activate("open-tickets"),
        lambda: manager.deactivate("open-tickets"),
        lambda: manager.execute("open-tickets"),
        lambda: manager.execute(watch),
    ]
    with record_requests(es_client) as log:
        for call in calls:
            with pytest.raises(WatcherUnavailableError, match=re.escape(NO_WATCHER)) as info:
                await call()
            assert "no handler found" in str(info.value)

    first = log.requests[0]
    assert (first.method, first.path) == (
        "PUT",
        f"/_watcher/watch/{index_prefix}open-tickets?active=false",
    )
    assert first.body == watch.to_dict()
    assert len(log) == len(calls)
