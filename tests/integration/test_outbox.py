"""The outbox: events written into their aggregate's document with the change, delivered
in-process and cleared, and delivered by the relay after a crash, at least once."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Callable
from typing import Any

import pytest
from elasticsearch import AsyncElasticsearch

from esorm.errors import InvalidEntityError
from esorm.events import Message, MessageBus
from esorm.mapping import OUTBOX_FIELD, Registry
from esorm.outbox import OutboxRelay
from esorm.testing import record_requests
from tests.integration._events import (
    Crash,
    CrashAfterWrite,
    MakeUow,
    Published,
    Recorder,
    Story,
    bus_with,
    events_indices,
    uow_factory,
)
from tests.integration._fault_proxy import Fault, FaultProxy, nth_bulk

pytestmark = pytest.mark.integration

GRACE = datetime.timedelta(seconds=30)
LEASE = datetime.timedelta(minutes=5)


@pytest.fixture
async def registry(es_client: AsyncElasticsearch, index_prefix: str) -> Registry:
    return await events_indices(es_client, index_prefix)


@pytest.fixture
def make_uow(es_client: AsyncElasticsearch, registry: Registry) -> MakeUow:
    return uow_factory(es_client, registry, refresh=True)


def at(offset: datetime.timedelta) -> Callable[[], datetime.datetime]:
    """A relay clock running `offset` ahead of now."""
    return lambda: datetime.datetime.now(datetime.UTC) + offset


async def stored_outbox(
    client: AsyncElasticsearch, registry: Registry, story_id: str, region: str = "eu"
) -> dict[str, Any] | None:
    index = registry.mapping_for(Story).index
    doc = await client.get(index=index, id=story_id, routing=region)
    outbox: dict[str, Any] | None = doc["_source"].get(OUTBOX_FIELD)
    return outbox


async def pending_documents(client: AsyncElasticsearch, registry: Registry) -> list[str]:
    index = registry.mapping_for(Story).index
    await client.indices.refresh(index=index)
    found = await client.search(
        index=index, query={"exists": {"field": f"{OUTBOX_FIELD}.due"}}, size=100
    )
    return sorted(hit["_id"] for hit in found["hits"]["hits"])


async def crashed_publish(make_uow: MakeUow, bus: MessageBus, *stories: Story) -> None:
    """Publish `stories` in one commit whose process "dies" right after the write."""
    async with make_uow(bus=bus, hooks=[CrashAfterWrite()]) as uow:
        for story in stories:
            uow.stories.add(story).publish()
        with pytest.raises(Crash):
            await uow.commit()


# -- in-process -------------------------------------------------------------------------------


async def test_events_go_into_the_document_with_the_write_and_are_cleared_once_handled(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    pending_while_handled: list[Any] = []

    async def look(message: Message[Published]) -> None:
        pending_while_handled.append(await stored_outbox(es_client, registry, "s1"))

    recorder = Recorder()
    bus = bus_with((Published, recorder), (Published, look), grace=GRACE)
    async with make_uow(bus=bus) as uow:
        story = uow.stories.add(Story(id="s1", title="First"))
        story.publish()
        with record_requests(es_client) as log:
            await uow.commit()
        write, clearing = log.to("_bulk")
        (action, source) = write.ndjson()
        assert "create" in action
        (event,) = source[OUTBOX_FIELD]["events"]  # in the same operation as the change
        assert event["id"] == recorder.messages[0].id and event["attempts"] == 1
        assert event["type"] == "tests.integration._events.Published"
        assert event["data"] == {"article_id": "s1", "title": "First"}
        at_, due = (datetime.datetime.fromisoformat(event[k]) for k in ("at", "due"))
        assert due - at_ >= GRACE - datetime.timedelta(seconds=1)
        assert source[OUTBOX_FIELD]["due"] == event["due"]
        assert pending_while_handled[0]["events"][0]["id"] == event["id"]
        (clear_action, _) = clearing.ndjson()
        assert "if_seq_no" in clear_action["update"]  # a guarded rewrite
        assert await stored_outbox(es_client, registry, "s1") is None
        assert recorder.messages[0].attempt == 1 and not recorder.messages[0].redelivered
        story.title = "Second"  # the clearing's version is the entity's: no conflict
        await uow.commit()
    assert await pending_documents(es_client, registry) == []


async def test_a_failed_handler_leaves_its_event_in_the_outbox_for_the_relay(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    async def broken(message: Message[Published]) -> None:
        raise RuntimeError("down")

    async with make_uow(bus=bus_with((Published, broken), grace=GRACE)) as uow:
        uow.stories.add(Story(id="s1", title="First")).publish()
        result = await uow.commit()
    assert len(result.dispatched.failures) == 1
    outbox = await stored_outbox(es_client, registry, "s1")
    assert outbox is not None and len(outbox["events"]) == 1
    recorder = Recorder()
    relay = OutboxRelay(es_client, registry, bus_with((Published, recorder)), clock=at(GRACE * 2))
    report = await relay.run_once()
    assert [m.attempt for m in recorder.messages] == [2] and report.ok
    assert await stored_outbox(es_client, registry, "s1") is None


# -- a crash between commit and dispatch ------------------------------------------------------


async def test_after_a_crash_one_relay_pass_delivers_and_the_next_does_not(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    in_process = Recorder()
    await crashed_publish(
        make_uow, bus_with((Published, in_process), grace=GRACE), Story(id="s1", title="T")
    )
    assert in_process.messages == []  # the process stopped before dispatching
    assert await pending_documents(es_client, registry) == ["s1"]

    relayed = Recorder()
    bus = bus_with((Published, relayed))
    early = await OutboxRelay(es_client, registry, bus).run_once()
    assert early.documents == 0 and relayed.messages == []  # still within the grace period

    relay = OutboxRelay(es_client, registry, bus, clock=at(GRACE + datetime.timedelta(seconds=1)))
    first = await relay.run_once()
    (message,) = relayed.messages
    assert first.documents == 1 and first.delivered == (message,)
    assert message.redelivered and message.attempt == 2  # the in-process attempt was counted
    assert (message.aggregate, message.aggregate_id) == ("Story", "s1")
    assert message.event == Published(article_id="s1", title="T")
    assert await pending_documents(es_client, registry) == []
    second = await relay.run_once()
    assert second.documents == 0 and len(relayed.messages) == 1


async def test_events_committed_without_a_bus_are_delivered_by_the_relay_as_new(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    async with make_uow() as uow:  # no bus: nothing dispatched in-process, due at once
        uow.stories.add(Story(id="s1", title="T")).publish()
        await uow.commit()
    outbox = await stored_outbox(es_client, registry, "s1")
    assert outbox is not None and outbox["events"][0]["attempts"] == 0
    recorder = Recorder()
    await OutboxRelay(es_client, registry, bus_with((Published, recorder))).run_once()
    assert [(m.attempt, m.redelivered) for m in recorder.messages] == [(1, False)]


async def test_a_relay_stopped_mid_pass_and_restarted_delivers_every_event_and_clears_it(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    async with make_uow() as uow:
        for number in range(5):
            uow.stories.add(Story(id=f"s{number}", title=f"T{number}")).publish()
        await uow.commit()
    delivered: list[str] = []

    async def dies_on_the_fourth(message: Message[Published]) -> None:
        if len(delivered) == 3:
            raise Crash("the relay's process stopped")
        delivered.append(message.id)

    stopped = OutboxRelay(
        es_client, registry, bus_with((Published, dies_on_the_fourth)), batch_size=2
    )
    with pytest.raises(Crash):
        await stopped.run_once()
    assert len(delivered) == 3
    assert len(await pending_documents(es_client, registry)) == 3  # the 1st batch is cleared

    recorder = Recorder()
    restarted = OutboxRelay(
        es_client, registry, bus_with((Published, recorder)), batch_size=2, clock=at(LEASE)
    )
    report = await restarted.run_once()
    everything = set(delivered) | set(recorder.ids)
    assert len(everything) == 5  # each event at least once
    assert len(recorder.messages) == 3 and report.ok
    repeated = set(delivered) & set(recorder.ids)
    assert len(repeated) == 1  # the one delivered before the stop and never cleared
    assert {m.id for m in recorder.messages if m.redelivered} == {
        m.id for m in recorder.messages if m.attempt == 2
    }
    assert await pending_documents(es_client, registry) == []


async def test_two_relays_at_once_deliver_each_event_once(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    async with make_uow() as uow:
        for number in range(6):
            uow.stories.add(Story(id=f"s{number}", title="T")).publish()
        await uow.commit()
    recorder = Recorder()
    bus = bus_with((Published, recorder))
    reports = await asyncio.gather(
        OutboxRelay(es_client, registry, bus).run_once(),
        OutboxRelay(es_client, registry, bus).run_once(),
    )
    assert sorted(recorder.ids) == sorted(set(recorder.ids)) and len(recorder.ids) == 6
    assert sum(report.documents for report in reports) == 6
    assert all(not m.redelivered for m in recorder.messages)


async def test_an_event_that_keeps_failing_is_retried_with_backoff_then_parked(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    async with make_uow() as uow:
        uow.stories.add(Story(id="s1", title="T")).publish()
        await uow.commit()
    attempts: list[int] = []

    async def broken(message: Message[Published]) -> None:
        attempts.append(message.attempt)
        raise RuntimeError("still down")

    start = datetime.datetime.now(datetime.UTC)
    now = [start]
    relay = OutboxRelay(
        es_client,
        registry,
        bus_with((Published, broken)),
        retry_delay=datetime.timedelta(seconds=10),
        max_attempts=2,
        clock=lambda: now[0],
    )
    first = await relay.run_once()
    assert attempts == [1] and len(first.failures) == 1 and first.parked == 0
    outbox = await stored_outbox(es_client, registry, "s1")
    assert outbox is not None
    due = datetime.datetime.fromisoformat(outbox["due"])
    assert abs((due - start).total_seconds() - 10) < 1  # 10 s after the failed attempt
    now[0] = start + datetime.timedelta(seconds=5)
    assert (await relay.run_once()).documents == 0  # not due yet
    now[0] = start + datetime.timedelta(seconds=11)
    second = await relay.run_once()
    assert attempts == [1, 2] and second.parked == 1
    outbox = await stored_outbox(es_client, registry, "s1")
    assert outbox is not None and outbox["parked"] == 1 and "due" not in outbox
    now[0] = start + datetime.timedelta(days=1)
    assert (await relay.run_once()).documents == 0 and attempts == [1, 2]


async def test_an_event_type_the_relay_bus_does_not_know_is_undeliverable(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    async with make_uow() as uow:
        uow.stories.add(Story(id="s1", title="T")).publish()
        await uow.commit()
    report = await OutboxRelay(es_client, registry, MessageBus()).run_once()
    (problem,) = report.undeliverable
    assert problem.aggregate_id == "s1" and "no handler" in problem.reason and not report.ok
    outbox = await stored_outbox(es_client, registry, "s1")
    assert outbox is not None and len(outbox["events"]) == 1  # kept, due again later


# -- what every write keeps -------------------------------------------------------------------


async def test_undelivered_events_survive_later_writes_of_the_document(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    await crashed_publish(make_uow, MessageBus(grace=GRACE), Story(id="s1", title="T"))
    async with make_uow(bus=MessageBus()) as uow:  # a full write of the loaded story
        (await uow.stories.get("s1", routing="eu")).title = "Changed"
        await uow.commit()
    async with make_uow() as uow:  # a partial one
        partial = await uow.stories.get("s1", routing="eu", source_includes=["title"])
        partial.title = "Changed again"
        await uow.commit()
    async with make_uow() as uow:  # and a partial one adding an event (for the relay)
        story = await uow.stories.get("s1", routing="eu", source_includes=["title"])
        story.record_event(Published(article_id="s1", title="second"))
        await uow.commit()
    outbox = await stored_outbox(es_client, registry, "s1")
    assert outbox is not None
    assert [e["data"]["title"] for e in outbox["events"]] == ["T", "second"]
    recorder = Recorder()
    relay = OutboxRelay(es_client, registry, bus_with((Published, recorder)), clock=at(GRACE * 2))
    await relay.run_once()
    assert [(m.event.title, m.attempt) for m in recorder.messages] == [("T", 2), ("second", 1)]
    async with make_uow() as uow:
        assert (await uow.stories.get("s1", routing="eu")).title == "Changed again"


async def test_removing_an_outbox_entity_that_recorded_events_is_refused(
    make_uow: MakeUow, es_client: AsyncElasticsearch
) -> None:
    async with make_uow() as uow:
        uow.stories.add(Story(id="s1", title="T"))
        await uow.commit()
    async with make_uow(bus=MessageBus()) as uow:
        story = await uow.stories.get("s1", routing="eu")
        story.publish()
        uow.stories.remove(story)
        with record_requests(es_client) as log, pytest.raises(InvalidEntityError) as caught:
            await uow.commit()
        assert len(log) == 0
        assert "Story 's1' is removed and recorded 1 events" in str(caught.value)


async def test_a_lost_answer_to_the_clearing_is_settled_by_reading_back(
    fault_proxy: FaultProxy,
    make_proxy_client: Callable[..., AsyncElasticsearch],
    es_client: AsyncElasticsearch,
    registry: Registry,
) -> None:
    make = uow_factory(make_proxy_client(), registry, refresh=True)
    recorder = Recorder()
    async with make(bus=bus_with((Published, recorder))) as uow:
        story = uow.stories.add(Story(id="s1", title="T"))
        story.publish()
        fault_proxy.decide = nth_bulk(2, Fault.lose_response())  # the clearing's answer
        await uow.commit()
        fault_proxy.decide = None
        assert len(recorder.messages) == 1
        assert await stored_outbox(es_client, registry, "s1") is None
        story.title = "After"  # the read-back version is the entity's: no conflict
        await uow.commit()
    doc = await es_client.get(index=registry.mapping_for(Story).index, id="s1", routing="eu")
    assert doc["_source"]["title"] == "After"


async def test_undelivered_events_travel_with_their_document_through_a_migration(
    es_client: AsyncElasticsearch, registry: Registry, make_uow: MakeUow
) -> None:
    from esorm.migrations import Migration

    await crashed_publish(make_uow, MessageBus(grace=GRACE), Story(id="s1", title="T"))
    before = await stored_outbox(es_client, registry, "s1")
    assert before is not None
    report = await Migration(es_client, registry, Story, force=True).run()
    assert report.copied == 1
    assert await stored_outbox(es_client, registry, "s1") == before  # read through the alias
    recorder = Recorder()
    bus = bus_with((Published, recorder))
    relay = OutboxRelay(es_client, registry, bus, clock=at(GRACE * 2))
    assert len((await relay.run_once()).delivered) == 1
    assert [message.event for message in recorder.messages] == [
        Published(article_id="s1", title="T")
    ]
