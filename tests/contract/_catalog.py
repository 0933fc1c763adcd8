"""Entities of every field kind the store evaluates, and helpers to write raw documents."""

from __future__ import annotations

import datetime
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from pydantic import BaseModel, Field

from esorm.domain import DenseVector, Float, GeoPoint, Nested, Text
from esorm.mapping import EntityMapping, Registry
from esorm.store import DocumentStore, ItemResult, Write


class Address(BaseModel):
    city: str
    zip: str = ""


class Line(BaseModel):
    sku: str
    qty: int = 1


class Item(BaseModel):
    """One field of each kind: keyword, text with a keyword sub-field, long, double, float,
    date, boolean, keyword array, object, object array, nested array, dict values, and a
    geo point and a vector, which only the server searches."""

    id: str
    sku: str = ""
    title: Annotated[str, Text(keyword=True)] = ""
    count: int = 0
    price: float = 0.0
    weight: Annotated[float, Float()] = 0.0
    at: datetime.datetime | None = None
    day: datetime.date | None = None
    active: bool = True
    tags: list[str] = Field(default_factory=list)
    address: Address | None = None
    lines: list[Line] = Field(default_factory=list)
    parts: Annotated[list[Line], Nested()] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)
    place: GeoPoint | None = None
    vector: Annotated[list[float], DenseVector(dims=2)] | None = None


class Strict(BaseModel):
    id: str
    name: str = ""


class Routed(BaseModel):
    id: str
    region: str


def catalog_registry(prefix: str) -> Registry:
    registry = Registry(prefix=prefix)
    registry.register(Item, index="items")
    registry.register(Strict, index="strict", dynamic="strict")
    registry.register(Routed, index="routed", routing=lambda doc: doc.region)
    return registry


CreateIndices = Callable[[Registry], Awaitable[None]]


def source(**fields: Any) -> bytes:
    return json.dumps(fields).encode()


def write(
    action: str, mapping: EntityMapping[Any], doc_id: str, body: dict[str, Any] | None = None,
    **options: Any,
) -> Write:  # fmt: skip
    """One raw write to the entity's index (`body` is the document, or the update body)."""
    payload = None if body is None else json.dumps(body).encode()
    return Write(action, mapping.index, doc_id, payload, **options)  # type: ignore[arg-type]


async def put(
    store: DocumentStore, mapping: EntityMapping[Any], *docs: dict[str, Any]
) -> list[ItemResult]:
    """Index documents (their `id` is the id), refreshed for searches."""
    writes = [write("index", mapping, str(doc["id"]), doc) for doc in docs]
    return await store.bulk(writes, refresh=True)


async def ids(store: DocumentStore, mapping: EntityMapping[Any], body: dict[str, Any]) -> list[str]:
    """The ids a search body finds, in order."""
    response = await store.search(mapping, body)
    return [hit["_id"] for hit in response["hits"]["hits"]]
