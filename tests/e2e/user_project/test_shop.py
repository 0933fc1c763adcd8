"""The user's service-layer tests, written against esorm's pytest plugin."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from elasticsearch import AsyncElasticsearch
from shop import Customer, ShopUnitOfWork, rename, sign_up
from shop_testing import Shop

from esorm import IndexManager, Registry, UnitOfWork
from esorm.testing import InMemoryStore


@pytest.mark.parametrize("name", ["Ann", "Bob"])
async def test_sign_up_stores_one_customer(shop: Shop, name: str) -> None:
    await shop.create_indices()
    customer_id = await sign_up(shop.unit_of_work(), name, f"{name.lower()}@example.com")
    async with shop.unit_of_work() as uow:
        assert (await uow.customers.get(customer_id)).name == name
        assert await uow.customers.count() == 1  # the other parametrization left nothing here


async def test_rename_through_a_fresh_unit_of_work(shop: Shop) -> None:
    await shop.create_indices()
    customer_id = await sign_up(shop.unit_of_work(), "Cid", "cid@example.com")
    await rename(shop.unit_of_work(), customer_id, "Cyd")
    async with shop.unit_of_work() as uow:
        assert (await uow.customers.get(customer_id)).name == "Cyd"


async def test_a_use_case_joins_the_unit_the_caller_entered(shop: Shop) -> None:
    await shop.create_indices()
    customer_id = await sign_up(shop.unit_of_work(), "Dee", "dee@example.com")
    async with shop.unit_of_work() as request_unit:  # as a request-scoped unit would be
        await rename(request_unit, customer_id, "Di")
        assert (await request_unit.customers.get(customer_id)).name == "Di"


async def test_the_server_stores_what_the_use_case_wrote(
    es_client: AsyncElasticsearch, registry: Registry, unit_of_work: Callable[[], ShopUnitOfWork]
) -> None:
    await IndexManager(es_client, registry).create_all()
    customer_id = await sign_up(unit_of_work(), "Cid", "cid@example.com")
    await rename(unit_of_work(), customer_id, "Cyd")
    stored = await es_client.get(index=registry.mapping_for(Customer).index, id=customer_id)
    assert stored["_source"]["name"] == "Cyd"


async def test_the_memory_store_is_one_cluster_for_every_unit(memory_store: InMemoryStore) -> None:
    registry = Registry()
    registry.register(Customer, index="people")
    memory_store.create_indices(registry)
    async with UnitOfWork(memory_store, registry) as writer:
        writer.add(Customer(id="1", name="Eve", email="eve@example.com"))
        await writer.commit()
    async with UnitOfWork(memory_store, registry) as reader:
        assert (await reader.repository(Customer).get("1")).email == "eve@example.com"
    assert memory_store.indices == ["people"]


async def test_concurrent_requests_from_the_test_loop(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    await asyncio.gather(*(es_client.indices.create(index=f"{index_prefix}c{i}") for i in range(3)))
    assert len((await es_client.indices.get(index=f"{index_prefix}*")).body) == 3
