"""The blog's unit of work: one repository per aggregate, one commit for everything."""

from __future__ import annotations

from esorm import Repository, UnitOfWork
from examples.blog.domain import Post, User


class BlogUnitOfWork(UnitOfWork):
    """Declares the repositories the use cases need; esorm creates them per unit."""

    users: Repository[User]
    posts: Repository[Post]
