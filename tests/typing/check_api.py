"""Checked by mypy (`make lint`), never run: the public API types the way users expect."""

from __future__ import annotations

from typing import Any, assert_type

from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel

from esorm import (
    CommitResult,
    Found,
    HitStream,
    Registry,
    Repository,
    SearchResult,
    UnitOfWork,
    retry_on_conflict,
)
from esorm.mapping import EntityMapping
from esorm.query import Page, Pagination, SearchRequest
from esorm.store import DocumentStore, ElasticsearchStore


class User(BaseModel):
    id: str
    name: str


class Shop(UnitOfWork):
    users: Repository[User]


async def usage(client: AsyncElasticsearch) -> None:
    registry = Registry()
    assert_type(registry.register(User), EntityMapping[User])
    async with Shop(client, registry) as uow:
        assert_type(uow, Shop)
        assert_type(uow.users, Repository[User])
        assert_type(uow.repository(User), Repository[User])
        assert_type(await uow.users.get("1"), User)
        assert_type(await uow.users.find("1"), User | None)
        assert_type(await uow.users.get_many(["1"]), Found[User])
        assert_type(await uow.users.search({"match_all": {}}), SearchResult[User])
        assert_type(await uow.users.search_one(), User | None)
        assert_type(await uow.users.count(), int)
        assert_type(uow.users.iterate(), HitStream[User])
        assert_type(await uow.users.page({"match_all": {}}, Pagination(page=2)), Page[User])
        assert_type(
            await uow.users.aggregate(None, {"n": {"value_count": {"field": "id"}}}), dict[str, Any]
        )
        assert_type(
            await uow.users.search(sort="-name", size=5, load=None, track=False), SearchResult[User]
        )
        assert_type(await uow.users.all(page_size=100, keep_alive="1m"), list[User])
        assert_type(await uow.users.get("1", source_includes=["name"], routing=None), User)
        assert_type(await uow.users.execute(SearchRequest(size=1)), SearchResult[User])
        assert_type(uow.add(User(id="2", name="n")), User)
        assert_type(uow.store, DocumentStore)
        assert_type(await uow.commit(), CommitResult)
    async with Shop(ElasticsearchStore(client), registry) as on_store:  # a store works too
        assert_type(on_store.users, Repository[User])


@retry_on_conflict(attempts=3)
async def use_case(uow: Shop, user_id: str) -> str:
    async with uow:
        user = await uow.users.get(user_id)
        await uow.commit()
        return user.name


async def call(uow: Shop) -> None:
    assert_type(await use_case(uow, "1"), str)
