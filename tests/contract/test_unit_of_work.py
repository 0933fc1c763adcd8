"""The unit of work on either store: identity, dirty checking, conflicts, deletes, ids,
timestamps, discarding, one task at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from esorm.errors import (
    CommitError,
    ConflictError,
    NotFoundError,
    UnitOfWorkStateError,
)
from tests.integration._blog import (
    BlogUnitOfWork,
    Coded,
    Counter,
    Note,
    Stamped,
    User,
)
from tests.integration._support import seed

pytestmark = pytest.mark.contract

MakeUow = Callable[..., BlogUnitOfWork]


async def test_reload_does_not_overwrite_unflushed_changes(make_uow: MakeUow) -> None:
    await seed(make_uow, User(id="1", first_name="Ann"), User(id="2", first_name="Bob"))
    async with make_uow() as uow:
        ann = await uow.users.get("1")
        ann.first_name = "Changed"
        found = await uow.users.get_many(["2", "1", "404"])
        assert [u.first_name for u in found.entities] == ["Bob", "Changed"]
        assert found.entities[1] is ann
        assert found.missing == ["404"]


async def test_get_missing_raises_not_found_and_find_returns_none(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        with pytest.raises(NotFoundError, match="User 'nope' not found"):
            await uow.users.get("nope")
        assert await uow.users.find("nope") is None
        assert not await uow.users.exists("nope")


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
