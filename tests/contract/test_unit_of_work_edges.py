"""Edges of the unit of work on either store: removed, partial, put and re-added entities."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from esorm.errors import (
    InvalidEntityError,
    NotFoundError,
    UnitOfWorkStateError,
)
from esorm.query import Pagination
from tests.integration._blog import BlogUnitOfWork, Counter, Stamped, User
from tests.integration._support import seed

pytestmark = pytest.mark.contract

MakeUow = Callable[..., BlogUnitOfWork]


async def test_find_after_remove_returns_none(make_uow: MakeUow) -> None:
    await seed(make_uow, User(id="gone", first_name="G"))
    async with make_uow() as uow:
        user = await uow.users.get("gone")
        uow.users.remove(user)
        # Repository.get documents: "NotFoundError: ... (or it was removed in this unit of work)"
        assert await uow.users.find("gone") is None
        with pytest.raises(NotFoundError):
            await uow.users.get("gone")


async def test_get_many_after_remove_reports_missing(make_uow: MakeUow) -> None:
    await seed(make_uow, User(id="gone", first_name="G"))
    async with make_uow() as uow:
        uow.users.remove(await uow.users.get("gone"))
        found = await uow.users.get_many(["gone"])
        assert found.entities == [] and found.missing == ["gone"]


async def test_put_of_a_new_document_sets_created_at(make_uow: MakeUow) -> None:
    async with make_uow(refresh=True) as uow:
        stamped = uow.repository(Stamped)
        stamped.put(Stamped(id="imported", text="x"))
        await uow.commit()
    async with make_uow() as uow:
        loaded = await uow.repository(Stamped).get("imported")
        assert loaded.updated_at is not None
        assert loaded.created_at is not None, "put() stamps updated_at but never created_at"


async def test_readding_over_a_removed_document_sets_created_at(make_uow: MakeUow) -> None:
    await seed(make_uow, Stamped(id="s", text="old"))
    async with make_uow(refresh=True) as uow:
        repo = uow.repository(Stamped)
        repo.remove(await repo.get("s"))
        replacement = repo.add(Stamped(id="s", text="new"))
        await uow.commit()
        assert replacement.created_at is not None


async def test_page_without_total_counting_does_not_claim_an_exact_total(
    make_uow: MakeUow,
) -> None:
    await seed(make_uow, *(Counter(id=str(i), value=i) for i in range(25)))
    async with make_uow() as uow:
        page = await uow.counters.page(
            pagination=Pagination(page=1, page_size=10), track_total_hits=False
        )
        # 25 documents match, none counted: the total is only a lower bound
        assert not (page.total == 10 and page.total_is_exact)


async def test_wait_for_in_the_owning_task_is_allowed(make_uow: MakeUow) -> None:
    await seed(make_uow, User(id="1", first_name="A"))
    async with make_uow() as uow:
        # same use case, same task; wait_for only adds a timeout
        user = await asyncio.wait_for(uow.users.get("1"), timeout=5)
        user.first_name = "B"
        await asyncio.wait_for(uow.commit(), timeout=5)


async def test_stream_refuses_to_track_into_a_closed_unit_of_work(make_uow: MakeUow) -> None:
    await seed(make_uow, *(Counter(id=str(i), value=i) for i in range(3)))
    uow = make_uow()
    async with uow:
        stream = uow.counters.iterate(track=True)
    with pytest.raises(UnitOfWorkStateError):
        async for _ in stream:
            pass
    assert len(uow.identity_map) == 0


async def test_aggregate_outside_the_block_is_refused(make_uow: MakeUow) -> None:
    uow = make_uow()
    with pytest.raises(UnitOfWorkStateError):
        await uow.counters.aggregate(aggs={"n": {"value_count": {"field": "value"}}})


async def test_refused_commit_leaves_entities_unstamped(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        first = uow.repository(Stamped).add(Stamped(id="a", text="x"))
        bad = uow.repository(Stamped).add(Stamped(id="b", text="y"))
        bad.text = 123  # type: ignore[assignment]
        with pytest.raises(InvalidEntityError, match="'b' is invalid and was not written"):
            await uow.commit()
        # nothing was sent, so no entity carries timestamps of a write that never happened
        assert first.created_at is None and first.updated_at is None


async def test_put_of_a_tracked_instance_overwrites_unguarded(make_uow: MakeUow) -> None:
    await seed(make_uow, User(id="1", first_name="A"))
    async with make_uow() as uow:
        user = await uow.users.get("1")
        async with make_uow() as other:  # someone else writes meanwhile
            (await other.users.get("1")).first_name = "Other"
            await other.commit()
        user.first_name = "Mine"
        uow.users.put(user)  # "written whether or not its document exists (last write wins)"
        await uow.commit()  # ConflictError: still a guarded `index`
    async with make_uow() as uow:
        assert (await uow.users.get("1")).first_name == "Mine"
