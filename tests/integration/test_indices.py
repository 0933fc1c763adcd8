"""Index creation, reconciliation and templates against a real server."""

from __future__ import annotations

import asyncio
import socket
from typing import Annotated, Any

import pytest
from elasticsearch import AsyncElasticsearch, NotFoundError
from pydantic import BaseModel, Field

from esorm.domain import DenseVector
from esorm.errors import ConnectionFailedError, IndexMappingConflictError, MappingError
from esorm.indices import IndexManager, IndexReport, IndexStatus, IndexTemplate
from esorm.mapping import Registry

pytestmark = pytest.mark.integration


class Address(BaseModel):
    city: str


class Person(BaseModel):
    id: str
    name: str
    address: Address


class WideAddress(BaseModel):
    city: str
    zip: str


class WidePerson(BaseModel):
    """Person with one new top-level field, one new object field and one new subfield."""

    id: str
    name: str
    age: int
    address: WideAddress


NAME_WITH_TEXT = {"name": {"type": "keyword", "fields": {"text": {"type": "text"}}}}


def manager_for(
    client: AsyncElasticsearch,
    prefix: str,
    entity: type[BaseModel],
    fields: dict[str, Any] | None = None,
) -> IndexManager:
    registry = Registry(prefix=prefix)
    registry.register(entity, index="people", fields=fields)
    return IndexManager(client, registry)


async def live_mapping(client: AsyncElasticsearch, index: str) -> dict[str, Any]:
    """The mapping of the one concrete index behind a name (an alias or an index)."""
    response = await client.indices.get_mapping(index=index)
    (info,) = response.body.values()
    mappings: dict[str, Any] = info["mappings"]
    return mappings


async def test_creating_twice_makes_one_index_and_reports_unchanged(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    manager = manager_for(es_client, index_prefix, Person)

    first = await manager.create_all()
    second = await manager.create_all()

    index = index_prefix + "people"
    assert first == [IndexReport(index, IndexStatus.CREATED)]
    assert second == [IndexReport(index, IndexStatus.UNCHANGED)]
    assert first[0].concrete == second[0].concrete == index + "__v1"
    existing = await es_client.indices.get(index=index_prefix + "*")
    # one versioned index, the entity's name an alias on it that takes the writes
    assert list(existing.body) == [index + "__v1"]
    assert existing.body[index + "__v1"]["aliases"] == {index: {"is_write_index": True}}
    assert (await live_mapping(es_client, index))["properties"] == {
        "id": {"type": "keyword"},
        "name": {"type": "keyword"},
        "address": {"properties": {"city": {"type": "keyword"}}},
        # esorm's write ids: kept in _source only, never searched
        "esorm_writes": {"type": "keyword", "index": False, "doc_values": False},
    }


async def test_a_widened_entity_adds_its_new_fields_to_the_live_mapping(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    await manager_for(es_client, index_prefix, Person).create_all()
    wide = manager_for(es_client, index_prefix, WidePerson, fields=NAME_WITH_TEXT)

    report = await wide.create(WidePerson)

    index = index_prefix + "people"
    assert report.index == index
    assert report.status is IndexStatus.UPDATED
    assert set(report.added_fields) == {"name.text", "age", "address.zip"}
    props = (await live_mapping(es_client, index))["properties"]
    assert props["age"] == {"type": "long"}
    assert props["address"]["properties"] == {
        "city": {"type": "keyword"},
        "zip": {"type": "keyword"},
    }
    assert props["name"] == {"type": "keyword", "fields": {"text": {"type": "text"}}}
    assert await wide.create(WidePerson) == IndexReport(index, IndexStatus.UNCHANGED)


class RetypedPerson(BaseModel):
    id: str
    name: int  # was keyword
    address: Address
    email: str  # new: must not be added when another field conflicts


class FlatPerson(BaseModel):
    id: str
    name: str
    address: str  # was an object
    email: str


class DeepRetypedAddress(BaseModel):
    city: int


class DeepRetypedPerson(BaseModel):
    id: str
    name: str
    address: DeepRetypedAddress
    email: str


@pytest.mark.parametrize(
    ("entity", "fields", "field", "old_type", "new_type"),
    [
        (RetypedPerson, None, "name", "keyword", "long"),
        (FlatPerson, None, "address", "object", "keyword"),
        (DeepRetypedPerson, None, "address.city", "keyword", "long"),
        (
            Person,
            {"name": {"type": "keyword", "fields": {"text": {"type": "long"}}}},
            "name.text",
            "text",
            "long",
        ),
    ],
    ids=["type-change", "object-to-keyword", "inside-object", "subfield"],
)
async def test_an_incompatible_change_fails_and_leaves_the_mapping_alone(
    es_client: AsyncElasticsearch,
    index_prefix: str,
    entity: type[BaseModel],
    fields: dict[str, Any] | None,
    field: str,
    old_type: str,
    new_type: str,
) -> None:
    index = index_prefix + "people"
    await manager_for(es_client, index_prefix, Person, fields=NAME_WITH_TEXT).create_all()
    before = await live_mapping(es_client, index)

    with pytest.raises(IndexMappingConflictError) as caught:
        await manager_for(es_client, index_prefix, entity, fields=fields).create_all()

    error = caught.value
    assert (error.index, error.field, error.old_type, error.new_type) == (
        index,
        field,
        old_type,
        new_type,
    )
    assert index in str(error)
    assert field in str(error)
    assert await live_mapping(es_client, index) == before


async def test_concurrent_creation_of_one_index_succeeds_once(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    managers = [manager_for(es_client, index_prefix, Person) for _ in range(5)]

    reports = await asyncio.gather(*(m.create(Person) for m in managers))

    statuses = sorted(report.status for report in reports)
    assert statuses == [IndexStatus.CREATED] + [IndexStatus.UNCHANGED] * 4


async def test_delete_all_and_refresh(es_client: AsyncElasticsearch, index_prefix: str) -> None:
    manager = manager_for(es_client, index_prefix, Person)
    await manager.create_all()
    await es_client.index(index=index_prefix + "people", id="1", document={"name": "Ann"})

    await manager.refresh(Person)
    await manager.refresh()

    count = await es_client.count(index=index_prefix + "people")
    assert count["count"] == 1
    assert await manager.delete_all() == [index_prefix + "people__v1"]
    assert not await es_client.indices.exists(index=index_prefix + "people")
    assert await manager.delete_all() == []  # nothing left: no error


async def test_template_settings_and_mappings_apply_to_matching_indices(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    manager = IndexManager(es_client, Registry(prefix=index_prefix))
    template = IndexTemplate(
        name="logs",
        patterns=["logs-*"],
        shards=2,
        replicas=0,
        settings={"refresh_interval": "5s"},
        mappings={"properties": {"message": {"type": "text"}, "level": {"type": "keyword"}}},
        priority=50,
    )

    name = await manager.put_template(template)
    await es_client.indices.create(index=index_prefix + "logs-2024")

    assert name == index_prefix + "logs"
    stored = await es_client.indices.get_index_template(name=name)
    assert stored["index_templates"][0]["index_template"]["index_patterns"] == [
        index_prefix + "logs-*"
    ]
    created = (await es_client.indices.get(index=index_prefix + "logs-2024"))[
        index_prefix + "logs-2024"
    ]
    settings = created["settings"]["index"]
    assert settings["number_of_shards"] == "2"
    assert settings["number_of_replicas"] == "0"
    assert settings["refresh_interval"] == "5s"
    assert created["mappings"]["properties"] == {
        "message": {"type": "text"},
        "level": {"type": "keyword"},
    }

    assert await manager.delete_template("logs") is True
    with pytest.raises(NotFoundError):
        await es_client.indices.get_index_template(name=name)
    assert await manager.delete_template("logs") is False


async def test_template_from_an_entity_takes_its_generated_mapping(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    registry = Registry(prefix=index_prefix)
    registry.register(Person, index="people-current")
    manager = IndexManager(es_client, registry)

    await manager.put_template(IndexTemplate("people", ["people-*"], replicas=0, entity=Person))
    await es_client.indices.create(index=index_prefix + "people-2024")

    mapping = await live_mapping(es_client, index_prefix + "people-2024")
    assert (
        mapping["properties"] == registry.mapping_for(Person).index_body()["mappings"]["properties"]
    )
    # the entity's own index is then created from the template and the entity alike
    assert await manager.create(Person) == IndexReport(
        index_prefix + "people-current", IndexStatus.CREATED
    )


async def test_an_unreachable_server_fails_naming_the_url_without_credentials() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = AsyncElasticsearch(f"http://elastic:s3cret@127.0.0.1:{port}", max_retries=0)
    registry = Registry()
    registry.register(Person)
    try:
        with pytest.raises(ConnectionFailedError) as caught:
            await IndexManager(client, registry).create_all()
    finally:
        await client.close()

    assert f"127.0.0.1:{port}" in str(caught.value)
    assert "s3cret" not in str(caught.value)


async def test_a_mapping_the_server_refuses_fails_naming_entity_and_index(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    manager = manager_for(es_client, index_prefix, Person, fields={"name": {"type": "no_such"}})

    with pytest.raises(MappingError, match=r"Person: index '.*people__v1' could not be created"):
        await manager.create_all()

    assert not await es_client.indices.exists(index=index_prefix + "people")


class Vec3(BaseModel):
    id: str
    v: Annotated[list[float], DenseVector(3)]


class Vec4(BaseModel):
    id: str
    v: Annotated[list[float], DenseVector(4)]


async def test_a_changed_vector_dims_fails_instead_of_reporting_unchanged(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    # the server cannot change dims in place: every later 4-dim write would be refused
    await manager_for(es_client, index_prefix, Vec3).create_all()

    with pytest.raises(IndexMappingConflictError) as caught:
        await manager_for(es_client, index_prefix, Vec4).create_all()

    error = caught.value
    assert (error.field, error.old_type, error.new_type) == (
        "v",
        "dense_vector (dims: 3)",
        "dense_vector (dims: 4)",
    )


class Dotted(BaseModel):
    id: str
    ab: int = Field(default=1, alias="a.b")


async def test_a_dotted_stored_name_reconciles_unchanged(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    # the server keeps "a.b" as object `a` with property `b`
    await manager_for(es_client, index_prefix, Dotted).create_all()

    [report] = await manager_for(es_client, index_prefix, Dotted).create_all()

    assert report.status is IndexStatus.UNCHANGED, report


class Labelled(BaseModel):
    id: str
    labels: dict[str, str] = {}


async def test_dict_fields_create_their_dynamic_templates_and_reconcile_unchanged(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    manager = manager_for(es_client, index_prefix, Labelled)
    await manager.create_all()

    mappings = await live_mapping(es_client, index_prefix + "people")
    [report] = await manager.create_all()

    assert mappings["dynamic_templates"] == [
        {"labels.*": {"path_match": "labels.*", "mapping": {"type": "keyword"}}}
    ]
    assert report.status is IndexStatus.UNCHANGED


class Tagged(BaseModel):
    id: str
    name: str


class TaggedWithLabels(BaseModel):
    id: str
    name: str
    labels: dict[str, str] = Field(default_factory=dict)


async def test_a_new_dict_field_brings_its_dynamic_template_to_an_existing_index(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    await manager_for(es_client, index_prefix, Tagged).create_all()
    (report,) = await manager_for(es_client, index_prefix, TaggedWithLabels).create_all()
    assert report.status is IndexStatus.UPDATED
    assert any(name.startswith("dynamic template") for name in report.added_fields)
    index = f"{index_prefix}people"
    live = await live_mapping(es_client, index)
    assert live["dynamic_templates"]
    # a date-like value first must not turn the dict's values into dates
    await es_client.index(
        index=index, id="1", document={"id": "1", "name": "a", "labels": {"x": "2024-01-01"}}
    )
    await es_client.index(
        index=index, id="2", document={"id": "2", "name": "b", "labels": {"x": "soon"}}
    )
    again = await manager_for(es_client, index_prefix, TaggedWithLabels).create_all()
    assert again[0].status is IndexStatus.UNCHANGED
