"""The README's five-minute tour, statement for statement, against the real server.

If this test breaks, the README is lying; fix whichever of the two is wrong.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import pytest
from dependency_injector import providers
from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel

from esorm import (
    ConflictError,
    IndexManager,
    Registry,
    Repository,
    Timestamps,
    UnitOfWork,
    retry_on_conflict,
)
from esorm.di import EsormContainer
from esorm.domain import Aggregate, Many, One, Text
from esorm.events import Message, MessageBus
from esorm.mapping import to_many, to_one
from esorm.outbox import OutboxRelay
from esorm.query import Pagination, Sort
from esorm.testing import RunningServer, record_requests

pytestmark = pytest.mark.e2e


class User(BaseModel):
    id: str | None = None
    first_name: str
    region: str
    posts: Many[Post] = Many()


class Post(BaseModel):
    id: str | None = None
    author_id: str
    title: Annotated[str, Text(keyword=True)]
    region: str
    created_at: datetime | None = None
    updated_at: datetime | None = None
    author: One[User] = One()


class BlogUnitOfWork(UnitOfWork):
    users: Repository[User]
    posts: Repository[Post]


def tour_registry(prefix: str) -> Registry:
    registry = Registry(prefix=prefix)
    registry.register(User, index="users")
    registry.register(
        Post,
        index="posts",
        routing=lambda post: post.region,
        timestamps=Timestamps(),
        default_sort="-created_at",
        relations={"author": to_one(User, key="author_id")},
    )
    registry.relate(User, {"posts": to_many(Post, key="author_id")})
    return registry


async def test_the_tour(
    es_client: AsyncElasticsearch, index_prefix: str, esorm_server: RunningServer
) -> None:
    client = es_client
    registry = tour_registry(index_prefix + "blog_")
    await IndexManager(client, registry).create_all()
    async with BlogUnitOfWork(client, registry, refresh=True) as seed:
        seed.users.add(User(id="42", first_name="Ann", region="eu"))
        await seed.commit()

    # unit of work and repositories
    async with BlogUnitOfWork(client, registry, refresh=True) as uow:
        user = await uow.users.get("42")
        assert await uow.users.get("42") is user
        user.first_name = "Jane"
        uow.posts.add(Post(author_id=user.id or "", title="Hi", region=user.region))
        with record_requests(client) as log:
            await uow.commit()
        assert [r.endpoint for r in log.requests] == ["_bulk"]

    # an import: a unit of work per batch (into indices of its own)
    async def import_users(
        client: AsyncElasticsearch, registry: Registry, users: list[User]
    ) -> None:
        for start in range(0, len(users), 10_000):
            async with UnitOfWork(client, registry) as uow:
                uow.repository(User).add_all(users[start : start + 10_000])
                await uow.commit()

    imports = tour_registry(index_prefix + "import_")
    await IndexManager(client, imports).create_all()
    await import_users(
        client, imports, [User(id=f"i{n}", first_name="I", region="eu") for n in range(20_001)]
    )
    await client.indices.refresh(index=imports.mapping_for(User).index)
    assert (await client.count(index=imports.mapping_for(User).index))["count"] == 20_001

    # conflicts and retry
    async with BlogUnitOfWork(client, registry) as first, BlogUnitOfWork(client, registry) as other:
        (await first.users.get("42")).first_name = "First"
        (await other.users.get("42")).first_name = "Other"
        await first.commit()
        with pytest.raises(ConflictError) as caught:
            await other.commit()
        assert str(caught.value.failures[0]).startswith(f"User '42' in '{index_prefix}blog_users'")

    @retry_on_conflict(attempts=10)
    async def rename(uow: BlogUnitOfWork, user_id: str, name: str) -> None:
        async with uow:
            (await uow.users.get(user_id)).first_name = name
            await uow.commit()

    await rename(BlogUnitOfWork(client, registry, refresh=True), "42", "Jane")

    # queries, pagination, sort
    async with BlogUnitOfWork(client, registry) as uow:
        P = uow.posts.fields
        recent = await uow.posts.search(
            (P.region == "eu") & P.title.match("hi"), sort=Sort(P.created_at.desc()), size=20
        )
        assert [p.title for p in recent] == ["Hi"]
        page = await uow.posts.page(P.author_id == "42", Pagination(page=1, page_size=10))
        assert (page.total, page.total_is_exact, page.pages) == (1, True, 1)
        assert len(await uow.users.search_by_fields(first_name="a OR b")) == 0
        assert await uow.posts.count(P.region == "eu") == 1
        aggs = await uow.posts.aggregate(aggs={"per_region": {"terms": {"field": "region"}}})
        assert aggs["per_region"]["buckets"][0]["key"] == "eu"
        assert [u.first_name for u in await uow.users.all()] == ["Jane"]
        async with uow.posts.iterate(P.region == "eu", page_size=1000) as stream:
            assert [post.title async for post in stream] == ["Hi"]

    # relations, in batches (a fresh unit: a tracked author would need no request at all)
    async with BlogUnitOfWork(client, registry) as uow:
        P = uow.posts.fields
        with record_requests(client) as log:
            result = await uow.posts.search(P.region == "eu", size=100, load=["author"])
        assert len(log) == 2
        assert result.items[0].author.get() is await uow.users.get("42")
        users = [post.author.get() for post in result]
        with record_requests(client) as log:
            await uow.users.load(users, "posts")  # type: ignore[arg-type]
        assert len(log) == 1
        assert [p.title for p in users[0].posts.get()] == ["Hi"]  # type: ignore[union-attr]

    # dependency injection
    class Container(EsormContainer):
        unit_of_work = providers.Factory(
            BlogUnitOfWork, client=EsormContainer.client, registry=EsormContainer.registry
        )

    container = Container(registry=registry)
    container.settings.override(providers.Object(esorm_server.settings))
    await container.init_resources()
    try:
        async with container.unit_of_work() as unit:
            assert (await unit.repository(User).get("42")).first_name == "Jane"
    finally:
        await container.shutdown_resources()


class ArticlePublished(BaseModel):
    article_id: str
    author_id: str


class Article(Aggregate):
    id: str
    author_id: str
    title: str
    published: bool = False

    def publish(self) -> None:
        self.published = True
        self.record_event(ArticlePublished(article_id=self.id, author_id=self.author_id))


class Author(BaseModel):
    id: str
    articles: int = 0


async def test_the_events_section(es_client: AsyncElasticsearch, index_prefix: str) -> None:
    client = es_client
    registry = Registry(prefix=index_prefix)
    registry.register(Article, outbox=True)
    registry.register(Author)
    await IndexManager(client, registry).create_all()
    async with UnitOfWork(client, registry, refresh=True) as uow:  # seeded, no events yet
        uow.add(Article(id="7", author_id="ann", title="Events"))
        uow.add(Author(id="ann"))
        await uow.commit()

    bus = MessageBus()

    @bus.handles(ArticlePublished)
    async def count_article(message: Message[ArticlePublished]) -> None:
        async with UnitOfWork(client, registry, bus=bus) as uow:  # a unit of its own
            author = await uow.repository(Author).get(message.event.author_id)
            author.articles += 1
            await uow.commit()

    async with UnitOfWork(client, registry, bus=bus) as uow:
        article = await uow.repository(Article).get("7")
        article.publish()
        assert len(article.recorded_events) == 1
        result = await uow.commit()  # written first, then handled
        assert [m.event for m in result.dispatched.delivered] == [
            ArticlePublished(article_id="7", author_id="ann")
        ]
        assert result.dispatched.failures == ()
    async with UnitOfWork(client, registry) as uow:
        assert (await uow.repository(Author).get("ann")).articles == 1
        assert (await uow.repository(Article).get("7")).published

    relay = OutboxRelay(client, registry, bus)  # nothing left over for it
    report = await relay.run_once(limit=1000)
    assert report.documents == 0 and report.ok
