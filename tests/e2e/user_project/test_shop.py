"""The user's service-layer tests, written against esorm's pytest plugin."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from elasticsearch import AsyncElasticsearch
from shop import Customer, ShopUnitOfWork, rename, sign_up

from esorm import IndexManager, Registry


@pytest.mark.parametrize("name", ["Ann", "Bob"])
async def test_sign_up_stores_one_customer(
    es_client: AsyncElasticsearch,
    registry: Registry,
    unit_of_work: Callable[[], ShopUnitOfWork],
    name: str,
) -> None:
    await IndexManager(es_client, registry).create_all()
    customer_id = await sign_up(unit_of_work(), name, f"{name.lower()}@example.com")
    async with unit_of_work() as uow:
        assert (await uow.customers.get(customer_id)).name == name
        assert await uow.customers.count() == 1  # the other parametrization left nothing here


async def test_rename_through_a_fresh_unit_of_work(
    es_client: AsyncElasticsearch, registry: Registry, unit_of_work: Callable[[], ShopUnitOfWork]
) -> None:
    await IndexManager(es_client, registry).create_all()
    customer_id = await sign_up(unit_of_work(), "Cid", "cid@example.com")
    await rename(unit_of_work(), customer_id, "Cyd")
    stored = await es_client.get(index=registry.mapping_for(Customer).index, id=customer_id)
    assert stored["_source"]["name"] == "Cyd"


async def test_concurrent_requests_from_the_test_loop(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    await asyncio.gather(*(es_client.indices.create(index=f"{index_prefix}c{i}") for i in range(3)))
    assert len((await es_client.indices.get(index=f"{index_prefix}*")).body) == 3
