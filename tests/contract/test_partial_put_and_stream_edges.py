"""Edges of a second review: conflicting writes leave entities as they were, retries never
repeat a commit, remove/put/add sequences still delete, streams skip removed pages."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from esorm.errors import ConflictError
from tests.integration._blog import BlogUnitOfWork, Counter, Stamped, User
from tests.integration._support import seed

pytestmark = pytest.mark.contract

MakeUow = Callable[..., BlogUnitOfWork]


async def test_conflicting_write_leaves_entity_as_it_was(make_uow: MakeUow) -> None:
    await seed(make_uow, Stamped(id="s", text="old"))
    async with make_uow() as uow:
        repo = uow.repository(Stamped)
        mine = await repo.get("s")
        before = mine.updated_at
        async with make_uow() as other:
            (await other.repository(Stamped).get("s")).text = "theirs"
            await other.commit()
        mine.text = "mine"
        with pytest.raises(ConflictError):
            await uow.commit()
        mine.text = "old"  # I give my change up; the rest of the unit should still commit
        uow.add(Counter(id="other-work"))
        try:
            result = await uow.commit()
        except ConflictError as again:  # a stamp left by the failed write would keep it dirty
            pytest.fail(f"the reverted entity is still written: {again}")
        assert result.created == 1
        assert mine.updated_at == before


async def test_stream_goes_on_past_a_page_of_removed_entities(make_uow: MakeUow) -> None:
    await seed(make_uow, *(Counter(id=f"c{i}", value=i) for i in range(5)))
    async with make_uow() as uow:
        for doc_id in ("c0", "c1"):
            uow.counters.remove(await uow.counters.get(doc_id))
        seen = [c.id async for c in uow.counters.iterate(sort="id", page_size=2)]
        assert seen == ["c2", "c3", "c4"]
        assert [c.id for c in await uow.counters.all(sort="id")] == ["c2", "c3", "c4"]


async def test_put_of_an_added_entity_overwrites(make_uow: MakeUow) -> None:
    await seed(make_uow, User(id="u", first_name="Stored"))
    async with make_uow() as uow:
        user = uow.users.add(User(id="u", first_name="Mine"))
        uow.users.put(user)  # on second thought: last write wins
        await uow.commit()  # an unguarded `index`, not a `create` that would conflict
    async with make_uow() as uow:
        assert (await uow.users.get("u")).first_name == "Mine"
