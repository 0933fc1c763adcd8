"""Checked by mypy (`make lint`), never run: the README's composition patterns (DI and
FastAPI) and the in-memory store in a container type as written."""

from __future__ import annotations

from typing import Annotated, assert_type

from dependency_injector import providers
from fastapi import Depends, FastAPI
from pydantic import BaseModel

from esorm import CommitResult, Registry, Repository, UnitOfWork, retry_on_conflict
from esorm.di import EsormContainer
from esorm.fastapi import unit_of_work_dependency
from esorm.testing import InMemoryStore


class User(BaseModel):
    id: str | None = None
    first_name: str
    region: str = "eu"


class BlogUnitOfWork(UnitOfWork):
    users: Repository[User]


class Container(EsormContainer):
    unit_of_work = providers.Factory(
        BlogUnitOfWork, client=EsormContainer.client, registry=EsormContainer.registry
    )


@retry_on_conflict(attempts=5)
async def rename(uow: BlogUnitOfWork, user_id: str, name: str) -> User:
    async with uow:  # enters, or joins an entered unit
        user = await uow.users.get(user_id)
        user.first_name = name
        await uow.commit()
        return user


async def di(registry: Registry) -> None:
    container = Container(registry=registry)
    assert_type(await rename(container.unit_of_work(), "42", "Jane"), User)
    async with container.unit_of_work() as uow:
        jane = await uow.users.get("42")
        assert await rename(uow, "42", "Jane") is jane
        assert_type(await uow.commit(), CommitResult)


def in_tests(registry: Registry, memory_store: InMemoryStore) -> Container:
    container = Container(registry=registry)
    container.unit_of_work.override(
        providers.Factory(BlogUnitOfWork, client=memory_store, registry=registry)
    )
    assert_type(container.unit_of_work(), BlogUnitOfWork)
    return container


def app(container: Container) -> FastAPI:
    api = FastAPI()
    get_uow = unit_of_work_dependency(container.unit_of_work)
    Uow = Annotated[BlogUnitOfWork, Depends(get_uow)]

    @api.put("/users/{user_id}/name")
    async def put_name(user_id: str, name: str, uow: Uow) -> User:
        return await rename(uow, user_id, name)

    @api.post("/users/{user_id}/capitalize")
    async def capitalize(user_id: str, uow: Uow) -> User:
        async def work(unit: BlogUnitOfWork) -> User:
            user = await unit.users.get(user_id)
            user.first_name = user.first_name.title()
            return user

        return await uow.run(work, attempts=5)

    del put_name, capitalize
    return api
