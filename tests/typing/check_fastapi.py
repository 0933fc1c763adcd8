"""Checked by mypy (`make lint`), never run: esorm.fastapi's helpers type as users expect."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import assert_type

from elasticsearch import AsyncElasticsearch
from fastapi import Response
from pydantic import BaseModel

from esorm import Registry, Repository, SearchResult, UnitOfWork
from esorm.di import EsormContainer
from esorm.fastapi import (
    PageResponse,
    pagination_dependency,
    set_total_headers,
    sort_dependency,
    unit_of_work_dependency,
)
from esorm.query import Page, Pagination, Sort, SortOptions


class User(BaseModel):
    id: str
    name: str


class Shop(UnitOfWork):
    users: Repository[User]


def usage(
    client: AsyncElasticsearch,
    registry: Registry,
    container: EsormContainer,
    page: Page[User],
    result: SearchResult[User],
    response: Response,
) -> None:
    assert_type(pagination_dependency(max_page_size=50), Callable[..., Awaitable[Pagination]])
    assert_type(sort_dependency(SortOptions({"name": "name"})), Callable[..., Awaitable[Sort]])
    assert_type(
        unit_of_work_dependency(lambda: Shop(client, registry)),
        Callable[[], AsyncIterator[Shop]],
    )
    assert_type(unit_of_work_dependency(container), Callable[[], AsyncIterator[UnitOfWork]])
    assert_type(set_total_headers(response, page), Page[User])
    assert_type(set_total_headers(response, result), SearchResult[User])
    assert_type(PageResponse.of(page), PageResponse[User])
    assert_type(PageResponse[User].of(page).items, list[User])
