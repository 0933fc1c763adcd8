"""The scenario's steps about domain events: handled after the commit, and relayed after a crash."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from esorm.events import event_name
from esorm.mapping import OUTBOX_FIELD
from esorm.outbox import OutboxRelay
from esorm.testing import record_requests
from esorm.uow import Flush
from examples.blog import services
from examples.blog.domain import Post, PostPublished
from examples.blog.report import CheckFailed, Outcome, check

if TYPE_CHECKING:
    from examples.blog.scenario import Demo

AUTHOR = "grace"
_AT = datetime.datetime(2024, 6, 1, 9, 0, tzinfo=datetime.UTC)


class ProcessStopped(BaseException):
    """Stands for the process dying: not an `Exception`, so nothing catches it on the way."""


class StopAfterCommit:
    """A flush hook that stops "the process" once the server confirmed the writes, before
    the unit of work hands any event to the bus."""

    def before_flush(self, flush: Flush) -> None:
        return None

    def after_flush(self, flush: Flush) -> None:
        if flush.confirmed():
            raise ProcessStopped("the process stopped between the commit and the dispatch")


async def published_event_handled(demo: Demo) -> Outcome:
    before = await _posts_published(demo, AUTHOR)
    with record_requests(demo.client) as log:
        post = await services.publish_post(
            demo.uow(), AUTHOR, "post-25", title="On domain events", body="...", at=_AT
        )
    after = await _posts_published(demo, AUTHOR)
    check(after == before + 1, f"{AUTHOR}'s counter went from {before} to {after}, not +1")
    creates = [line for line in log.to("_bulk")[0].ndjson() if OUTBOX_FIELD in line]
    carried = creates[0][OUTBOX_FIELD]["events"] if creates else []
    check(
        [event["type"] for event in carried] == [event_name(PostPublished)],
        "the post's create did not carry its PostPublished event",
    )
    check(await _pending(demo, post) == [], "the handled event is still in the post's document")
    return Outcome(
        len(log),
        5,
        [
            "publish_post: Post.publish(...) records PostPublished; add, commit",
            f"the post's create carries it in {OUTBOX_FIELD}: id {carried[0]['id']}",
            "once the commit is confirmed the bus hands it to count_published, which updates",
            f"  {AUTHOR} in a unit of work of its own: posts_published {before} -> {after}",
            "then a guarded update clears the event from the post's document",
            f"requests: {' + '.join(request.endpoint for request in log.requests)}",
        ],
    )


async def relayed_after_a_crash(demo: Demo) -> Outcome:
    before = await _posts_published(demo, AUTHOR)
    uow = demo.container.unit_of_work(hooks=[StopAfterCommit()])
    with record_requests(demo.client) as publishing:
        try:
            await services.publish_post(
                uow, AUTHOR, "post-26", title="On outboxes", body="...", at=_AT
            )
        except ProcessStopped:
            pass
        else:
            raise CheckFailed("the simulated crash did not stop the commit")
    stranded = await _pending(demo, await _post(demo, "post-26"))
    check(len(stranded) == 1, f"expected 1 event left in the outbox, found {len(stranded)}")
    check(await _posts_published(demo, AUTHOR) == before, "the event was handled before the crash")

    bus = demo.container.bus()
    later = bus.grace + datetime.timedelta(seconds=1)  # the relay runs once the grace is over
    relay = OutboxRelay(demo.client, demo.container.registry(), bus, clock=lambda: _now() + later)
    with record_requests(demo.client) as relaying:
        first = await relay.run_once()
        second = await relay.run_once()
    after = await _posts_published(demo, AUTHOR)
    check(len(first.delivered) == 1 and first.ok, f"the first pass did not deliver it: {first}")
    check(len(second.delivered) == 0, "the second pass delivered the event again")
    check(after == before + 1, f"{AUTHOR}'s counter went from {before} to {after}, not +1")
    message = first.delivered[0]
    check(message.redelivered, "the relay's delivery was not marked as a possible repeat")
    return Outcome(
        len(publishing) + len(relaying),
        9,
        [
            f"publish_post commits post-26, PostPublished in its {OUTBOX_FIELD}; the process",
            "  stops before the dispatch: the event waits in the document, due for the",
            f"  relay once the bus's grace ({int(bus.grace.total_seconds())} s) is over",
            f"relay pass 1: {first}",
            f"  its attempt {message.attempt} (redelivered={message.redelivered}): "
            f"{AUTHOR}'s posts_published {before} -> {after}",
            f"relay pass 2: {second}",
            f"requests: {' + '.join(r.endpoint for r in publishing.requests)} for the commit;",
            f"  {' + '.join(r.endpoint for r in relaying.requests)} for both passes",
        ],
    )


async def _post(demo: Demo, post_id: str) -> Post:
    async with demo.uow() as uow:
        author = await uow.users.get(AUTHOR)
        return await uow.posts.get(post_id, routing=author.region)


async def _posts_published(demo: Demo, user_id: str) -> int:
    async with demo.uow() as uow:
        return (await uow.users.get(user_id)).posts_published


async def _pending(demo: Demo, post: Post) -> list[Any]:
    """The events the post's document still holds, read as stored."""
    index = demo.container.registry().mapping_for(Post).index
    doc = await demo.client.get(index=index, id=post.id, routing=post.region)
    outbox = doc["_source"].get(OUTBOX_FIELD) or {}
    return list(outbox.get("events") or [])


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
