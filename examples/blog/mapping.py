"""Where the blog's entities live: indices, routing, timestamps, default sort, the outbox."""

from __future__ import annotations

from esorm.mapping import Registry, to_one
from examples.blog.domain import Post, User

POSTS_SORT = ["-published_at", "id"]
"""Newest first; the id breaks ties so pages never overlap."""


def blog_registry(prefix: str = "") -> Registry:
    """The registry of the blog; `prefix` keeps runs and tenants apart on one cluster."""
    registry = Registry(prefix=prefix)
    registry.register(User, index="users", default_sort="name", dynamic="strict")
    registry.register(
        Post,
        index="posts",
        routing=lambda post: post.region,
        timestamps=True,
        default_sort=POSTS_SORT,
        dynamic="strict",
        relations={"author": to_one(User, key="author_id")},
        outbox=True,  # its events are written into its document with the change
    )
    return registry
