"""The benchmark's entities, their esorm registry and deterministic data to fill them with."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from esorm.domain import One
from esorm.mapping import Registry, to_one

REGIONS = ("eu", "us", "apac", "latam", "africa")


class User(BaseModel):
    """A small entity: five scalar fields."""

    id: str
    first_name: str
    last_name: str
    age: int
    region: str


class Author(BaseModel):
    """The target of a to-one relation."""

    id: str
    name: str


class Post(BaseModel):
    """Refers to its author by id; what the raw client's rows validate into."""

    id: str
    title: str
    author_id: str


class LinkedPost(BaseModel):
    """The same post document as esorm's relations see it: `author` loads through `author_id`."""

    id: str
    title: str
    author_id: str
    author: One[Author] = One()


def make_registry(prefix: str) -> Registry:
    """The entities under one index prefix; every library uses these same indices.

    Posts are registered as `LinkedPost` (index `post`), so esorm can load their authors.
    """
    registry = Registry(prefix=prefix)
    registry.register(User)
    registry.register(Author)
    registry.register(
        LinkedPost, index="post", relations={"author": to_one(Author, key="author_id")}
    )
    return registry


def user_sources(count: int) -> list[dict[str, Any]]:
    """`count` user documents as plain dicts, the same on every call."""
    return [
        {
            "id": f"u{i:06}",
            "first_name": f"first{i}",
            "last_name": f"last{i % 997}",
            "age": 18 + i % 70,
            "region": REGIONS[i % len(REGIONS)],
        }
        for i in range(count)
    ]


def author_sources(count: int) -> list[dict[str, Any]]:
    return [{"id": f"a{i:03}", "name": f"author {i}"} for i in range(count)]


def post_sources(count: int, authors: int) -> list[dict[str, Any]]:
    return [
        {"id": f"p{i:04}", "title": f"post {i}", "author_id": f"a{i % authors:03}"}
        for i in range(count)
    ]


def canned_hits(index: str, sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Search hits as the server returns them (with versions), for the no-server workloads."""
    return [
        {
            "_index": index,
            "_id": source["id"],
            "_seq_no": position,
            "_primary_term": 1,
            "_score": 1.0,
            "_source": dict(source),
        }
        for position, source in enumerate(sources)
    ]
