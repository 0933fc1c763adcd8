"""Entities and a registry shared by the unit-of-work tests: plain pydantic, no esorm import."""

from __future__ import annotations

import datetime

from pydantic import BaseModel, Field

from esorm.mapping import Registry, Timestamps
from esorm.repository import Repository
from esorm.uow import UnitOfWork


class User(BaseModel):
    id: str | None = None
    first_name: str
    region: str = "eu"
    tags: list[str] = Field(default_factory=list)


class Post(BaseModel):
    id: str | None = None
    author_id: str
    title: str
    region: str = "eu"


class Counter(BaseModel):
    id: str
    value: int = 0


class Note(BaseModel):
    """No id field: esorm generates ids and keeps them outside the entity."""

    text: str


class Stamped(BaseModel):
    id: str
    text: str
    created_at: datetime.datetime | None = None
    updated_at: datetime.datetime | None = None


class Limited(BaseModel):
    id: str
    name: str = Field(max_length=5)


class Coded(BaseModel):
    """Its `code` is a string in Python but mapped as long, so the server can refuse it."""

    id: str
    code: str


class Order(BaseModel):
    """Routed by the region its id starts with: `eu:17`."""

    id: str
    total: int = 0


def blog_registry() -> Registry:
    registry = Registry()
    registry.register(User, index="users")
    registry.register(Post, index="posts", routing=lambda post: post.region)
    registry.register(Counter, index="counters")
    registry.register(Note, index="notes", id=None)
    registry.register(Stamped, index="stamped", timestamps=Timestamps())
    registry.register(Limited, index="limited")
    registry.register(Coded, index="coded", fields={"code": {"type": "long"}})
    registry.register(
        Order,
        index="orders",
        routing=lambda order: order.id.split(":", 1)[0],
        routing_for_id=lambda doc_id: doc_id.split(":", 1)[0],
    )
    return registry


class BlogUnitOfWork(UnitOfWork):
    users: Repository[User]
    posts: Repository[Post]
    counters: Repository[Counter]
