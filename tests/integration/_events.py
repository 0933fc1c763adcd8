"""Entities that record events, a registry of them, and a handler that remembers what it got."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable
from typing import Any

from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel, Field

from esorm.domain import Aggregate
from esorm.events import Message, MessageBus
from esorm.indices import IndexManager
from esorm.mapping import Registry
from esorm.repository import Repository
from esorm.store import DocumentStore
from esorm.uow import Flush, UnitOfWork


class Published(BaseModel):
    article_id: str
    title: str


@dataclasses.dataclass(frozen=True)
class Pinged:
    """A dataclass event: events need not be pydantic models."""

    target: str
    hops: int = 0


class Article(Aggregate):
    """Records events; kept in no outbox."""

    id: str
    title: str
    published: bool = False

    def publish(self) -> None:
        self.published = True
        self.record_event(Published(article_id=self.id, title=self.title))


class Story(Aggregate):
    """Records events into its own document (outbox), routed by region."""

    id: str
    title: str
    region: str = "eu"
    published_at: datetime.datetime | None = None

    def publish(self) -> None:
        self.record_event(Published(article_id=self.id, title=self.title))


class Tally(BaseModel):
    """Counts what handlers saw, remembering event ids so a repeat counts once."""

    id: str
    count: int = 0
    seen: list[str] = Field(default_factory=list)

    def take(self, event_id: str) -> None:
        if event_id not in self.seen:
            self.count += 1
            self.seen.append(event_id)


def events_registry(prefix: str = "") -> Registry:
    registry = Registry(prefix=prefix)
    registry.register(Article, index="articles")
    registry.register(Story, index="stories", outbox=True, routing=lambda story: story.region)
    registry.register(Tally, index="tallies")
    return registry


class EventsUnitOfWork(UnitOfWork):
    articles: Repository[Article]
    stories: Repository[Story]
    tallies: Repository[Tally]


async def events_indices(client: AsyncElasticsearch, prefix: str) -> Registry:
    registry = events_registry(prefix)
    await IndexManager(client, registry).create_all()
    return registry


MakeUow = Callable[..., EventsUnitOfWork]


def uow_factory(
    client: AsyncElasticsearch | DocumentStore, registry: Registry, **defaults: Any
) -> MakeUow:
    def make(**options: Any) -> EventsUnitOfWork:
        return EventsUnitOfWork(client, registry, **{**defaults, **options})

    return make


class Recorder:
    """An event handler that records every message it is given."""

    def __init__(self) -> None:
        self.messages: list[Message[Any]] = []

    async def __call__(self, message: Message[Any]) -> None:
        self.messages.append(message)

    @property
    def ids(self) -> list[str]:
        return [message.id for message in self.messages]


class Crash(BaseException):
    """Stands for the process dying: nothing after it runs (not an Exception)."""


class CrashAfterWrite:
    """A flush hook that "kills the process" once the writes are confirmed, before any
    event is dispatched: what a crash between commit and dispatch leaves behind."""

    def before_flush(self, flush: Flush) -> None:
        return None

    def after_flush(self, flush: Flush) -> None:
        if flush.confirmed():
            raise Crash("the process stopped after the commit")


def bus_with(*handlers: tuple[type[Any], Any], **options: Any) -> MessageBus:
    bus = MessageBus(**options)
    for event_type, handler in handlers:
        bus.subscribe(event_type, handler)
    return bus


async def registered(
    client: AsyncElasticsearch, prefix: str, *entities: tuple[type[BaseModel], dict[str, Any]]
) -> Registry:
    """A registry of `entities`, each with its registration options, indices created."""
    registry = Registry(prefix=prefix)
    for entity, options in entities:
        registry.register(entity, **options)
    await IndexManager(client, registry).create_all()
    return registry
