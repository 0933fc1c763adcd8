"""The unit of work against a real server: identity, exact bulk operations, conflicts, routing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from unittest.mock import ANY

import pytest
from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel

from esorm.errors import (
    CommitError,
    ConflictError,
    InvalidEntityError,
    NotFoundError,
    NotRegisteredError,
    UnitOfWorkStateError,
)
from esorm.indices import concrete_name
from esorm.mapping import Registry
from esorm.testing import record_requests
from esorm.uow import UnitOfWork
from tests.integration._blog import (
    BlogUnitOfWork,
    Coded,
    Counter,
    Limited,
    Note,
    Order,
    Post,
    Stamped,
    User,
)
from tests.integration._stored import split_writes, stored_doc
from tests.integration._support import seed

pytestmark = pytest.mark.integration

MakeUow = Callable[..., BlogUnitOfWork]


# -- identity ---------------------------------------------------------------------------------


async def test_two_gets_return_one_instance_with_one_request(
    make_uow: MakeUow, es_client: AsyncElasticsearch
) -> None:
    await seed(make_uow, User(id="42", first_name="Ann"))
    async with make_uow() as uow:
        with record_requests(es_client) as log:
            first = await uow.users.get("42")
            second = await uow.users.get("42")
        assert first is second
        assert len(log) == 1
        assert uow.version_of(first) == (0, 1)


async def test_reload_does_not_overwrite_unflushed_changes(make_uow: MakeUow) -> None:
    await seed(make_uow, User(id="1", first_name="Ann"), User(id="2", first_name="Bob"))
    async with make_uow() as uow:
        ann = await uow.users.get("1")
        ann.first_name = "Changed"
        found = await uow.users.get_many(["2", "1", "404"])
        assert [u.first_name for u in found.entities] == ["Bob", "Changed"]
        assert found.entities[1] is ann
        assert found.missing == ["404"]


async def test_get_many_keeps_order_and_reports_missing(
    make_uow: MakeUow, es_client: AsyncElasticsearch
) -> None:
    await seed(make_uow, *(User(id=str(i), first_name=f"u{i}") for i in range(5)))
    async with make_uow() as uow:
        with record_requests(es_client) as log:
            found = await uow.users.get_many(["3", "x", "0", "4", "y"])
        assert [u.id for u in found] == ["3", "0", "4"]
        assert found.missing == ["x", "y"]
        assert [r.endpoint for r in log.requests] == ["_mget"]


async def test_get_missing_raises_not_found_and_find_returns_none(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        with pytest.raises(NotFoundError, match="User 'nope' not found"):
            await uow.users.get("nope")
        assert await uow.users.find("nope") is None
        assert not await uow.users.exists("nope")


async def test_seq_no_zero_is_a_real_version(
    make_uow: MakeUow, es_client: AsyncElasticsearch
) -> None:
    await seed(make_uow, Counter(id="c"))
    async with make_uow() as uow:
        counter = await uow.counters.get("c")
        assert uow.version_of(counter) == (0, 1)
        counter.value = 1
        with record_requests(es_client) as log:
            await uow.commit()
        action = log.to("_bulk")[0].ndjson()[0]
        assert action == {
            "index": {
                "_index": concrete_name(uow.counters.mapping.index, 1),  # where it was read
                "_id": "c",
                "if_seq_no": 0,
                "if_primary_term": 1,
            }
        }


# -- what a commit sends ----------------------------------------------------------------------


async def test_commit_sends_exactly_the_needed_operations(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    await seed(
        make_uow,
        User(id="changed", first_name="A"),
        User(id="removed", first_name="B"),
        User(id="unchanged", first_name="C"),
        Post(id="p1", author_id="changed", title="old", region="us"),
    )
    users = registry.mapping_for(User).index
    posts = registry.mapping_for(Post).index
    # loaded documents are written where they were read; new ones through the alias
    users_v1, posts_v1 = concrete_name(users, 1), concrete_name(posts, 1)
    async with make_uow() as uow:
        changed = await uow.users.get("changed")
        removed = await uow.users.get("removed")
        await uow.users.get("unchanged")
        post = await uow.posts.get("p1", routing="us")
        changed_version = uow.version_of(changed)
        removed_version = uow.version_of(removed)
        post_version = uow.version_of(post)
        assert changed_version and removed_version and post_version
        changed.first_name = "A2"
        uow.users.remove(removed)
        post.title = "new"
        uow.users.add(User(id="new", first_name="N"))
        uow.posts.add(Post(id="p2", author_id="new", title="t", region="asia"))
        with record_requests(es_client) as log:
            result = await uow.commit()
    bulk = log.to("_bulk")
    assert len(log) == 1 and len(bulk) == 1
    lines, writes = split_writes(bulk[0].ndjson())
    # every document carries the id of this write first, then those of its earlier writes
    assert [len(ids) for ids in writes] == [2, 2, 1, 1]
    assert len({ids[0] for ids in writes}) == 4
    assert lines == [
        {
            "index": {
                "_index": users_v1,
                "_id": "changed",
                "if_seq_no": changed_version[0],
                "if_primary_term": changed_version[1],
            }
        },
        {"id": "changed", "first_name": "A2", "region": "eu", "tags": []},
        {
            "delete": {
                "_index": users_v1,
                "_id": "removed",
                "if_seq_no": removed_version[0],
                "if_primary_term": removed_version[1],
            }
        },
        {
            "index": {
                "_index": posts_v1,
                "_id": "p1",
                "routing": "us",
                "if_seq_no": post_version[0],
                "if_primary_term": post_version[1],
            }
        },
        {"id": "p1", "author_id": "changed", "title": "new", "region": "us"},
        {"create": {"_index": users, "_id": "new"}},
        {"id": "new", "first_name": "N", "region": "eu", "tags": []},
        {"create": {"_index": posts, "_id": "p2", "routing": "asia"}},
        {"id": "p2", "author_id": "new", "title": "t", "region": "asia"},
    ]
    assert (result.created, result.updated, result.deleted, result.requests) == (2, 2, 1, 1)


async def test_nothing_changed_sends_nothing(
    make_uow: MakeUow, es_client: AsyncElasticsearch
) -> None:
    await seed(make_uow, User(id="1", first_name="A", tags=["x"]))
    async with make_uow() as uow:
        user = await uow.users.get("1")
        user.tags.append("y")
        user.tags.pop()
        with record_requests(es_client) as log:
            result = await uow.commit()
        assert len(log) == 0
        assert result.written == 0


async def test_in_place_mutation_of_a_list_is_detected(make_uow: MakeUow) -> None:
    await seed(make_uow, User(id="1", first_name="A", tags=["x"]))
    async with make_uow(refresh=True) as uow:
        user = await uow.users.get("1")
        user.tags.append("y")
        assert (await uow.commit()).updated == 1
    async with make_uow() as uow:
        assert (await uow.users.get("1")).tags == ["x", "y"]


async def test_successful_commit_refreshes_versions_so_a_second_commit_works(
    make_uow: MakeUow,
) -> None:
    async with make_uow() as uow:
        user = uow.users.add(User(id="1", first_name="A"))
        await uow.commit()
        first = uow.version_of(user)
        user.first_name = "B"
        await uow.commit()
        second = uow.version_of(user)
        assert first is not None and second is not None and second[0] > first[0]
        uow.users.remove(user)
        assert (await uow.commit()).deleted == 1
        assert not await uow.users.exists("1")


# -- conflicts (ESORM's optimistic concurrency scenarios) -------------------------------------


async def test_change_vs_change_first_commit_wins(make_uow: MakeUow) -> None:
    await seed(make_uow, User(id="u", first_name="Orig"))
    async with make_uow() as first, make_uow() as second:
        a = await first.users.get("u")
        b = await second.users.get("u")
        a.first_name = "First"
        b.first_name = "Second"
        await first.commit()
        with pytest.raises(ConflictError) as caught:
            await second.commit()
        (failure,) = caught.value.failures
        assert failure.entity is b
        assert (failure.operation, failure.id, failure.status) == ("index", "u", 409)
        assert failure.error_type == "version_conflict_engine_exception"
        assert "User 'u'" in str(caught.value)
        # the failed entity stays pending with its old version
        assert second.identity_map.entry_of(b).is_dirty  # type: ignore[union-attr]
    async with make_uow() as check:
        assert (await check.users.get("u")).first_name == "First"


async def test_change_vs_delete_and_delete_vs_change(make_uow: MakeUow) -> None:
    await seed(make_uow, User(id="a", first_name="A"), User(id="b", first_name="B"))
    # change wins, delete conflicts
    async with make_uow() as first, make_uow() as second:
        (await first.users.get("a")).first_name = "changed"
        second.users.remove(await second.users.get("a"))
        await first.commit()
        with pytest.raises(ConflictError) as caught:
            await second.commit()
        assert [(f.operation, f.id, f.status) for f in caught.value.failures] == [
            ("delete", "a", 409)
        ]
    # delete wins, change reports the document as gone
    async with make_uow() as first, make_uow() as second:
        first.users.remove(await first.users.get("b"))
        (await second.users.get("b")).first_name = "changed"
        await first.commit()
        with pytest.raises(CommitError) as caught_b:
            await second.commit()
        (failure,) = caught_b.value.failures
        assert (failure.operation, failure.id) == ("index", "b")
        assert failure.status in (404, 409)
    async with make_uow() as check:
        assert (await check.users.get("a")).first_name == "changed"
        assert await check.users.find("b") is None


async def test_delete_of_a_document_already_gone_is_a_failure(make_uow: MakeUow) -> None:
    await seed(make_uow, User(id="g", first_name="G"))
    async with make_uow() as first, make_uow() as second:
        first.users.remove(await first.users.get("g"))
        second.users.remove(await second.users.get("g"))
        await first.commit()
        with pytest.raises(CommitError) as caught:
            await second.commit()
        (failure,) = caught.value.failures
        assert failure.operation == "delete"
        assert failure.is_conflict or failure.is_missing


async def test_create_of_existing_id_is_a_conflict(make_uow: MakeUow) -> None:
    await seed(make_uow, User(id="dup", first_name="Original"))
    async with make_uow() as uow:
        uow.users.add(User(id="dup", first_name="Impostor"))
        with pytest.raises(ConflictError) as caught:
            await uow.commit()
        (failure,) = caught.value.failures
        assert (failure.operation, failure.status) == ("create", 409)
        assert "already exists" in failure.reason
    async with make_uow() as check:
        assert (await check.users.get("dup")).first_name == "Original"


async def test_ten_entities_two_stale_exactly_two_reported(make_uow: MakeUow) -> None:
    await seed(make_uow, *(User(id=f"u{i}", first_name="v0") for i in range(10)))
    async with make_uow() as stale_loader:
        stale = {u.id: u for u in (await stale_loader.users.get_many([f"u{i}" for i in range(10)]))}
        async with make_uow() as other:
            for doc_id in ("u3", "u7"):
                (await other.users.get(doc_id)).first_name = "other"
            await other.commit()
        for user in stale.values():
            user.first_name = "mine"
        with pytest.raises(ConflictError) as caught:
            await stale_loader.commit()
        assert sorted(f.id for f in caught.value.failures) == ["u3", "u7"]
        assert caught.value.written == 8
        assert {id(f.entity) for f in caught.value.failures} == {id(stale["u3"]), id(stale["u7"])}
        # the eight written are clean now; a second commit retries only the two
        with pytest.raises(ConflictError) as again:
            await stale_loader.commit()
        assert sorted(f.id for f in again.value.failures) == ["u3", "u7"]
        assert again.value.written == 0
    async with make_uow() as check:
        names = {
            u.id: u.first_name for u in await check.users.get_many([f"u{i}" for i in range(10)])
        }
        assert names == {f"u{i}": ("other" if i in (3, 7) else "mine") for i in range(10)}


async def test_mapping_error_is_reported_per_entity(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        uow.add(Coded(id="ok", code="12"))
        uow.add(Coded(id="bad", code="not a number"))
        with pytest.raises(CommitError) as caught:
            await uow.commit()
        assert not isinstance(caught.value, ConflictError)
        (failure,) = caught.value.failures
        assert (failure.id, failure.status) == ("bad", 400)
        assert "parsing" in failure.error_type or "mapper_parsing" in failure.error_type
        assert caught.value.written == 1


# -- lost updates with the retry helper -------------------------------------------------------


async def test_concurrent_increments_lose_nothing(make_uow: MakeUow) -> None:
    await seed(make_uow, Counter(id="hits"))

    async def increment(uow: BlogUnitOfWork) -> None:
        counter = await uow.counters.get("hits")
        counter.value += 1

    async def worker() -> None:
        uow = make_uow()
        for _ in range(50):
            await uow.run(increment, attempts=200, base_delay=0.005, max_delay=0.2)

    await asyncio.gather(*(worker() for _ in range(20)))
    async with make_uow() as check:
        assert (await check.counters.get("hits")).value == 1000


# -- lifecycle ---------------------------------------------------------------------------------


async def test_leaving_without_commit_discards(make_uow: MakeUow) -> None:
    uow = make_uow()
    async with uow:
        uow.users.add(User(id="ghost", first_name="G"))
    async with uow:
        assert await uow.users.find("ghost") is None
        uow.users.add(User(id="ghost", first_name="G"))
        await uow.rollback()
        assert await uow.commit() is not None
        assert await uow.users.find("ghost") is None


async def test_use_outside_the_block_or_from_two_tasks_at_once_fails(make_uow: MakeUow) -> None:
    await seed(make_uow, User(id="a", first_name="A"), User(id="b", first_name="B"))
    uow = make_uow()
    with pytest.raises(UnitOfWorkStateError, match="async with"):
        await uow.users.get("x")
    async with uow:
        results = await asyncio.gather(
            uow.users.get("a"), uow.users.get("b"), return_exceptions=True
        )
        failures = [r for r in results if isinstance(r, UnitOfWorkStateError)]
        assert len(failures) == 1 and "at the same time" in str(failures[0])
        with pytest.raises(UnitOfWorkStateError, match="already in use"):
            await asyncio.create_task(uow.__aenter__())
        # handed to another task while this one waits: one task at a time is fine
        assert (await asyncio.wait_for(uow.users.get("b"), timeout=5)).first_name == "B"
    with pytest.raises(UnitOfWorkStateError):
        await uow.commit()


async def test_repository_attributes_and_lookup_agree(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        assert uow.repository(User) is uow.users
        assert uow.repository(Note).entity is Note


# -- bad input -------------------------------------------------------------------------------


class Unregistered(BaseModel):
    id: str


async def test_bad_input_is_refused_before_anything_is_sent(
    make_uow: MakeUow, es_client: AsyncElasticsearch
) -> None:
    async with make_uow() as uow:
        with record_requests(es_client) as log:
            with pytest.raises(NotRegisteredError, match="Unregistered"):
                uow.add(Unregistered(id="x"))
            with pytest.raises(InvalidEntityError, match="Limited is invalid"):
                uow.add(
                    Limited(id="x", name="far too long"[:5]).model_copy(
                        update={"name": "far too long"}
                    )
                )
            with pytest.raises(InvalidEntityError, match="expected a User"):
                uow.users.add(Post(id="p", author_id="a", title="t"))  # type: ignore[arg-type]
            with pytest.raises(InvalidEntityError, match="513 bytes"):
                uow.users.add(User(id="x" * 513, first_name="long"))
            assert (await uow.commit()).written == 0
        assert len(log) == 0


async def test_assignment_of_a_wrong_type_fails_the_commit_before_sending(
    make_uow: MakeUow, es_client: AsyncElasticsearch
) -> None:
    await seed(make_uow, Counter(id="c"))
    async with make_uow() as uow:
        uow.counters.add(Counter(id="fine"))
        counter = await uow.counters.get("c")
        counter.value = "not a number"  # type: ignore[assignment]
        with (
            record_requests(es_client) as log,
            pytest.raises(InvalidEntityError, match="Counter 'c' is invalid and was not written"),
        ):
            await uow.commit()
        assert len(log) == 0


@pytest.mark.parametrize(
    "doc_id",
    ["a/b", "what?", "hash#tag", "with space", "ünïcødé-✓", "x" * 512, "é" * 256],
)
async def test_awkward_ids_round_trip(make_uow: MakeUow, doc_id: str) -> None:
    await seed(make_uow, User(id=doc_id, first_name="odd"))
    async with make_uow() as uow:
        user = await uow.users.get(doc_id)
        assert user.id == doc_id
        assert (await uow.users.get_many([doc_id])).entities == [user]
        uow.users.remove(user)
        await uow.commit()
        assert not await uow.users.exists(doc_id)


async def test_generated_ids_are_time_ordered_and_kept_outside_idless_entities(
    make_uow: MakeUow,
) -> None:
    async with make_uow(refresh=True) as uow:
        users = [uow.users.add(User(first_name=f"u{i}")) for i in range(5)]
        notes = [uow.add(Note(text=f"n{i}")) for i in range(3)]
        await uow.commit()
        ids = [u.id or "" for u in users]
        assert all(ids) and ids == sorted(ids)
        note_ids = [uow.repository(Note).id_of(n) for n in notes]
    async with make_uow() as uow:
        loaded = await uow.repository(Note).get(note_ids[1])
        assert loaded.text == "n1"
        assert (await uow.users.get(ids[0])).first_name == "u0"


# -- routing -----------------------------------------------------------------------------------


async def test_routing_is_honoured_on_create_index_delete_and_get(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    index = registry.mapping_for(Post).index
    async with make_uow(refresh=True) as uow:
        uow.posts.add(Post(id="r1", author_id="a", title="t", region="asia"))
        await uow.commit()
    raw = await es_client.get(index=index, id="r1", routing="asia")
    assert raw["_routing"] == "asia"
    async with make_uow(refresh=True) as uow:
        with pytest.raises(InvalidEntityError, match="routing"):
            await uow.posts.get("r1")
        post = await uow.posts.get("r1", routing="asia")
        post.title = "changed"
        await uow.commit()
        assert (await es_client.get(index=index, id="r1", routing="asia"))["_source"][
            "title"
        ] == "changed"
        post.region = "eu"
        with pytest.raises(InvalidEntityError, match="routing changed"):
            await uow.commit()
        post.region = "asia"
        uow.posts.remove(post)
        await uow.commit()
    assert not await es_client.exists(index=index, id="r1", routing="asia")


# -- timestamps --------------------------------------------------------------------------------


async def test_timestamps_are_set_by_the_unit_of_work(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        stamped = uow.add(Stamped(id="s", text="a"))
        await uow.commit()
        created = stamped.created_at
        assert created is not None and stamped.updated_at == created
        stamped.text = "b"
        await uow.commit()
        assert stamped.created_at == created
        assert stamped.updated_at is not None and stamped.updated_at > created
    async with make_uow() as uow:
        loaded = await uow.repository(Stamped).get("s")
        assert loaded.created_at == created
        assert loaded.updated_at == stamped.updated_at


async def test_chunking_by_count_and_by_bytes(
    make_uow: MakeUow, es_client: AsyncElasticsearch
) -> None:
    async with make_uow(chunk_size=3) as uow:
        for i in range(7):
            uow.users.add(User(id=f"c{i}", first_name="x"))
        with record_requests(es_client) as log:
            result = await uow.commit()
        assert (result.created, result.requests, len(log.to("_bulk"))) == (7, 3, 3)
    async with make_uow(chunk_bytes=600) as uow:
        for i in range(6):
            uow.users.add(User(id=f"b{i}", first_name="y" * 150))
        with record_requests(es_client) as log:
            await uow.commit()
        bodies = [r.body for r in log.to("_bulk")]
        assert len(bodies) == 3 and all(len(b) <= 600 for b in bodies)


async def test_uow_unrelated_registry_types(
    es_client: AsyncElasticsearch, registry: Registry
) -> None:
    async with UnitOfWork(es_client, registry) as uow:
        with pytest.raises(NotRegisteredError):
            uow.repository(Unregistered)


async def test_routing_is_required_by_the_index(
    es_client: AsyncElasticsearch, registry: Registry
) -> None:
    mapping = await es_client.indices.get_mapping(index=registry.mapping_for(Post).index)
    (body,) = mapping.body.values()
    assert body["mappings"]["_routing"] == {"required": True}


# -- partially loaded entities -----------------------------------------------------------------


async def test_partially_loaded_entity_is_written_as_a_guarded_partial_update(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    await seed(make_uow, User(id="p", first_name="Ann", region="us", tags=["keep"]))
    index = registry.mapping_for(User).index
    before = await stored_doc(es_client, index, "p")
    assert before is not None and len(before.writes) == 1
    (seeded,) = before.writes
    async with make_uow() as uow:
        user = await uow.users.get("p", source_includes=["first_name"])
        assert (user.first_name, user.region, user.tags) == ("Ann", "eu", [])  # defaults
        version = uow.version_of(user)
        assert version is not None
        user.first_name = "Anna"
        with record_requests(es_client) as log:
            assert (await uow.commit()).updated == 1
        assert log.to("_bulk")[0].ndjson() == [
            {
                "update": {
                    "_index": concrete_name(index, 1),
                    "_id": "p",
                    "if_seq_no": version[0],
                    "if_primary_term": version[1],
                }
            },
            {
                "script": {
                    "source": (
                        "for (k in params.doc.keySet()) { ctx._source[k] = params.doc[k] } "
                        "for (k in params.remove) { ctx._source.remove(k) }"
                    ),
                    "lang": "painless",
                    "params": {
                        "doc": {"first_name": "Anna", "esorm_writes": [ANY, seeded]},
                        "remove": [],
                    },
                }
            },
        ]
    stored = await stored_doc(es_client, index, "p")
    assert stored is not None and stored.writes[1:] == (seeded,)  # the chain goes on
    assert stored.source == {"id": "p", "first_name": "Anna", "region": "us", "tags": ["keep"]}


async def test_changing_an_id_after_tracking_is_refused_before_sending(
    make_uow: MakeUow, es_client: AsyncElasticsearch
) -> None:
    await seed(make_uow, User(id="fixed", first_name="F"))
    async with make_uow() as uow:
        user = await uow.users.get("fixed")
        user.id = "moved"
        with (
            record_requests(es_client) as log,
            pytest.raises(InvalidEntityError, match="id changed to 'moved'"),
        ):
            await uow.commit()
        assert len(log) == 0


async def test_put_overwrites_without_guards_and_is_tracked_afterwards(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    await seed(make_uow, User(id="p", first_name="Old"))
    index = registry.mapping_for(User).index
    async with make_uow() as uow:
        replaced = uow.users.put(User(id="p", first_name="New"))
        fresh = uow.users.put(User(id="q", first_name="Fresh"))
        with record_requests(es_client) as log:
            result = await uow.commit()
        assert [line for line in log.to("_bulk")[0].ndjson() if "index" in line] == [
            {"index": {"_index": index, "_id": "p"}},
            {"index": {"_index": index, "_id": "q"}},
        ]
        assert result.written == 2
        replaced.first_name = "Newer"  # now tracked with its version: guarded from here on
        await uow.commit()
        assert uow.version_of(replaced) is not None and uow.version_of(fresh) is not None
    async with make_uow() as uow:
        assert (await uow.users.get("p")).first_name == "Newer"
        assert (await uow.users.get("q")).first_name == "Fresh"


async def test_routing_derived_from_the_id_serves_reads_by_id(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    await seed(make_uow, Order(id="eu:1", total=5), Order(id="us:2", total=7))
    index = registry.mapping_for(Order).index
    assert (await es_client.get(index=index, id="us:2", routing="us"))["_routing"] == "us"
    async with make_uow() as uow:
        orders = uow.repository(Order)
        with record_requests(es_client) as log:
            assert (await orders.get("eu:1")).total == 5
            found = await orders.get_many(["us:2", "asia:3"])
            assert await orders.exists("us:2")
        assert [o.id for o in found] == ["us:2"] and found.missing == ["asia:3"]
        assert "routing=eu" in log.requests[0].path
        assert [doc.get("routing") for doc in log.requests[1].body["docs"]] == ["us", "asia"]
