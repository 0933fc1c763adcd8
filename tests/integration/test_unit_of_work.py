"""The unit of work against a real server: identity, exact bulk operations, conflicts, routing."""

from __future__ import annotations

from collections.abc import Callable
from unittest.mock import ANY

import pytest
from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel

from esorm.errors import (
    InvalidEntityError,
    NotRegisteredError,
)
from esorm.indices import concrete_name
from esorm.mapping import Registry
from esorm.testing import record_requests
from esorm.uow import UnitOfWork
from tests.integration._blog import (
    BlogUnitOfWork,
    Counter,
    Limited,
    Order,
    Post,
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


# -- conflicts (ESORM's optimistic concurrency scenarios) -------------------------------------


# -- lost updates with the retry helper -------------------------------------------------------


# -- lifecycle ---------------------------------------------------------------------------------


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
