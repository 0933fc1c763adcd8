"""Dependency injection: settings -> client -> a fresh `BlogUnitOfWork` per use case, and the
bus its commits hand their events to."""

from __future__ import annotations

from typing import Any

from dependency_injector import providers

from esorm.di import EsormContainer
from esorm.events import MessageBus
from examples.blog.handlers import blog_bus
from examples.blog.uow import BlogUnitOfWork


def _bus_of(container: Any) -> MessageBus:
    """The bus, its handlers opening units of work from the same container."""
    return blog_bus(lambda: container.unit_of_work())


class BlogContainer(EsormContainer):
    """`EsormContainer` whose unit of work is the blog's, with its declared repositories.

    Commits wait until their writes are searchable (`refresh="wait_for"`), so a listing
    right after a commit shows it; override `refresh` with False for bulk loads. Every
    unit of work hands the events its commits confirm to the one `bus`.
    """

    __self__ = providers.Self()
    refresh = providers.Object("wait_for")
    bus = providers.Singleton(_bus_of, __self__)
    unit_of_work = providers.Factory(
        BlogUnitOfWork,
        client=EsormContainer.client,
        registry=EsormContainer.registry,
        refresh=refresh,
        bus=bus,
    )
