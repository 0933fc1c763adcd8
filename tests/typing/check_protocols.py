"""Checked by mypy (`make lint`), never run: the real classes satisfy the service-layer
Protocols, a user's own unit-of-work Protocol takes either store, and the README's
patterns type as written."""

from __future__ import annotations

from typing import Protocol, assert_type

from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel

from esorm import (
    CommitResult,
    Registry,
    Repository,
    RepositoryProtocol,
    UnitOfWork,
    UnitOfWorkProtocol,
    retry_on_conflict,
)
from esorm.repository import EntityStream, HitStream
from esorm.testing import InMemoryStore, RecordingStore


class Order(BaseModel):
    id: str
    total: int = 0


class OrderUnitOfWork(UnitOfWorkProtocol, Protocol):
    """What the use cases below need: declared by the user, implemented by esorm."""

    @property
    def orders(self) -> RepositoryProtocol[Order]: ...


class EsOrderUnitOfWork(UnitOfWork):
    orders: Repository[Order]


@retry_on_conflict(attempts=3)
async def add_to_order(uow: OrderUnitOfWork, order_id: str, amount: int) -> Order:
    async with uow:
        order = await uow.orders.get(order_id)
        order.total += amount
        await uow.commit()
        return order


async def place(uow: OrderUnitOfWork, total: int) -> str:
    async with uow as entered:
        assert_type(entered, OrderUnitOfWork)
        order = entered.orders.add(Order(id="o1", total=total))
        assert_type(await entered.commit(), CommitResult)
        return entered.orders.id_of(order)


async def wiring(client: AsyncElasticsearch, registry: Registry) -> None:
    on_server: OrderUnitOfWork = EsOrderUnitOfWork(client, registry)
    in_memory: OrderUnitOfWork = EsOrderUnitOfWork(InMemoryStore(), registry)
    recorded: OrderUnitOfWork = EsOrderUnitOfWork(RecordingStore(InMemoryStore()), registry)
    for uow in (on_server, in_memory, recorded):
        assert_type(await add_to_order(uow, "o1", 5), Order)
        assert_type(await place(uow, 3), str)
        assert_type(await uow.run(lambda unit: unit.orders.count()), int)


async def repositories(uow: EsOrderUnitOfWork) -> None:
    orders: RepositoryProtocol[Order] = uow.orders
    generic: RepositoryProtocol[Order] = uow.repository(Order)
    any_unit: UnitOfWorkProtocol = uow
    assert_type(any_unit.repository(Order), RepositoryProtocol[Order])
    assert_type(await generic.search_one(), Order | None)
    stream: EntityStream[Order] = uow.orders.iterate(page_size=100)
    concrete: HitStream[Order] = uow.orders.iterate()
    async with orders.iterate() as entities:
        async for order in entities:
            assert_type(order, Order)
    assert_type((await orders.page()).items, list[Order])
    del stream, concrete
