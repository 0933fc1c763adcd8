"""A stored document that does not validate: named precisely, or skipped and reported."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from elasticsearch import AsyncElasticsearch

from esorm.errors import InvalidEntityError, UnreadableDocumentError
from esorm.indices import concrete_name
from esorm.mapping import Registry
from tests.integration._blog import BlogUnitOfWork, User
from tests.integration._support import seed

pytestmark = pytest.mark.integration

MakeUow = Callable[..., BlogUnitOfWork]


async def poison(es_client: AsyncElasticsearch, registry: Registry) -> None:
    """A user written behind esorm's back with a field the entity refuses."""
    index = registry.mapping_for(User).index
    bad = {"id": "bad", "region": "eu"}  # no first_name, which the entity requires
    await es_client.index(index=index, id="bad", document=bad, refresh=True)


async def test_reading_it_names_the_index_the_id_and_the_field(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    await poison(es_client, registry)
    async with make_uow() as uow:
        with pytest.raises(UnreadableDocumentError) as caught:
            await uow.users.get("bad")
    error = caught.value
    concrete = concrete_name(registry.mapping_for(User).index, 1)
    assert (error.entity, error.id, error.index) == (User, "bad", concrete)
    assert error.fields == ("first_name",)
    assert "User 'bad'" in str(error) and "first_name: Field required" in str(error)
    assert not isinstance(error, InvalidEntityError)  # the data is wrong, not the caller


async def test_a_search_may_skip_it_and_report_it(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    await seed(make_uow, User(id="good", first_name="G"))
    await poison(es_client, registry)
    async with make_uow() as uow:
        with pytest.raises(UnreadableDocumentError):
            await uow.users.search()
        result = await uow.users.search(skip_unreadable=True, sort="id")
    assert [user.id for user in result] == ["good"]
    assert [error.id for error in result.unreadable] == ["bad"]
    assert result.total == 2  # the total still counts what the index holds
