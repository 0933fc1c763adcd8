"""Checked by mypy, never run: events, hooks and the outbox type as the README writes them."""

from __future__ import annotations

from typing import assert_type

from dependency_injector import providers
from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel

from esorm import Registry, Repository, UnitOfWork
from esorm.di import EsormContainer
from esorm.domain import Aggregate, RecordedEvent
from esorm.events import DispatchReport, HandlerFailure, Message, MessageBus
from esorm.outbox import OutboxRelay, RelayReport


class PostPublished(BaseModel):
    post_id: str


class Post(Aggregate):
    id: str
    title: str

    def publish(self) -> RecordedEvent[PostPublished]:
        return self.record_event(PostPublished(post_id=self.id))


bus = MessageBus(on_failure=lambda failure: print(failure.handler_name))


@bus.handles(PostPublished)
async def count(message: Message[PostPublished]) -> None:
    assert_type(message.event, PostPublished)
    assert_type(message.id, str)
    assert_type(message.redelivered, bool)


async def log_failure(failure: HandlerFailure) -> None:
    assert_type(failure.error, Exception)


bus.subscribe(PostPublished, count)
bus.on_failure = log_failure


def check_title(post: Post) -> None:
    if not post.title:
        raise ValueError("a post needs a title")


registry = Registry()
registry.register(Post, outbox=True, before_write=check_title)


class BlogUnitOfWork(UnitOfWork):
    posts: Repository[Post]


class Container(EsormContainer):
    bus = providers.Singleton(lambda: bus)
    unit_of_work = providers.Factory(
        BlogUnitOfWork,
        client=EsormContainer.client,
        registry=EsormContainer.registry,
        bus=bus,
    )


async def use(client: AsyncElasticsearch) -> None:
    async def before(uow: UnitOfWork) -> None:
        return None

    async with BlogUnitOfWork(client, registry, bus=bus, before_commit=[before]) as uow:
        recorded = uow.posts.add(Post(id="1", title="Hi")).publish()
        assert_type(recorded, RecordedEvent[PostPublished])
        result = await uow.commit()
        assert_type(result.dispatched, DispatchReport)
    container = Container(registry=registry)
    assert_type(container.bus(), MessageBus)
    assert_type(container.unit_of_work(), BlogUnitOfWork)
    relay = OutboxRelay(client, registry, bus)
    report = await relay.run_once(limit=100)
    assert_type(report, RelayReport)
