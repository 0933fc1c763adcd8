"""Issue 10: a commit must not store what the entity's own declaration forbids.

`add()` validates, but changes made afterwards (attribute assignment, in-place changes
of nested values) are only serialized, and pydantic's serializer checks types, not
constraints, and writes `nan`/`inf` as `null`. So invalid documents are stored, and
reading them back fails. The commit must refuse them with `InvalidEntityError` before
anything is sent, as it does for a value of the wrong type.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel, Field

from esorm.errors import InvalidEntityError
from esorm.mapping import Registry
from esorm.testing import record_requests
from esorm.uow import UnitOfWork
from tests.integration._stored import index_of, stored_doc
from tests.integration._support import registered

pytestmark = pytest.mark.integration


class Line(BaseModel):
    sku: str
    quantity: int = Field(gt=0)


class Basket(BaseModel):
    id: str
    total: int = Field(default=0, ge=0)
    lines: list[Line] = Field(default_factory=list)


class Reading(BaseModel):
    id: str
    label: str = ""
    value: float = 0.0


MakeUow = Callable[[], UnitOfWork]


@pytest.fixture
async def entities(es_client: AsyncElasticsearch, index_prefix: str) -> Registry:
    return await registered(es_client, index_prefix, Basket, Reading)


@pytest.fixture
def make(es_client: AsyncElasticsearch, entities: Registry) -> MakeUow:
    return lambda: UnitOfWork(es_client, entities, refresh=True)


async def store(make: MakeUow, entity: BaseModel) -> None:
    async with make() as uow:
        await add_and_commit(uow, entity)


async def add_and_commit(uow: UnitOfWork, entity: BaseModel) -> None:
    uow.add(entity)
    await uow.commit()


def break_nested(basket: Basket) -> None:
    basket.lines[0].quantity = 0  # in place: no validation runs


def break_top_level(basket: Basket) -> None:
    basket.total = -1  # assignment without validate_assignment: no validation runs


@pytest.mark.parametrize(
    "change", [break_nested, break_top_level], ids=["nested-in-place", "top-level"]
)
async def test_a_change_that_breaks_a_constraint_is_refused_before_sending(
    make: MakeUow,
    entities: Registry,
    es_client: AsyncElasticsearch,
    change: Callable[[Basket], None],
) -> None:
    await store(make, Basket(id="b", total=5, lines=[Line(sku="x", quantity=1)]))
    async with make() as uow:
        change(await uow.repository(Basket).get("b"))
        with record_requests(es_client) as log, pytest.raises(InvalidEntityError):
            await uow.commit()
        assert log.to("_bulk") == []
    doc = await stored_doc(es_client, index_of(entities, Basket), "b")
    assert doc is not None
    assert (doc.source["total"], doc.source["lines"][0]["quantity"]) == (5, 1)
    async with make() as uow:  # what is stored still reads back
        assert (await uow.repository(Basket).get("b")).lines[0].quantity == 1


NON_FINITE = pytest.mark.parametrize(
    "value", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "-inf"]
)


@NON_FINITE
async def test_a_new_entity_with_a_non_finite_float_is_refused(
    make: MakeUow, entities: Registry, es_client: AsyncElasticsearch, value: float
) -> None:
    async with make() as uow:
        with pytest.raises(InvalidEntityError):  # on add() or on commit(), before sending
            await add_and_commit(uow, Reading(id="r", value=value))
    assert await stored_doc(es_client, index_of(entities, Reading), "r") is None


@NON_FINITE
async def test_a_change_to_a_non_finite_float_is_refused_before_sending(
    make: MakeUow, entities: Registry, es_client: AsyncElasticsearch, value: float
) -> None:
    await store(make, Reading(id="r", value=1.5))
    async with make() as uow:
        (await uow.repository(Reading).get("r")).value = value
        with record_requests(es_client) as log, pytest.raises(InvalidEntityError):
            await uow.commit()
        assert log.to("_bulk") == []
    doc = await stored_doc(es_client, index_of(entities, Reading), "r")
    assert doc is not None and doc.source["value"] == 1.5


@NON_FINITE
async def test_a_partial_update_to_a_non_finite_float_is_refused_before_sending(
    make: MakeUow, entities: Registry, es_client: AsyncElasticsearch, value: float
) -> None:
    await store(make, Reading(id="r", label="keep", value=1.5))
    async with make() as uow:
        reading = await uow.repository(Reading).get("r", source_includes=["value"])
        reading.value = value
        with record_requests(es_client) as log, pytest.raises(InvalidEntityError):
            await uow.commit()
        assert log.to("_bulk") == []
    doc = await stored_doc(es_client, index_of(entities, Reading), "r")
    assert doc is not None and doc.source == {"id": "r", "label": "keep", "value": 1.5}
