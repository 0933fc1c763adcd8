"""Edges of the unit of work found in review: removed, partial, put, re-added and aliased
entities, guards, streams, retries and relations across a commit."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

import pytest
from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel, ConfigDict, Field, computed_field

from esorm.errors import (
    ConflictError,
    IndexMissingError,
    InvalidEntityError,
)
from esorm.indices import IndexManager
from esorm.mapping import Registry, to_one
from esorm.repository import Repository
from esorm.testing import record_requests
from esorm.uow import UnitOfWork
from tests.integration._blog import BlogUnitOfWork, Counter, Note, Post, User
from tests.integration._support import seed

pytestmark = pytest.mark.integration

MakeUow = Callable[..., BlogUnitOfWork]


# -- entities that the shared blog registry does not have ---------------------------------------


class Profile(BaseModel):
    """A dict field and extras: things partial updates and dirty checks must handle."""

    model_config = ConfigDict(extra="allow")

    id: str
    name: str = ""
    attrs: dict[str, str] = Field(default_factory=dict)


class Article(BaseModel):
    id: str
    title: str

    @cached_property
    def slug(self) -> str:
        return self.title.lower().replace(" ", "-")


class EdgeUnitOfWork(UnitOfWork):
    profiles: Repository[Profile]
    articles: Repository[Article]


@pytest.fixture
async def edge_uow(
    es_client: AsyncElasticsearch, index_prefix: str
) -> Callable[..., EdgeUnitOfWork]:
    registry = Registry().with_prefix(index_prefix + "r_")
    registry.register(Profile, index="profiles")
    registry.register(Article, index="articles")
    await IndexManager(es_client, registry).create_all()

    def make(**options: Any) -> EdgeUnitOfWork:
        return EdgeUnitOfWork(es_client, registry, **options)

    return make


# -- a removed entity is gone for reads in its unit ---------------------------------------------


# -- put() then remove() forgets the put --------------------------------------------------------


async def test_put_then_remove_does_not_delete_the_stored_document(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    await seed(make_uow, User(id="keep", first_name="Stored"))
    async with make_uow() as uow:
        imported = uow.users.put(User(id="keep", first_name="Import"))
        uow.users.remove(imported)  # changed my mind: drop the pending import
        with record_requests(es_client) as log:
            await uow.commit()
        # like add()+remove(), put()+remove() is forgotten: nothing to guard a delete with
        assert [line for r in log.to("_bulk") for line in r.ndjson()] == []
    index = registry.mapping_for(User).index
    assert (await es_client.exists(index=index, id="keep")).body is True


# -- a full read completes a partially loaded entity --------------------------------------------


async def test_full_get_after_partial_search_does_not_lose_data(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    await seed(make_uow, User(id="p", first_name="Ann", region="us", tags=["keep"]))
    async with make_uow() as uow:
        await uow.users.search(source_includes=["first_name"])  # e.g. a name list
        user = await uow.users.get("p")  # a full read, no source filtering asked
        assert (user.region, user.tags) == ("us", ["keep"]), "get() returned default values"
        user.tags.append("new")
        await uow.commit()
    stored = (await es_client.get(index=registry.mapping_for(User).index, id="p"))["_source"]
    assert stored["tags"] == ["keep", "new"]


# -- partial updates replace changed fields whole -----------------------------------------------


async def test_partial_update_removes_dict_keys(
    edge_uow: Callable[..., EdgeUnitOfWork], es_client: AsyncElasticsearch
) -> None:
    async with edge_uow(refresh=True) as uow:
        uow.profiles.add(Profile(id="1", name="n", attrs={"a": "1", "b": "2"}))
        await uow.commit()
    async with edge_uow(refresh=True) as uow:
        profile = await uow.profiles.get("1", source_includes=["attrs"])
        del profile.attrs["b"]
        await uow.commit()
    async with edge_uow() as uow:
        assert (await uow.profiles.get("1")).attrs == {"a": "1"}


# -- partial updates carry changed extras -------------------------------------------------------


async def test_partial_update_writes_changed_extras(
    edge_uow: Callable[..., EdgeUnitOfWork],
) -> None:
    async with edge_uow(refresh=True) as uow:
        uow.profiles.add(Profile(id="1", name="n", color="red"))
        await uow.commit()
    async with edge_uow(refresh=True) as uow:
        profile = await uow.profiles.get("1", source_includes=["name", "color"])
        assert profile.__pydantic_extra__ == {"color": "red"}
        profile.__pydantic_extra__["color"] = "blue"
        result = await uow.commit()
        assert result.updated == 1
    async with edge_uow() as uow:
        stored = await uow.profiles.get("1")
        assert stored.__pydantic_extra__ == {"color": "blue"}


# -- cached properties are not fields -----------------------------------------------------------


async def test_reading_a_cached_property_does_not_make_the_entity_dirty(
    edge_uow: Callable[..., EdgeUnitOfWork], es_client: AsyncElasticsearch
) -> None:
    async with edge_uow(refresh=True) as uow:
        uow.articles.add(Article(id="1", title="Hello World"))
        await uow.commit()
    async with edge_uow() as uow:
        article = await uow.articles.get("1")
        assert article.slug == "hello-world"  # a read, not a change
        with record_requests(es_client) as log:
            result = await uow.commit()
        assert len(log) == 0 and result.written == 0


# -- put() and re-adds set created_at -----------------------------------------------------------


# -- pages without total counting say their total is a lower bound ------------------------------


# -- a stream frees its point in time when it ends ----------------------------------------------


async def test_point_in_time_closed_when_a_plain_stream_ends(
    make_uow: MakeUow, es_client: AsyncElasticsearch
) -> None:
    await seed(make_uow, *(Counter(id=str(i), value=i) for i in range(15)))
    async with make_uow() as uow:
        stream = uow.counters.iterate(page_size=10)
        with record_requests(es_client) as log:
            seen = [counter.value async for counter in stream]
        assert len(seen) == 15
        assert [r.method for r in log.requests if r.endpoint == "_pit"] == ["POST", "DELETE"]
        assert stream.pit_id is None


# -- handing the unit to another task (asyncio.wait_for) works ----------------------------------


# -- streams and aggregations respect the unit's block ------------------------------------------


# -- an alias keeps one instance per document ---------------------------------------------------


async def test_alias_backed_index_keeps_one_instance_per_document(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    registry = Registry().with_prefix(index_prefix)
    mapping = registry.register(User, index="aliased")
    body = mapping.index_body()
    await es_client.indices.create(
        index=mapping.index + "-v1",
        mappings=body["mappings"],
        aliases={mapping.index: {"is_write_index": True}},
    )
    async with UnitOfWork(es_client, registry, refresh=True) as uow:
        users = uow.repository(User)
        added = users.add(User(id="a", first_name="A"))
        await uow.commit()
        (hit,) = (await users.search()).items
        assert hit is added, "the same document is tracked twice, as two instances"


# -- a refused commit leaves timestamps as they were --------------------------------------------


# -- a new entity is routed as it is at commit --------------------------------------------------


async def test_new_entity_is_created_with_the_routing_of_its_committed_state(
    make_uow: MakeUow, es_client: AsyncElasticsearch
) -> None:
    async with make_uow() as uow:
        post = uow.posts.add(Post(id="p", author_id="a", title="t", region="eu"))
        post.region = "us"  # still unsent: the document will say region "us"
        with record_requests(es_client) as log:
            try:
                await uow.commit()
            except InvalidEntityError:
                return  # refusing (as for a loaded entity) would be fine too
    action, source = log.to("_bulk")[0].ndjson()
    assert source["region"] == "us"
    # routed as the document says ("us"), so reads routed by region find it
    assert action["create"]["routing"] == "us"


# -- re-adding a removed document with other routing is refused ---------------------------------


async def test_readding_with_a_new_routing_does_not_leave_the_old_document(
    make_uow: MakeUow, es_client: AsyncElasticsearch
) -> None:
    await seed(make_uow, Post(id="p", author_id="a", title="old", region="eu"))
    async with make_uow() as uow:
        uow.posts.remove(await uow.posts.get("p", routing="eu"))
        with record_requests(es_client) as log:
            try:
                uow.posts.add(Post(id="p", author_id="a", title="new", region="us"))
                await uow.commit()
            except InvalidEntityError:
                return  # refusing before sending would be fine
    lines = [line for r in log.to("_bulk") for line in r.ndjson()]
    actions = [
        next(iter(line.items())) for line in lines if set(line) <= {"index", "delete", "create"}
    ]
    # had it been sent, it would have to delete the "eu" copy: an `index` routed "us" and
    # guarded by the "eu" document's seq_no can never succeed on a multi-shard index
    assert ("delete", {**actions[0][1], "routing": "eu"}) in actions or all(
        body.get("routing") == "eu" for _, body in actions
    ), actions


# -- partial updates check the id and refresh computed fields -----------------------------------


async def test_partial_update_refuses_an_id_change(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    await seed(make_uow, User(id="fixed", first_name="F"))
    async with make_uow() as uow:
        user = await uow.users.get("fixed", source_includes=["first_name", "id"])
        user.id = "moved"
        with record_requests(es_client) as log, pytest.raises(InvalidEntityError):
            await uow.commit()  # refused like a full write: a document's id cannot change
        assert len(log) == 0
    stored = (await es_client.get(index=registry.mapping_for(User).index, id="fixed"))["_source"]
    assert stored["id"] == "fixed"


class Person(BaseModel):
    id: str
    first: str = ""
    last: str = ""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def full_name(self) -> str:
        return f"{self.first} {self.last}"


async def test_partial_update_of_an_entity_with_computed_fields_is_refused(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    registry = Registry().with_prefix(index_prefix + "c_")
    mapping = registry.register(Person, index="people")
    await IndexManager(es_client, registry).create_all()
    async with UnitOfWork(es_client, registry, refresh=True) as uow:
        uow.add(Person(id="1", first="Ann", last="Lee"))
        await uow.commit()
    async with UnitOfWork(es_client, registry, refresh=True) as uow:
        person = await uow.repository(Person).get("1", source_includes=["first"])
        person.first = "Bea"
        # full_name would be computed from the default `last`: refused, nothing sent
        with pytest.raises(InvalidEntityError, match="computed fields"):
            await uow.commit()
    stored = (await es_client.get(index=mapping.index, id="1"))["_source"]
    assert stored["full_name"] == "Ann Lee", stored


# -- a missing index is named, also for searches ------------------------------------------------


async def test_search_on_a_missing_index_raises_index_missing(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    registry = Registry().with_prefix(index_prefix + "m_")
    registry.register(Counter, index="never_created")
    async with UnitOfWork(es_client, registry) as uow:
        with pytest.raises(IndexMissingError):  # as get() does
            await uow.repository(Counter).search()


# -- loaded relations stay the tracked instances after a commit ---------------------------------


async def test_commit_keeps_loaded_relations_pointing_at_tracked_entities(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    from tests.integration.test_relations import Post as RPost
    from tests.integration.test_relations import User as RUser

    registry = Registry().with_prefix(index_prefix + "rel_")
    registry.register(RUser)
    registry.register(RPost, relations={"author": to_one(RUser, key="author_id")})
    await IndexManager(es_client, registry).create_all()
    async with UnitOfWork(es_client, registry, refresh=True) as uow:
        uow.add(RUser(id="u", first_name="Ann"))
        uow.add(RPost(id="p", author_id="u", title="t"))
        await uow.commit()
    async with UnitOfWork(es_client, registry) as uow:
        post = await uow.repository(RPost).get("p", load=["author"])
        author = await uow.repository(RUser).get("u")
        assert post.author.get() is author
        post.title = "edited"
        await uow.commit()  # writes the post; its snapshot never copies the related graph
        assert post.author.get() is author, "post.author now holds a detached copy"
        related = post.author.get()
        assert related is not None
        related.first_name = "Bea"  # a change through the relation
        result = await uow.commit()
        assert result.updated == 1  # is written like any other


# -- retry never repeats writes that went through -----------------------------------------------


async def test_retry_does_not_repeat_writes_that_succeeded(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    await seed(make_uow, Counter(id="c", value=0))
    attempts = 0

    async def increment_and_log(uow: BlogUnitOfWork) -> None:
        nonlocal attempts
        attempts += 1
        counter = await uow.counters.get("c")
        if attempts == 1:  # a concurrent writer gets there first, once
            async with make_uow() as other:
                (await other.counters.get("c")).value += 100
                await other.commit()
        counter.value += 1
        uow.add(Note(text=f"incremented (attempt {attempts})"))  # an audit record

    with pytest.raises(ConflictError) as caught:
        await make_uow(refresh=True).run(increment_and_log, attempts=3)
    # the note was written before the counter's conflict: running the use case again would
    # write a second one, so the conflict is raised at once, saying one write went through
    assert attempts == 1
    assert caught.value.written == 1
    index = registry.mapping_for(Note).index
    await es_client.indices.refresh(index=index)
    assert (await es_client.count(index=index))["count"] == 1


# -- put() of a tracked instance is last-write-wins ---------------------------------------------


# -- a change made while a write is under way stays a change -------------------------------------


async def test_a_change_made_while_the_write_is_under_way_is_not_marked_clean(
    make_uow: MakeUow, es_client: AsyncElasticsearch
) -> None:
    async with make_uow(refresh=True) as uow:
        user = uow.users.add(User(id="race", first_name="sent"))
        original = es_client.transport.perform_request

        async def change_while_answering(method: str, target: str, **kwargs: Any) -> Any:
            answer = await original(method, target, **kwargs)
            if target.split("?")[0].endswith("_bulk"):
                user.first_name = "changed meanwhile"  # after the body went out
            return answer

        es_client.transport.perform_request = change_while_answering  # type: ignore[method-assign]
        try:
            await uow.commit()
        finally:
            es_client.transport.perform_request = original  # type: ignore[method-assign]
        assert (await uow.commit()).updated == 1  # the late change is still pending
    async with make_uow() as uow:
        assert (await uow.users.get("race")).first_name == "changed meanwhile"
