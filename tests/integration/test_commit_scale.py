"""Commits of 10,000 entities: chunked as configured, and only what changed is sent."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from elasticsearch import AsyncElasticsearch

from esorm.mapping import Registry
from esorm.testing import record_requests
from tests.integration._blog import BlogUnitOfWork, User

pytestmark = pytest.mark.integration

COUNT = 10_000


async def test_ten_thousand_new_then_one_hundred_changed(
    make_uow: Callable[..., BlogUnitOfWork], es_client: AsyncElasticsearch, registry: Registry
) -> None:
    index = registry.mapping_for(User).index
    async with make_uow(chunk_size=500, refresh="wait_for") as uow:
        for i in range(COUNT):
            uow.users.add(User(id=f"u{i:05}", first_name=f"name{i}", tags=["a"]))
        with record_requests(es_client) as log:
            result = await uow.commit()
        assert result.created == COUNT
        assert len(log.to("_bulk")) == COUNT // 500 == result.requests
        assert all(len(r.ndjson()) == 1000 for r in log.to("_bulk"))
    assert (await es_client.count(index=index))["count"] == COUNT

    ids = [f"u{i:05}" for i in range(COUNT)]
    async with make_uow() as uow:
        found = await uow.users.get_many(ids)
        assert len(found) == COUNT and found.missing == []
        for user in found.entities[::200]:
            user.first_name += "!"
        for user in found.entities[1::200]:
            user.tags.append("b")  # in-place change of a list
        with record_requests(es_client) as log:
            result = await uow.commit()
        operations = [line for r in log.to("_bulk") for line in r.ndjson() if "index" in line]
        assert result.updated == 100 == len(operations)
        assert {op["index"]["_id"] for op in operations} == {
            ids[i] for i in range(COUNT) if i % 200 in (0, 1)
        }
        with record_requests(es_client) as log:
            assert (await uow.commit()).written == 0
        assert len(log) == 0
