"""A user's service code: one entity, its registry, a unit of work and a use case."""

from __future__ import annotations

from pydantic import BaseModel

from esorm import Registry, Repository, UnitOfWork


class Customer(BaseModel):
    id: str | None = None
    name: str
    email: str


class ShopUnitOfWork(UnitOfWork):
    customers: Repository[Customer]


def shop_registry() -> Registry:
    registry = Registry(prefix="shop_")
    registry.register(Customer, index="customers")
    return registry


async def sign_up(uow: ShopUnitOfWork, name: str, email: str) -> str:
    """Register a customer; returns the new id."""
    async with uow:
        customer = uow.customers.add(Customer(name=name, email=email))
        await uow.commit()
        return uow.customers.id_of(customer)


async def rename(uow: ShopUnitOfWork, customer_id: str, name: str) -> None:
    async with uow:
        (await uow.customers.get(customer_id)).name = name
        await uow.commit()
