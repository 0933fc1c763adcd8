"""Checked by mypy, never run: the README's DI pattern types as users write it."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import assert_type

from dependency_injector import providers
from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel

from esorm import Registry, Repository, UnitOfWork
from esorm.client import ConnectionSettings
from esorm.di import EsormContainer


class User(BaseModel):
    id: str
    first_name: str


class BlogUnitOfWork(UnitOfWork):
    users: Repository[User]


class Container(EsormContainer):
    unit_of_work = providers.Factory(
        BlogUnitOfWork, client=EsormContainer.client, registry=EsormContainer.registry
    )


async def readme(registry: Registry) -> None:
    container = Container(registry=registry)  # settings from ESORM_URL etc.
    await container.init_resources()  # waits for the server if asked
    uow = container.unit_of_work()  # a fresh unit of work per call
    assert_type(uow, BlogUnitOfWork)
    async with uow:
        assert_type(await uow.users.get("42"), User)
    await container.shutdown_resources()


async def wiring(registry: Registry, settings: ConnectionSettings) -> None:
    container = Container(registry=registry)
    container.settings.override(providers.Object(settings))
    container.wait_for_server.override(providers.Object(5.0))
    assert_type(container.client(), AsyncElasticsearch)
    assert_type(container.registry(), Registry)
    assert_type(container.init_resources(providers.Resource), Awaitable[None] | None)
    async with container.unit_of_work() as uow:
        assert_type(uow, BlogUnitOfWork)
