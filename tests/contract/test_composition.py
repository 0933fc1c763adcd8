"""Use cases that open their own `async with uow:` compose with a unit already entered.

The rule: entering an active unit from the task using it joins it. The joined block's
`commit()` writes what the unit has pending; when the block ends, what it did not
commit is undone (entities it began tracking are forgotten, entities it found are put
back as it found them); ending with an error, it also forgets what it loaded and
reloads the entities it found that conflicted, so a retry starts from fresh loads.
Only the outermost exit ends the unit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from esorm.errors import ConflictError, UnitOfWorkStateError
from esorm.testing import RecordingStore
from esorm.uow import retry_on_conflict
from tests.integration._blog import BlogUnitOfWork, Counter, User
from tests.integration._support import seed

pytestmark = pytest.mark.contract

MakeUow = Callable[..., BlogUnitOfWork]


async def rename(uow: BlogUnitOfWork, user_id: str, name: str) -> User:
    """A self-contained use case: its own block, its own commit."""
    async with uow:
        user = await uow.users.get(user_id)
        user.first_name = name
        await uow.commit()
        return user


async def test_a_use_case_runs_alone_or_inside_an_entered_unit(
    make_uow: MakeUow, calls: RecordingStore
) -> None:
    await seed(make_uow, User(id="1", first_name="Ann"), User(id="2", first_name="Bo"))
    await rename(make_uow(), "1", "Anne")  # alone: it enters and leaves the unit itself
    async with make_uow() as request_unit:
        bo = await request_unit.users.get("2")
        calls.clear()
        renamed = await rename(request_unit, "2", "Bob")  # joined: no "already in use"
        assert renamed is bo  # one unit, one identity map
        assert calls.methods() == ["bulk"]
        assert request_unit.identity_map.entry_of(bo) is not None  # still tracked, clean
        assert (await request_unit.commit()).written == 0  # nothing left to write
    async with make_uow() as check:
        names = [u.first_name for u in await check.users.get_many(["1", "2"])]
        assert names == ["Anne", "Bob"]


async def test_a_joined_block_commits_what_the_unit_has_pending(make_uow: MakeUow) -> None:
    await seed(make_uow, User(id="1", first_name="Ann"))
    async with make_uow() as request_unit:
        request_unit.users.add(User(id="audit", first_name="Audit"))
        await rename(request_unit, "1", "Anne")
    async with make_uow() as check:
        assert await check.users.exists("audit")
        assert (await check.users.get("1")).first_name == "Anne"


async def test_what_a_joined_block_leaves_uncommitted_is_undone_when_it_ends(
    make_uow: MakeUow,
) -> None:
    await seed(make_uow, User(id="1", first_name="Ann", tags=["a"]))
    async with make_uow() as outer:
        ann = await outer.users.get("1")
        ann.region = "us"  # the outer block's own change, kept
        async with outer:
            ann.first_name = "Changed"
            ann.tags.append("b")
            outer.users.add(User(id="new", first_name="New"))
            loaded = await outer.users.find("nope")
            assert loaded is None
        assert (ann.first_name, ann.tags, ann.region) == ("Ann", ["a"], "us")
        assert await outer.users.find("new") is None  # forgotten, never written
        assert (await outer.commit()).updated == 1
    async with make_uow() as check:
        stored = await check.users.get("1")
        assert (stored.first_name, stored.region) == ("Ann", "us")


async def test_a_failing_joined_block_is_undone_and_the_outer_one_goes_on(
    make_uow: MakeUow,
) -> None:
    await seed(make_uow, User(id="1", first_name="Ann"), User(id="2", first_name="Bo"))
    loaded: list[User] = []

    async def half_done(uow: BlogUnitOfWork, ann: User) -> None:
        async with uow:
            ann.first_name = "Half-done"
            loaded.append(await uow.users.get("2"))
            raise ValueError("refused by the domain")

    async with make_uow() as outer:
        ann = await outer.users.get("1")
        with pytest.raises(ValueError, match="refused"):
            await half_done(outer, ann)
        (bo,) = loaded
        assert ann.first_name == "Ann"
        assert outer.identity_map.entry_of(bo) is None  # what it loaded is forgotten
        assert (await outer.commit()).written == 0
        ann.first_name = "Anne"
        assert (await outer.commit()).updated == 1  # the unit is still usable


async def test_a_rollback_in_a_joined_block_undoes_only_that_block(make_uow: MakeUow) -> None:
    await seed(make_uow, User(id="1", first_name="Ann"))
    async with make_uow() as outer:
        ann = await outer.users.get("1")
        ann.region = "us"
        async with outer:
            ann.first_name = "Changed"
            await outer.rollback()
            assert (ann.first_name, ann.region) == ("Ann", "us")
        assert (await outer.commit()).updated == 1


@retry_on_conflict(attempts=3, base_delay=0)
async def bump(uow: BlogUnitOfWork, interfere: Callable[[], object] | None = None) -> Counter:
    """Increment a counter, retried on conflict; `interfere` runs between load and commit."""
    async with uow:
        counter = await uow.counters.get("c")
        counter.value += 1
        if interfere is not None:
            await interfere()  # type: ignore[misc]
        await uow.commit()
        return counter


def once_then_never(make_uow: MakeUow) -> Callable[[], object]:
    """Another writer that bumps the counter the first time only."""
    state = {"done": False}

    async def interfere() -> None:
        if not state["done"]:
            state["done"] = True
            await bump(make_uow())

    return interfere


async def test_a_retried_use_case_inside_an_entered_unit_starts_from_fresh_loads(
    make_uow: MakeUow, calls: RecordingStore
) -> None:
    await seed(make_uow, Counter(id="c"), User(id="1", first_name="Ann"))
    async with make_uow() as request_unit:
        ann = await request_unit.users.get("1")
        counter = await bump(request_unit, once_then_never(make_uow))
        assert counter.value == 2  # the other writer's 1, then ours
        assert await request_unit.users.get("1") is ann  # the outer scope's entity stays
    async with make_uow() as check:
        assert (await check.counters.get("c")).value == 2


async def test_an_entity_of_the_outer_scope_that_conflicted_is_reloaded_for_the_retry(
    make_uow: MakeUow,
) -> None:
    await seed(make_uow, Counter(id="c"))
    async with make_uow() as request_unit:
        seen = await request_unit.counters.get("c")  # loaded before the use case runs
        counter = await bump(request_unit, once_then_never(make_uow))
        assert counter is seen and seen.value == 2  # reloaded in place, then bumped
    async with make_uow() as check:
        assert (await check.counters.get("c")).value == 2


async def test_uow_run_retries_inside_an_entered_unit(make_uow: MakeUow) -> None:
    await seed(make_uow, Counter(id="c"))
    interfere = once_then_never(make_uow)

    async def work(uow: BlogUnitOfWork) -> int:
        counter = await uow.counters.get("c")
        counter.value += 10
        await interfere()  # type: ignore[misc]
        return counter.value

    async with make_uow() as request_unit:
        assert await request_unit.run(work, attempts=3, base_delay=0) == 11


async def test_changes_of_the_outer_scope_are_never_reloaded_away(make_uow: MakeUow) -> None:
    await seed(make_uow, Counter(id="c"))
    async with make_uow() as request_unit:
        mine = await request_unit.counters.get("c")
        mine.value = 100  # pending in the outer scope
        with pytest.raises(ConflictError):
            await bump(request_unit, once_then_never(make_uow))
        assert mine.value == 100  # kept: the retry could not start fresh, and said so


async def test_another_task_cannot_join_while_the_entering_task_runs(make_uow: MakeUow) -> None:
    uow = make_uow()
    async with uow:
        with pytest.raises(UnitOfWorkStateError, match="already in use by task"):
            await asyncio.create_task(uow.__aenter__())
