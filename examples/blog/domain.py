"""The blog's domain: plain pydantic entities with their own behaviour, no persistence."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Annotated

from pydantic import BaseModel, Field

from esorm.domain import Aggregate, One, Text

COUNTED_EVENTS = 100
"""How many publication events a user remembers having counted."""


class PostPublished(BaseModel):
    """A domain event: a post went out. Its author's counter follows from it."""

    post_id: str
    author_id: str
    title: str


class User(BaseModel):
    """Someone who writes posts; lives in one region."""

    id: str
    name: str
    email: str
    region: str
    posts_published: int = 0
    counted: list[str] = Field(default_factory=list)
    """The ids of the latest publication events counted: a repeated delivery counts once."""

    def count_published(self, event_id: str) -> bool:
        """Count one published post, once per event; False when it was counted already."""
        if event_id in self.counted:
            return False
        self.posts_published += 1
        self.counted = [*self.counted[-(COUNTED_EVENTS - 1) :], event_id]
        return True

    def rename(self, name: str) -> None:
        """Change the display name; blank names are refused."""
        name = name.strip()
        if not name:
            raise ValueError(f"user {self.id!r}: a name cannot be blank")
        self.name = name


class Post(Aggregate):
    """A published post, stored in its author's region; records what happens to it."""

    id: str
    author_id: str
    region: str
    title: str
    body: Annotated[str, Text()]
    tags: list[str] = Field(default_factory=list)
    published_at: datetime.datetime
    revision: int = 1
    created_at: datetime.datetime | None = None
    updated_at: datetime.datetime | None = None
    author: One[User] = One()
    """Loaded by the repository on request; never stored, never makes the post dirty."""

    @classmethod
    def publish(
        cls,
        post_id: str,
        author: User,
        *,
        title: str,
        body: str,
        tags: Iterable[str] = (),
        at: datetime.datetime,
    ) -> Post:
        """A new post by `author`, in the author's region, that records `PostPublished`."""
        post = cls(
            id=post_id,
            author_id=author.id,
            region=author.region,
            title=title,
            body=body,
            tags=list(tags),
            published_at=at,
        )
        post.record_event(PostPublished(post_id=post_id, author_id=author.id, title=title))
        return post

    def edit(
        self,
        *,
        title: str | None = None,
        body: str | None = None,
        tags: Sequence[str] | None = None,
    ) -> None:
        """Change title, body and/or tags; every edit that changes something bumps the
        revision."""
        changed = False
        if title is not None and title != self.title:
            self.title = title
            changed = True
        if body is not None and body != self.body:
            self.body = body
            changed = True
        if tags is not None and list(tags) != self.tags:
            self.tags = list(tags)
            changed = True
        if changed:
            self.revision += 1
