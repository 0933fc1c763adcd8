"""Small helpers integration tests share: registering entities and seeding documents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel

from esorm.indices import IndexManager
from esorm.mapping import Registry
from esorm.uow import UnitOfWork


async def seed(make_uow: Callable[..., UnitOfWork], *entities: BaseModel, **options: Any) -> None:
    """Add `entities` in one unit of work and commit them, refreshed for searches."""
    async with make_uow(refresh=True, **options) as uow:
        for entity in entities:
            uow.add(entity)
        await uow.commit()


async def registered(
    client: AsyncElasticsearch, prefix: str, *entities: type[BaseModel], **options: Any
) -> Registry:
    """A registry of `entities` (each registered with `options`) with their indices created."""
    registry = Registry(prefix=prefix)
    for entity in entities:
        registry.register(entity, **options)
    await IndexManager(client, registry).create_all()
    return registry


async def store(client: AsyncElasticsearch, registry: Registry, *entities: BaseModel) -> None:
    """Write `entities` through a unit of work on `registry`, refreshed for searches."""
    await seed(lambda **options: UnitOfWork(client, registry, **options), *entities)
