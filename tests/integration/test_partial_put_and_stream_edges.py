"""Edges found in a second review: relation streams inside operations, partial entities,
put/remove sequences, timestamps of failed writes, retries and streams past removed pages."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import cached_property

import pytest
from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel, ConfigDict, Field

from esorm.errors import ConflictError, IndexMissingError, InvalidEntityError
from esorm.mapping import Registry
from esorm.testing import record_requests
from esorm.uow import UnitOfWork, retry_on_conflict
from tests.integration._blog import BlogUnitOfWork, Counter, Note, Post, User
from tests.integration._support import registered, seed, store
from tests.integration.test_relations import Comment, Setup, setup  # noqa: F401 (fixture)

pytestmark = pytest.mark.integration

MakeUow = Callable[..., BlogUnitOfWork]


# -- relation streams run inside the operation that started them -----------------------------------


async def test_two_relations_with_one_beyond_the_window_load(setup: Setup) -> None:  # noqa: F811
    make_uow = await setup(comment_window=5)
    from tests.integration.test_relations import Post as RPost
    from tests.integration.test_relations import User as RUser

    comments = [Comment(id=f"c{i:02}", post_id="p1", text="x") for i in range(12)]
    await seed(make_uow, RUser(id="a", first_name="A"), RPost(id="p1", author_id="a", title="t"))
    await seed(make_uow, *comments)
    async with make_uow() as uow:
        # two relations load concurrently (TaskGroup children); comments need a point in time,
        # whose HitStream enters `Session.operation()` from the child task
        post = await uow.posts.get("p1", load=["comments", "author"])
        assert len(post.comments.get()) == 12
        assert post.author.get() is not None


# -- put() of a partially loaded entity is refused -------------------------------------------------


async def test_put_of_a_partially_loaded_entity_keeps_unloaded_fields(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    await seed(make_uow, User(id="p", first_name="Ann", region="us", tags=["keep"]))
    async with make_uow() as uow:
        user = await uow.users.get("p", source_includes=["first_name"])
        user.first_name = "Bea"
        with pytest.raises(InvalidEntityError, match="part of its fields"):
            uow.users.put(user)  # would overwrite region and tags with defaults
        await uow.commit()  # the change itself is still written, as a partial update
    stored = (await es_client.get(index=registry.mapping_for(User).index, id="p"))["_source"]
    assert (stored["first_name"], stored["region"], stored["tags"]) == ("Bea", "us", ["keep"])


# -- a field loaded with only some sub-fields is not written whole ---------------------------------


class Profile(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    name: str = ""
    attrs: dict[str, str] = Field(default_factory=dict)


async def test_partial_update_after_sub_field_include_keeps_other_keys(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    registry = await registered(es_client, index_prefix + "pf_", Profile)
    await store(es_client, registry, Profile(id="1", name="n", attrs={"a": "1", "b": "2"}))
    async with UnitOfWork(es_client, registry) as uow:
        profile = await uow.repository(Profile).get("1", source_includes=["attrs.a"])
        assert profile.attrs == {"a": "1"}
        profile.attrs["a"] = "changed"
        with pytest.raises(InvalidEntityError, match="only some of their sub-fields"):
            await uow.commit()  # writing attrs whole would drop "b"
    stored = (await es_client.get(index=registry.mapping_for(Profile).index, id="1"))["_source"]
    assert stored["attrs"] == {"a": "1", "b": "2"}, stored


async def test_partial_update_after_sub_field_exclude_keeps_excluded_keys(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    registry = await registered(es_client, index_prefix + "pe_", Profile)
    await store(es_client, registry, Profile(id="1", name="n", attrs={"a": "1", "secret": "s"}))
    async with UnitOfWork(es_client, registry) as uow:
        profile = await uow.repository(Profile).get("1", source_excludes=["attrs.secret"])
        profile.attrs["c"] = "3"
        with pytest.raises(InvalidEntityError, match="only some of their sub-fields"):
            await uow.commit()  # writing attrs whole would drop "secret"
    stored = (await es_client.get(index=registry.mapping_for(Profile).index, id="1"))["_source"]
    assert stored["attrs"] == {"a": "1", "secret": "s"}, stored


# -- a removed extra is removed from the stored document -------------------------------------------


async def test_partial_update_writes_a_removed_extra(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    registry = await registered(es_client, index_prefix + "px_", Profile)
    await store(es_client, registry, Profile(id="1", name="n", color="red"))
    async with UnitOfWork(es_client, registry) as uow:
        profile = await uow.repository(Profile).get("1", source_includes=["name", "color"])
        assert profile.__pydantic_extra__ == {"color": "red"}
        del profile.__pydantic_extra__["color"]
        await uow.commit()
    stored = (await es_client.get(index=registry.mapping_for(Profile).index, id="1"))["_source"]
    assert "color" not in stored, stored


# -- a failed write leaves the timestamps as they were ---------------------------------------------


# -- retry never repeats an earlier commit of the attempt ------------------------------------------


async def test_retry_does_not_repeat_an_earlier_commit_of_the_attempt(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    await seed(make_uow, Counter(id="c", value=0))
    attempts = 0

    @retry_on_conflict(attempts=3, base_delay=0)
    async def audited_increment() -> None:
        nonlocal attempts
        attempts += 1
        async with make_uow(refresh=True) as uow:
            counter = await uow.counters.get("c")
            uow.add(Note(text=f"about to increment (attempt {attempts})"))
            await uow.commit()  # the audit record first, in its own commit
            if attempts == 1:  # a concurrent writer gets there first, once
                async with make_uow() as other:
                    (await other.counters.get("c")).value += 100
                    await other.commit()
            counter.value += 1
            await uow.commit()

    # raising at once, as for a commit that wrote part of its work, would be fine
    with contextlib.suppress(ConflictError):
        await audited_increment()
    index = registry.mapping_for(Note).index
    await es_client.indices.refresh(index=index)
    assert (await es_client.count(index=index))["count"] == 1, "the audit note was written twice"


# -- remove, put, remove still deletes -------------------------------------------------------------


async def test_remove_then_put_then_remove_still_deletes(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    await seed(make_uow, User(id="u", first_name="Stored"))
    async with make_uow() as uow:
        uow.users.remove(await uow.users.get("u"))
        replacement = uow.users.put(User(id="u", first_name="Import"))
        uow.users.remove(replacement)  # drop the replacement: the removal stands
        await uow.commit()
    index = registry.mapping_for(User).index
    assert (await es_client.exists(index=index, id="u")).body is False


async def test_remove_then_add_then_remove_still_deletes(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    """Control for the put variant above: with add() the removal stands."""
    await seed(make_uow, User(id="u", first_name="Stored"))
    async with make_uow() as uow:
        uow.users.remove(await uow.users.get("u"))
        replacement = uow.users.add(User(id="u", first_name="New"))
        uow.users.remove(replacement)
        await uow.commit()
    index = registry.mapping_for(User).index
    assert (await es_client.exists(index=index, id="u")).body is False


async def test_remove_of_a_loaded_entity_after_put_deletes_it(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    await seed(make_uow, User(id="u", first_name="Stored"))
    async with make_uow() as uow:
        user = await uow.users.get("u")
        uow.users.put(user)
        uow.users.remove(user)  # loaded, so there is a document to delete
        await uow.commit()
    index = registry.mapping_for(User).index
    assert (await es_client.exists(index=index, id="u")).body is False


# -- a re-added document cannot move to another shard ----------------------------------------------


async def test_readd_over_removed_cannot_move_the_document_to_another_shard(
    make_uow: MakeUow, es_client: AsyncElasticsearch
) -> None:
    await seed(make_uow, Post(id="p", author_id="a", title="old", region="eu"))
    async with make_uow() as uow:
        uow.posts.remove(await uow.posts.get("p", routing="eu"))
        replacement = uow.posts.put(Post(id="p", author_id="a", title="new", region="eu"))
        replacement.region = "us"  # after track_new's routing check
        with record_requests(es_client) as log:
            try:
                await uow.commit()
            except Exception:
                return  # refusing is fine
    lines = [line for r in log.to("_bulk") for line in r.ndjson()]
    actions = [next(iter(line.items())) for line in lines if set(line) <= {"index", "delete"}]
    deleted_eu = any(a == "delete" and body.get("routing") == "eu" for a, body in actions)
    # an `index` routed "us" with no delete of the "eu" copy leaves two documents with one id
    assert deleted_eu or all(body.get("routing") == "eu" for _, body in actions), actions


# -- a stream goes on past a page of removed entities ----------------------------------------------


# -- put() of an added entity overwrites -----------------------------------------------------------


# -- exists() names a missing index ----------------------------------------------------------------


async def test_exists_on_a_missing_index_raises_index_missing(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    registry = Registry().with_prefix(index_prefix + "nx_")
    registry.register(Counter, index="never_created")
    async with UnitOfWork(es_client, registry) as uow:
        with pytest.raises(IndexMissingError):  # as get(), search() and count() do
            await uow.repository(Counter).exists("1")


# -- completing a partial entity drops stale cached values -----------------------------------------


class Titled(BaseModel):
    id: str
    title: str = ""
    body: str = ""

    @cached_property
    def slug(self) -> str:
        return self.title.lower().replace(" ", "-")


async def test_completed_entity_does_not_keep_cached_values_of_its_partial_state(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    registry = await registered(es_client, index_prefix + "ct_", Titled)
    await store(es_client, registry, Titled(id="1", title="Hello World", body="b"))
    async with UnitOfWork(es_client, registry) as uow:
        repo = uow.repository(Titled)
        partial = await repo.get("1", source_includes=["body"])
        assert partial.slug == ""  # from the default title
        full = await repo.get("1")
        assert full is partial and full.title == "Hello World"
        assert full.slug == "hello-world", "completed in place, but slug is still the partial's"


# -- entities written earlier in the unit stay in to-many relations --------------------------------


async def test_to_many_keeps_a_target_created_by_an_earlier_commit_of_the_unit(
    setup: Setup,  # noqa: F811
) -> None:
    from tests.integration.test_relations import Post as RPost
    from tests.integration.test_relations import User as RUser

    make_uow = await setup()
    await seed(make_uow, RUser(id="u", first_name="U"), RPost(id="old", author_id="u", title="o"))
    async with make_uow() as uow:  # refresh=False, the default
        author = await uow.users.get("u")
        draft = uow.posts.add(RPost(id="draft", author_id="u", title="new"))
        await uow.users.load([author], "posts")
        assert draft in author.posts.get()  # pending: included
        await uow.commit()
        reloaded = await uow.users.get("u", load=["posts"])
        assert draft in reloaded.posts.get(), "written by this unit, now missing from its list"


# -- a to-one relation completes a partially loaded target -----------------------------------------


async def test_to_one_relation_completes_a_partially_loaded_target(
    setup: Setup,  # noqa: F811
) -> None:
    from tests.integration.test_relations import Post as RPost
    from tests.integration.test_relations import User as RUser

    make_uow = await setup()
    await seed(
        make_uow,
        RUser(id="u", first_name="U", region="us", mentor_id="m"),
        RPost(id="p", author_id="u", title="t"),
    )
    async with make_uow() as uow:
        await uow.users.search(source_includes=["first_name"])  # a name list
        post = await uow.posts.get("p", load=["author"])  # a full read of the author
        author = post.author.get()
        assert author is not None
        # get()/get_many()/search() complete the partial instance; the relation load does not
        assert (author.region, author.mentor_id) == ("us", "m"), author


# -- a partial read of other fields loads them -----------------------------------------------------


async def test_partial_get_of_other_fields_returns_their_stored_values(
    make_uow: MakeUow,
) -> None:
    await seed(make_uow, User(id="p", first_name="Ann", region="us", tags=["keep"]))
    async with make_uow() as uow:
        await uow.users.get("p", source_includes=["first_name"])
        user = await uow.users.get("p", source_includes=["region", "tags"])
        # the tracked instance answers, holding defaults for exactly the fields asked for
        assert (user.region, user.tags) == ("us", ["keep"]), user
