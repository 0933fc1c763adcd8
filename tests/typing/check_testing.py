"""Checked by mypy, never run: the README's test-plugin pattern, as a user's tests write it."""

from __future__ import annotations

from collections.abc import Callable
from typing import assert_type

import pytest
from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel

from esorm import IndexManager, Registry, Repository, UnitOfWork
from esorm.client import ConnectionSettings
from esorm.testing import EmbeddedServer, RecordedRequest, RunningServer, record_requests


class User(BaseModel):
    id: str | None = None
    name: str


class Shop(UnitOfWork):
    users: Repository[User]


def shop_registry() -> Registry:
    registry = Registry(prefix="shop_")
    registry.register(User, index="users")
    return registry


@pytest.fixture
def registry(index_prefix: str) -> Registry:
    return shop_registry().with_prefix(index_prefix)


@pytest.fixture
def unit_of_work(es_client: AsyncElasticsearch, registry: Registry) -> Callable[[], Shop]:
    return lambda: Shop(es_client, registry)


async def test_sign_up(
    es_client: AsyncElasticsearch,
    registry: Registry,
    unit_of_work: Callable[[], Shop],
    esorm_server: RunningServer,
) -> None:
    await IndexManager(es_client, registry).create_all()
    async with unit_of_work() as uow:
        uow.users.add(User(name="Ann"))
        with record_requests(es_client) as log:
            await uow.commit()
    assert_type(log.to("_bulk"), list[RecordedRequest])
    assert_type(esorm_server.settings, ConnectionSettings)
    assert_type(esorm_server.url, str)


def outside_pytest() -> None:
    with EmbeddedServer() as server:
        assert_type(server.url, str)
        assert_type(server.pid, int)
