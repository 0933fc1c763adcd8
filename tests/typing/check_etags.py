"""Checked by mypy (`make lint`), never run: ETags and preconditions type as users write them."""

from __future__ import annotations

from typing import Annotated, assert_type

from elasticsearch import AsyncElasticsearch
from fastapi import Depends, FastAPI, Response
from pydantic import BaseModel

from esorm import PreconditionFailedError, Registry, Repository, UnitOfWork
from esorm.etags import (
    EntityTag,
    EntityVersion,
    IfMatch,
    IfNoneMatch,
    parse_if_match,
    parse_if_none_match,
)
from esorm.fastapi import (
    ReadPreconditions,
    WritePreconditions,
    conditional_responses,
    read_preconditions,
    set_etag,
    write_preconditions,
)


class Order(BaseModel):
    id: str
    total: int = 0


class Shop(UnitOfWork):
    orders: Repository[Order]


async def service_layer(client: AsyncElasticsearch, registry: Registry, if_match: str) -> None:
    async with Shop(client, registry) as uow:
        order = await uow.orders.get("o1", expected=if_match)  # pinned to the client's version
        assert_type(order, Order)
        assert_type(await uow.orders.find("o2", expected=parse_if_match(if_match)), Order | None)
        assert_type(uow.orders.pin(order, IfMatch(wildcard=True)), Order)
        assert_type(uow.pin(order, '"abc"'), Order)
        assert_type(uow.etag_of(order), str | None)
        assert_type(uow.orders.etag_of(order), str | None)
        order.total += 1
        try:
            await uow.commit()
        except PreconditionFailedError as stale:
            assert_type(stale.current_etag, str | None)
        new = uow.add(Order(id="o3"))
        uow.pin(new, IfNoneMatch(wildcard=True))  # create-only


def headers(value: str | None) -> None:
    assert_type(parse_if_match(value), IfMatch | None)
    assert_type(parse_if_none_match(value), IfNoneMatch | None)
    condition = parse_if_match(value)
    if condition is not None:
        assert_type(condition.holds('"x"'), bool)
        assert_type(condition.strong_tags, tuple[EntityTag, ...])
    tag = EntityTag.parse('"x"')
    assert_type(EntityVersion.read(tag), EntityVersion | None)
    assert_type(EntityVersion.of("Order", "shop_orders", "o1", 5, 1).etag, EntityTag)


def routes(app: FastAPI, shop: Shop) -> None:
    reads, writes = read_preconditions(), write_preconditions(require=True)

    @app.get("/orders/{order_id}", responses=conditional_responses())
    async def read(
        order_id: str,
        response: Response,
        preconditions: Annotated[ReadPreconditions, Depends(reads)],
    ) -> Order:
        return preconditions.answer(response, shop, await shop.orders.get(order_id))

    @app.put("/orders/{order_id}", responses=conditional_responses(write=True))
    async def replace(
        order_id: str,
        response: Response,
        preconditions: Annotated[WritePreconditions, Depends(writes)],
    ) -> Order:
        order = await preconditions.load(shop.orders, order_id)
        assert_type(await preconditions.find(shop.orders, order_id), Order | None)
        assert_type(preconditions.add(shop.orders, Order(id="n")), Order)
        await shop.commit()
        return set_etag(response, shop, order)
