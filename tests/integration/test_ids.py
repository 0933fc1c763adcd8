"""Issue 10: document ids esorm accepts must be stored under that id and read back by it.

An empty id is silently replaced by a generated one; `"."` and `".."` are written, but
`get` asks for `/_doc/.` and `/_doc/..`, which the URL path resolves to other endpoints;
a lone surrogate cannot be encoded at all and escapes as a raw `UnicodeEncodeError`; and
reads by an empty id raise the client's `ValueError`. Ids must either be refused with
`InvalidEntityError` when the entity is added, or work end to end; reads by an id that
cannot exist must raise an esorm error (or answer "not there"), never a foreign one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from elasticsearch import AsyncElasticsearch

from esorm.errors import EsormError, InvalidEntityError
from esorm.mapping import Registry
from tests.integration._blog import BlogUnitOfWork, User
from tests.integration._stored import index_of, stored_sources

pytestmark = pytest.mark.integration

MakeUow = Callable[..., BlogUnitOfWork]


async def add_and_commit(uow: BlogUnitOfWork, user: User) -> None:
    uow.users.add(user)
    await uow.commit()


async def test_an_empty_id_is_refused_not_replaced(
    make_uow: MakeUow, registry: Registry, es_client: AsyncElasticsearch
) -> None:
    async with make_uow() as uow:
        with pytest.raises(InvalidEntityError):  # on add() or on commit(), before sending
            await add_and_commit(uow, User(id="", first_name="nobody"))
    assert await stored_sources(es_client, index_of(registry, User)) == []


@pytest.mark.parametrize("doc_id", [".", ".."])
async def test_dot_ids_are_refused_or_read_back(
    make_uow: MakeUow, registry: Registry, es_client: AsyncElasticsearch, doc_id: str
) -> None:
    async with make_uow() as uow:
        try:
            await add_and_commit(uow, User(id=doc_id, first_name="dot"))
        except InvalidEntityError:
            refused = True
        else:
            refused = False
    if refused:
        assert await stored_sources(es_client, index_of(registry, User)) == []
        return
    async with make_uow() as uow:  # a fresh unit: asks the server
        user = await uow.users.get(doc_id)
        assert (user.id, user.first_name) == (doc_id, "dot")
        assert await uow.users.exists(doc_id)
        assert (await uow.users.get_many([doc_id])).entities == [user]


@pytest.mark.parametrize("doc_id", ["\ud800", "a\udfffb"], ids=["high", "low-inside"])
async def test_an_id_with_a_lone_surrogate_is_refused(
    make_uow: MakeUow, registry: Registry, es_client: AsyncElasticsearch, doc_id: str
) -> None:
    async with make_uow() as uow:
        with pytest.raises(InvalidEntityError):
            uow.users.add(User(id=doc_id, first_name="x"))
    assert await stored_sources(es_client, index_of(registry, User)) == []


READS: dict[str, Callable[[BlogUnitOfWork, str], Awaitable[Any]]] = {
    "get": lambda uow, doc_id: uow.users.get(doc_id),
    "find": lambda uow, doc_id: uow.users.find(doc_id),
    "exists": lambda uow, doc_id: uow.users.exists(doc_id),
}


@pytest.mark.parametrize("doc_id", ["", "\ud800"], ids=["empty", "surrogate"])
@pytest.mark.parametrize("read", list(READS))
async def test_a_read_by_an_id_that_cannot_exist_is_answered_by_esorm(
    make_uow: MakeUow, read: str, doc_id: str
) -> None:
    async with make_uow() as uow:
        try:
            answer = await READS[read](uow, doc_id)
        except EsormError:
            return  # e.g. NotFoundError or InvalidEntityError
        assert read != "get", f"get({doc_id!r}) returned {answer!r}"
        assert answer in (None, False)
