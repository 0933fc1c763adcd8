"""Domain events after the commit: dispatched once, in order, only for confirmed writes."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from elasticsearch import AsyncElasticsearch

from esorm.domain import recorded_events
from esorm.errors import ConflictError, InvalidEntityError
from esorm.events import EventChainError, HandlerFailure, Message, MessageBus
from esorm.mapping import Registry
from esorm.testing import record_requests
from esorm.uow import UnitOfWork
from tests.integration._events import (
    Article,
    EventsUnitOfWork,
    MakeUow,
    Pinged,
    Published,
    Recorder,
    Tally,
    bus_with,
    events_indices,
    registered,
    uow_factory,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def registry(es_client: AsyncElasticsearch, index_prefix: str) -> Registry:
    return await events_indices(es_client, index_prefix)


@pytest.fixture
def make_uow(es_client: AsyncElasticsearch, registry: Registry) -> MakeUow:
    return uow_factory(es_client, registry, refresh=True)


async def test_events_are_handled_once_in_recording_order_after_their_write(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    stored_when_handled: list[tuple[str, bool]] = []

    async def check_stored(message: Message[Published]) -> None:
        index = registry.mapping_for(Article).index
        doc = await es_client.get(index=index, id=message.aggregate_id)
        stored_when_handled.append((message.event.title, doc["_source"]["published"]))

    recorder = Recorder()
    bus = bus_with((Published, recorder), (Published, check_stored))
    async with make_uow(bus=bus) as uow:
        first, second = Article(id="a1", title="One"), Article(id="a2", title="Two")
        uow.articles.add_all([first, second])
        second.publish()
        first.publish()
        first.record_event(Published(article_id="a1", title="One again"))
        result = await uow.commit()
        assert [m.event.title for m in recorder.messages] == ["Two", "One", "One again"]
        assert stored_when_handled == [("Two", True), ("One", True), ("One again", True)]
        assert [(m.aggregate, m.aggregate_id, m.attempt) for m in recorder.messages] == [
            ("Article", "a2", 1),
            ("Article", "a1", 1),
            ("Article", "a1", 1),
        ]
        assert not any(m.redelivered for m in recorder.messages)
        assert result.dispatched.delivered == tuple(recorder.messages)
        assert recorded_events(first) == () and recorded_events(second) == ()
        again = await uow.commit()  # nothing changed, nothing recorded: nothing handled
        assert again.written == 0 and len(recorder.messages) == 3


async def test_nothing_is_handled_after_a_rollback_or_leaving_without_commit(
    make_uow: MakeUow, es_client: AsyncElasticsearch
) -> None:
    recorder = Recorder()
    bus = bus_with((Published, recorder))
    article = Article(id="a1", title="One")
    async with make_uow(bus=bus) as uow:
        uow.articles.add(article)
        article.publish()
    assert recorded_events(article) == ()  # dropped with the rest of the work
    async with make_uow(bus=bus) as uow:
        uow.articles.add(article)
        article.publish()
        await uow.rollback()
        assert recorded_events(article) == ()
        with record_requests(es_client) as log:
            await uow.commit()
        assert len(log) == 0
        uow.articles.add(article).publish()  # added and removed again: it never existed
        uow.articles.remove(article)
        assert recorded_events(article) == ()
        assert (await uow.commit()).written == 0
    assert recorder.messages == []


async def test_the_events_of_a_conflicting_entity_stay_with_it_while_the_others_go(
    make_uow: MakeUow,
) -> None:
    async with make_uow() as uow:
        uow.articles.add(Article(id="stale", title="Old"))
        await uow.commit()
    recorder = Recorder()
    bus = bus_with((Published, recorder))
    async with make_uow(bus=bus) as uow:
        stale = await uow.articles.get("stale")
        async with make_uow() as other:
            (await other.articles.get("stale")).title = "Changed meanwhile"
            await other.commit()
        stale.publish()
        fresh = Article(id="fresh", title="New")
        uow.articles.add(fresh)
        fresh.publish()
        with pytest.raises(ConflictError) as caught:
            await uow.commit()
        assert caught.value.entities == [stale]
        assert [m.aggregate_id for m in recorder.messages] == ["fresh"]
        assert [type(r.event) for r in recorded_events(stale)] == [Published]  # kept


async def test_an_entity_that_only_recorded_events_is_written_guarded_by_its_version(
    make_uow: MakeUow, es_client: AsyncElasticsearch
) -> None:
    async with make_uow() as uow:
        uow.articles.add(Article(id="a1", title="One"))
        await uow.commit()
    recorder = Recorder()
    async with make_uow(bus=bus_with((Pinged, recorder))) as uow:
        article = await uow.articles.get("a1")
        version = uow.version_of(article)
        article.record_event(Pinged(target="a1"))
        with record_requests(es_client) as log:
            result = await uow.commit()
        (bulk,) = log.to("_bulk")
        action = bulk.ndjson()[0]["index"]
        assert (action["if_seq_no"], action["if_primary_term"]) == version
        assert result.updated == 1 and recorder.messages[0].event == Pinged(target="a1")
    async with make_uow(bus=bus_with((Pinged, recorder))) as uow:  # and it can conflict
        article = await uow.articles.get("a1")
        async with make_uow() as other:
            (await other.articles.get("a1")).title = "Changed"
            await other.commit()
        article.record_event(Pinged(target="a1", hops=1))
        with pytest.raises(ConflictError):
            await uow.commit()
        assert len(recorder.messages) == 1


async def test_events_without_a_bus_refuse_the_commit_with_nothing_sent(
    make_uow: MakeUow, es_client: AsyncElasticsearch
) -> None:
    async with make_uow() as uow:
        article = Article(id="a1", title="One")
        uow.articles.add(article)
        article.publish()
        with record_requests(es_client) as log, pytest.raises(InvalidEntityError) as caught:
            await uow.commit()
        assert len(log) == 0
        assert "Article 'a1' recorded 1 events (Published)" in str(caught.value)
        assert "no bus" in str(caught.value)


# -- failing handlers -------------------------------------------------------------------------


async def test_a_failing_handler_leaves_the_commit_written_and_the_others_run(
    make_uow: MakeUow,
    es_client: AsyncElasticsearch,
    registry: Registry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    reported: list[HandlerFailure] = []

    async def broken(message: Message[Published]) -> None:
        raise RuntimeError(f"cannot handle {message.event.title}")

    recorder = Recorder()
    bus = MessageBus(on_failure=reported.append)
    bus.subscribe(Published, broken)
    bus.subscribe(Published, recorder)
    async with make_uow(bus=bus) as uow:
        for number in (1, 2):
            article = uow.articles.add(Article(id=f"a{number}", title=f"T{number}"))
            article.publish()
        with caplog.at_level(logging.ERROR, logger="esorm.events"):
            result = await uow.commit()
    assert result.created == 2
    assert [m.event.title for m in recorder.messages] == ["T1", "T2"]  # the other one ran
    assert [str(f.error) for f in result.dispatched.failures] == [
        "cannot handle T1",
        "cannot handle T2",
    ]
    assert result.dispatched.delivered == () and not result.dispatched.ok
    assert reported == list(result.dispatched.failures)
    assert "event handler" in caplog.text and "broken" in caplog.text
    index = registry.mapping_for(Article).index
    assert (await es_client.get(index=index, id="a1"))["_source"]["published"] is True


# -- handlers that commit and record more -----------------------------------------------------


async def test_events_raised_by_handlers_are_handled_after_the_current_ones(
    make_uow: MakeUow,
) -> None:
    order: list[str] = []
    bus = MessageBus()

    async def count(message: Message[Published]) -> None:
        order.append(f"published {message.aggregate_id}")
        async with make_uow(bus=bus) as uow:  # the handler's own unit of work
            tally = await uow.tallies.find("tally") or uow.tallies.add(Tally(id="tally"))
            tally.take(message.id)
            article = await uow.articles.get(message.aggregate_id)
            article.record_event(Pinged(target=message.aggregate_id))
            await uow.commit()
        order.append(f"counted {message.aggregate_id}")

    async def pinged(message: Message[Pinged]) -> None:
        order.append(f"pinged {message.event.target}")

    bus.subscribe(Published, count)
    bus.subscribe(Pinged, pinged)
    async with make_uow(bus=bus) as uow:
        for name in ("a", "b"):
            uow.articles.add(Article(id=name, title=name.upper())).publish()
        result = await uow.commit()
    assert order == [
        "published a",
        "counted a",
        "published b",
        "counted b",
        "pinged a",  # raised while handling, handled after what was queued before
        "pinged b",
    ]
    assert [m.name.rsplit(".", 1)[1] for m in result.dispatched.delivered] == [
        "Published",
        "Published",
        "Pinged",
        "Pinged",
    ]
    async with make_uow() as uow:
        assert (await uow.tallies.get("tally")).count == 2


async def test_a_chain_of_events_past_the_bound_stops_with_a_clear_error(
    make_uow: MakeUow,
) -> None:
    bus = MessageBus(max_depth=3)
    hops: list[int] = []

    async def ping_again(message: Message[Pinged]) -> None:
        hops.append(message.event.hops)
        async with make_uow(bus=bus) as uow:
            article = await uow.articles.get(message.event.target)
            article.record_event(Pinged(target=article.id, hops=message.event.hops + 1))
            await uow.commit()

    bus.subscribe(Pinged, ping_again)
    async with make_uow(bus=bus) as uow:
        uow.articles.add(Article(id="loop", title="Loop")).record_event(Pinged(target="loop"))
        with pytest.raises(EventChainError) as caught:
            await uow.commit()
    assert hops == [0, 1, 2, 3]  # depth 0 (the commit's own) to max_depth
    error = caught.value
    assert [m.event.hops for m in error.report.undelivered] == [4]
    assert "max_depth=3" in str(error) and "Pinged" in str(error) and "was written" in str(error)
    async with make_uow() as uow:
        assert await uow.articles.find("loop") is not None  # the commit stands


async def test_handlers_of_concurrent_tasks_keep_their_own_queues(make_uow: MakeUow) -> None:
    seen: dict[str, list[str]] = {"x": [], "y": []}
    bus = MessageBus()

    async def handle(message: Message[Published]) -> None:
        await asyncio.sleep(0)
        seen[message.aggregate_id[0]].append(message.aggregate_id)

    bus.subscribe(Published, handle)

    async def publish(prefix: str) -> None:
        async with make_uow(bus=bus) as uow:
            for number in range(3):
                uow.articles.add(Article(id=f"{prefix}{number}", title="T")).publish()
            await uow.commit()

    await asyncio.gather(publish("x"), publish("y"))
    assert seen == {"x": ["x0", "x1", "x2"], "y": ["y0", "y1", "y2"]}


# -- lifecycle hooks --------------------------------------------------------------------------


async def test_a_before_write_hook_that_raises_refuses_the_commit_with_nothing_sent(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    def titled(article: Article) -> None:
        if article.published and not article.title.strip():
            raise ValueError("a published article needs a title")

    registry = await registered(
        es_client, index_prefix, (Article, {"before_write": titled}), (Tally, {})
    )
    async with UnitOfWork(es_client, registry, bus=MessageBus()) as uow:
        uow.add(Tally(id="t"))
        fine = uow.add(Article(id="ok", title="Fine"))
        fine.publish()
        uow.add(Article(id="bad", title="  ")).publish()
        with record_requests(es_client) as log, pytest.raises(InvalidEntityError) as caught:
            await uow.commit()
        assert len(log) == 0
        message = str(caught.value)
        assert "Article 'bad' was refused by its before_write hook" in message
        assert "titled" in message and "needs a title" in message and "Nothing was sent" in message
        assert isinstance(caught.value.__cause__, ValueError)
        assert len(recorded_events(fine)) == 1  # nothing was written, so the events stay


async def test_after_load_sees_each_loaded_entity_and_its_changes_count(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    loaded: list[str] = []

    def upgrade(article: Article) -> None:
        loaded.append(article.id)
        if article.title.islower():
            article.title = article.title.title()

    registry = await registered(es_client, index_prefix, (Article, {"after_load": upgrade}))
    async with UnitOfWork(es_client, registry, refresh=True) as uow:
        uow.add(Article(id="a", title="lower"))
        uow.add(Article(id="b", title="Fine"))
        await uow.commit()
    assert loaded == []  # added entities are not loaded ones
    async with UnitOfWork(es_client, registry) as uow:
        articles = uow.repository(Article)
        found = await articles.search(sort="id")
        assert [a.title for a in found] == ["Lower", "Fine"] and loaded == ["a", "b"]
        await articles.get("a")  # tracked: no load, no hook
        assert loaded == ["a", "b"]
        result = await uow.commit()
        assert result.updated == 1  # what the hook changed is written
    async with UnitOfWork(es_client, registry) as uow:
        detached = await uow.repository(Article).search(track=False, sort="id")
        assert loaded == ["a", "b", "a", "b"] and detached.items[0].title == "Lower"


async def test_commit_hooks_run_around_each_commit(
    make_uow: MakeUow, es_client: AsyncElasticsearch
) -> None:
    calls: list[Any] = []

    async def before(uow: EventsUnitOfWork) -> None:
        calls.append("before")
        if await uow.tallies.find("audit") is None:
            uow.tallies.add(Tally(id="audit"))  # a hook may add what the commit writes

    def after(uow: EventsUnitOfWork, result: Any) -> None:
        calls.append(("after", result.created))

    async with make_uow(before_commit=[before], after_commit=[after]) as uow:
        uow.articles.add(Article(id="a", title="A"))
        await uow.commit()
    assert calls == ["before", ("after", 2)]

    def refuse(uow: EventsUnitOfWork) -> None:
        raise RuntimeError("not now")

    async with make_uow(before_commit=[refuse], after_commit=[after]) as uow:
        uow.articles.add(Article(id="b", title="B"))
        with record_requests(es_client) as log, pytest.raises(RuntimeError, match="not now"):
            await uow.commit()
        assert len(log) == 0
    assert calls == ["before", ("after", 2)]
