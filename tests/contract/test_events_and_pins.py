"""Domain events, the outbox and ETag pins behave alike on the server and in memory.

Service tests of aggregates that record events, or of endpoints that honour `If-Match`,
run on the in-memory store; these tests hold it to what the server does.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from esorm.domain import recorded_events
from esorm.errors import PreconditionFailedError
from esorm.mapping import Registry
from esorm.store import DocumentStore
from esorm.testing import RecordingStore
from tests.contract.conftest import CreateIndices
from tests.integration._blog import BlogUnitOfWork, Counter
from tests.integration._events import (
    MakeUow,
    Published,
    Recorder,
    Story,
    bus_with,
    events_registry,
    uow_factory,
)
from tests.integration._support import seed

pytestmark = pytest.mark.contract


@pytest.fixture
async def events(prefix: str, create_indices: CreateIndices) -> Registry:
    registry = events_registry(prefix)
    await create_indices(registry)
    return registry


@pytest.fixture
def make_events_uow(calls: RecordingStore, events: Registry) -> MakeUow:
    return uow_factory(calls, events, refresh=True)


async def test_outbox_events_are_stored_with_their_document_and_then_handled(
    make_events_uow: MakeUow, store: DocumentStore, events: Registry, calls: RecordingStore
) -> None:
    recorder = Recorder()
    async with make_events_uow(bus=bus_with((Published, recorder))) as uow:
        story = uow.stories.add(Story(id="s1", title="One"))
        story.publish()
        calls.clear()
        await uow.commit()
        assert calls.methods()[0] == "bulk"  # the events travel in the document's own write
    assert [(m.aggregate_id, m.event.title) for m in recorder.messages] == [("s1", "One")]
    stored = await store.get(events.mapping_for(Story), "s1", routing="eu")
    assert stored is not None and stored["_source"]["title"] == "One"


async def test_a_joined_block_that_ends_uncommitted_drops_the_events_it_recorded(
    make_events_uow: MakeUow,
) -> None:
    await seed(make_events_uow, Story(id="s1", title="One"))
    recorder = Recorder()
    async with make_events_uow(bus=bus_with((Published, recorder))) as outer:
        story = await outer.stories.get("s1", routing="eu")
        story.publish()  # the outer block's event, kept
        async with outer:
            story.record_event(Published(article_id="s1", title="inner, never committed"))
            assert len(recorded_events(story)) == 2
        assert [e.event.title for e in recorded_events(story)] == ["One"]
        async with outer:
            story.record_event(Published(article_id="s1", title="inner, failed"))
            with pytest.raises(RuntimeError):
                async with outer:
                    raise RuntimeError("the use case failed")
            await outer.rollback()  # the joined block's rollback undoes what it did
        assert [e.event.title for e in recorded_events(story)] == ["One"]
        await outer.commit()
    assert [m.event.title for m in recorder.messages] == ["One"]


async def test_a_write_pinned_to_a_stale_etag_is_refused_by_the_store(
    make_uow: Callable[..., BlogUnitOfWork], store: DocumentStore, registry: Registry
) -> None:
    await seed(make_uow, Counter(id="c", value=0))
    async with make_uow() as reader:
        tag = reader.etag_of(await reader.counters.get("c"))
    assert tag is not None
    async with make_uow() as client_request:
        counter = await client_request.counters.get("c", expected=tag)  # current: pinned
        async with make_uow() as other:
            (await other.counters.get("c")).value = 5
            await other.commit()
        counter.value = 1
        with pytest.raises(PreconditionFailedError) as refused:
            await client_request.commit()
        assert refused.value.current_etag not in (None, tag)
    async with make_uow() as late:
        with pytest.raises(PreconditionFailedError):
            await late.counters.get("c", expected=tag)  # already stale when loaded
    stored = await store.get(registry.mapping_for(Counter), "c")
    assert stored is not None and stored["_source"]["value"] == 5
