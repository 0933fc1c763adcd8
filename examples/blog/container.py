"""Dependency injection: settings -> client -> a fresh `BlogUnitOfWork` per use case."""

from __future__ import annotations

from dependency_injector import providers

from esorm.di import EsormContainer
from examples.blog.uow import BlogUnitOfWork


class BlogContainer(EsormContainer):
    """`EsormContainer` whose unit of work is the blog's, with its declared repositories.

    Commits wait until their writes are searchable (`refresh="wait_for"`), so a listing
    right after a commit shows it; override `refresh` with False for bulk loads.
    """

    refresh = providers.Object("wait_for")
    unit_of_work = providers.Factory(
        BlogUnitOfWork,
        client=EsormContainer.client,
        registry=EsormContainer.registry,
        refresh=refresh,
    )
