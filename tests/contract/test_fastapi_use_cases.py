"""An endpoint with the request-scoped unit of work calls self-contained use cases over HTTP,
with and without the retry helpers, on either store; each commits once.

No `from __future__ import annotations`: FastAPI resolves the endpoints' annotations.
"""

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI
from httpx import ASGITransport, AsyncClient

from esorm.fastapi import install_error_handlers, unit_of_work_dependency
from esorm.mapping import Registry
from esorm.store import DocumentStore
from esorm.testing import RecordingStore
from esorm.uow import retry_on_conflict
from tests.integration._blog import BlogUnitOfWork, Counter, User

pytestmark = pytest.mark.contract


async def rename(uow: BlogUnitOfWork, user_id: str, name: str) -> User:
    """A use case as a service layer writes it: its own block and commit."""
    async with uow:
        user = await uow.users.get(user_id)
        user.first_name = name
        await uow.commit()
        return user


def create_app(
    get_uow: Callable[[], AsyncIterator[BlogUnitOfWork]],
    other_writer: Callable[[], BlogUnitOfWork],
) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    Uow = Annotated[BlogUnitOfWork, Depends(get_uow)]
    interfered: list[str] = []

    async def interfere_once(counter_id: str) -> None:
        """Another writer changes the counter between our load and commit, the first time."""
        if counter_id not in interfered:
            interfered.append(counter_id)
            async with other_writer() as other:
                (await other.counters.get(counter_id)).value += 100
                await other.commit()

    @retry_on_conflict(attempts=3, base_delay=0)
    async def bump(uow: BlogUnitOfWork, counter_id: str) -> Counter:
        async with uow:
            counter = await uow.counters.get(counter_id)
            counter.value += 1
            await interfere_once(counter_id)
            await uow.commit()
            return counter

    @app.put("/users/{user_id}")
    async def put_name(user_id: str, name: str, uow: Uow) -> User:
        return await rename(uow, user_id, name)

    @app.post("/counters/{counter_id}/bump")
    async def bump_counter(counter_id: str, uow: Uow) -> Counter:
        return await bump(uow, counter_id)

    @app.post("/counters/{counter_id}/run")
    async def run_counter(counter_id: str, uow: Uow) -> dict[str, int]:
        async def work(unit: BlogUnitOfWork) -> int:
            counter = await unit.counters.get(counter_id)
            counter.value += 1
            await interfere_once(counter_id)
            return counter.value

        return {"value": await uow.run(work, attempts=3, base_delay=0)}

    return app


@pytest.fixture
async def http(
    calls: RecordingStore, store: DocumentStore, registry: Registry
) -> AsyncIterator[AsyncClient]:
    async with BlogUnitOfWork(store, registry, refresh=True) as uow:
        uow.users.add(User(id="1", first_name="Ann"))
        uow.counters.add(Counter(id="c1"))
        uow.counters.add(Counter(id="c2"))
        await uow.commit()
    app = create_app(
        unit_of_work_dependency(lambda: BlogUnitOfWork(calls, registry, refresh=True)),
        lambda: BlogUnitOfWork(store, registry),  # not recorded: someone else's writes
    )
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
        yield client


def confirmed(calls: RecordingStore) -> int:
    """How many bulk requests the request units sent."""
    return len(calls.to("bulk"))


async def test_a_self_contained_use_case_commits_once_inside_the_request_unit(
    http: AsyncClient, calls: RecordingStore
) -> None:
    response = await http.put("/users/1", params={"name": "Anne"})
    assert response.status_code == 200, response.text  # not 500 "already in use"
    assert response.json()["first_name"] == "Anne"
    assert confirmed(calls) == 1
    assert (await http.put("/users/1", params={"name": "Anne"})).status_code == 200
    assert confirmed(calls) == 1  # nothing changed the second time: nothing sent


@pytest.mark.parametrize("helper", ["bump", "run"])
async def test_a_retried_use_case_commits_once_from_fresh_loads(
    http: AsyncClient, calls: RecordingStore, helper: str, store: DocumentStore,
    registry: Registry,
) -> None:  # fmt: skip
    counter_id = "c1" if helper == "bump" else "c2"
    response = await http.post(f"/counters/{counter_id}/{helper}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["value"] == 101  # the other writer's 100, then ours once
    bulks = calls.to("bulk")
    assert len(bulks) == 2  # the first conflicted and wrote nothing; the retry wrote once
    async with BlogUnitOfWork(store, registry) as check:
        assert (await check.counters.get(counter_id)).value == 101
