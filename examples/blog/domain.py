"""The blog's domain: plain pydantic entities with their own behaviour, no persistence."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Annotated

from pydantic import BaseModel, Field

from esorm.domain import One, Text


class User(BaseModel):
    """Someone who writes posts; lives in one region."""

    id: str
    name: str
    email: str
    region: str

    def rename(self, name: str) -> None:
        """Change the display name; blank names are refused."""
        name = name.strip()
        if not name:
            raise ValueError(f"user {self.id!r}: a name cannot be blank")
        self.name = name


class Post(BaseModel):
    """A published post, stored in its author's region."""

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
