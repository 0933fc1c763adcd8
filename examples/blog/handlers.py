"""What follows from domain events: each handler does its work in a unit of work of its own."""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable

from esorm.events import Message, MessageBus
from examples.blog.domain import PostPublished
from examples.blog.uow import BlogUnitOfWork

UnitsOfWork = Callable[[], BlogUnitOfWork]
"""Where handlers get their units of work (the container's factory)."""


def count_published(
    unit_of_work: UnitsOfWork,
) -> Callable[[Message[PostPublished]], Awaitable[None]]:
    """A handler adding a published post to its author's counter.

    Delivery is at least once (the outbox relay may repeat an event), so the author
    remembers the event ids it counted; a conflict with another writer runs it again.
    """

    async def handle(message: Message[PostPublished]) -> None:
        async def count(uow: BlogUnitOfWork) -> None:
            author = await uow.users.get(message.event.author_id)
            author.count_published(message.id)

        await unit_of_work().run(count)

    return handle


def blog_bus(
    unit_of_work: UnitsOfWork, *, grace: datetime.timedelta = datetime.timedelta(minutes=1)
) -> MessageBus:
    """The blog's message bus with every handler subscribed."""
    bus = MessageBus(grace=grace)
    bus.subscribe(PostPublished, count_published(unit_of_work))
    return bus
