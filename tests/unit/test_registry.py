"""Registering entities: index names, prefixes, ids, overrides, timestamps, repeat registration."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import pytest
from pydantic import (
    UUID4,
    UUID7,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    computed_field,
)
from pydantic.types import UuidVersion

from esorm.domain import Text
from esorm.errors import InvalidEntityError, MappingError, NotRegisteredError
from esorm.mapping import Registry, Timestamps

pytestmark = pytest.mark.unit


class BlogPost(BaseModel):
    id: str | None = None
    title: Annotated[str, Text()]
    author_id: str


class HTTPRequestLog(BaseModel):
    path: str


class Order(BaseModel):
    number: str
    customer: str


class Keyed(BaseModel):
    id: uuid.UUID | None = None
    name: str


class Aliased(BaseModel):
    key: str = Field(alias="Key")
    label: str = Field(serialization_alias="Label", validation_alias=AliasChoices("Label", "label"))


class Stamped(BaseModel):
    id: str
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


class Unstamped(BaseModel):
    id: str


def order_number(order: Order) -> str:
    return f"order-{order.number}"


def by_customer(order: Order) -> str:
    return order.customer


# -- index names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entity", "index"),
    [(BlogPost, "blog_post"), (HTTPRequestLog, "http_request_log"), (Order, "order")],
)
def test_default_index_name_is_the_snake_cased_class_name(
    entity: type[BaseModel], index: str
) -> None:
    mapping = Registry().register(entity)

    assert mapping.index == index
    assert mapping.base_index == index


def test_explicit_index_name_and_prefix() -> None:
    mapping = Registry(prefix="shop_").register(Order, index="orders")

    assert mapping.index == "shop_orders"
    assert mapping.base_index == "orders"


def test_with_prefix_copies_every_mapping_under_the_new_prefix() -> None:
    registry = Registry(prefix="app_")
    registry.register(Order, index="orders")
    registry.register(BlogPost)

    test_registry = registry.with_prefix("t1234_")

    assert test_registry.prefix == "t1234_"
    assert test_registry.mapping_for(Order).index == "t1234_orders"
    assert test_registry.mapping_for(BlogPost).index == "t1234_blog_post"
    assert registry.mapping_for(Order).index == "app_orders"
    assert len(test_registry) == 2
    assert test_registry.mapping_for(Order).properties == registry.mapping_for(Order).properties


@pytest.mark.parametrize(
    ("index", "problem"),
    [
        ("Orders", "lower case"),
        ("or/ders", "'/'"),
        ("or ders", "' '"),
        ("or*ders", "'*'"),
        ("or:ders", "':'"),
        ("_orders", "must not start"),
        ("-orders", "must not start"),
        ("+orders", "must not start"),
        ("..", "reserved"),
        ("", "empty"),
        ("o" * 256, "limit is 255"),
    ],
)
def test_invalid_index_names_fail_at_registration(index: str, problem: str) -> None:
    with pytest.raises(MappingError, match="Order: invalid index name") as caught:
        Registry().register(Order, index=index)

    assert problem in str(caught.value)


def test_a_prefix_that_makes_the_name_invalid_fails() -> None:
    with pytest.raises(MappingError, match="lower case"):
        Registry(prefix="Test_").register(Order)
    registry = Registry()
    registry.register(Order)
    with pytest.raises(MappingError, match="must not start"):
        registry.with_prefix("_x")


def test_index_name_at_the_byte_limit_is_accepted() -> None:
    assert Registry().register(Order, index="o" * 255).index == "o" * 255


# -- ids -----------------------------------------------------------------------------------


def test_default_id_field_is_used_when_the_entity_has_one() -> None:
    mapping = Registry().register(BlogPost)
    post = BlogPost(id="p1", title="Hi", author_id="u1")

    assert mapping.id_field == "id"
    assert mapping.id_of(post) == "p1"
    assert mapping.id_of(post.model_copy(update={"id": None})) is None


def test_entity_without_id_field_gets_ids_kept_outside_it() -> None:
    mapping = Registry().register(Order)

    assert mapping.id_field is None
    assert mapping.id_of(Order(number="1", customer="c")) is None


def test_named_id_field() -> None:
    mapping = Registry().register(Order, id="number")

    assert mapping.id_field == "number"
    assert mapping.id_of(Order(number="42", customer="c")) == "42"


def test_unknown_named_id_field_fails() -> None:
    with pytest.raises(MappingError, match=r"Order: id field 'code'"):
        Registry().register(Order, id="code")


def test_id_function() -> None:
    mapping = Registry().register(Order, id=order_number)

    assert mapping.id_function is order_number
    assert mapping.id_of(Order(number="7", customer="c")) == "order-7"


def test_id_none_keeps_ids_outside_even_with_an_id_field() -> None:
    mapping = Registry().register(BlogPost, id=None)

    assert mapping.id_field is None
    assert mapping.id_of(BlogPost(id="p1", title="t", author_id="a")) is None


def test_new_ids_are_assigned_to_the_id_field_in_its_type() -> None:
    mapping = Registry().register(Keyed)
    entity = Keyed(name="n")

    doc_id = mapping.assign_new_id(entity)

    assert entity.id == uuid.UUID(doc_id)
    assert mapping.id_of(entity) == doc_id


class V7(BaseModel):
    id: UUID7 | None = None  # the natural annotation for esorm's UUIDv7 ids


class V4(BaseModel):
    id: UUID4 | None = None


class Versioned(BaseModel):
    id: Annotated[uuid.UUID, UuidVersion(7)] | None = None


@pytest.mark.parametrize(("entity", "version"), [(V7, 7), (V4, 4), (Versioned, 7)])
def test_new_ids_fit_uuid_fields_with_a_version(entity: type[Any], version: int) -> None:
    mapping = Registry().register(entity)
    instance = entity()

    doc_id = mapping.assign_new_id(instance)

    assert isinstance(instance.id, uuid.UUID)
    assert instance.id.version == version
    assert mapping.id_of(instance) == doc_id
    # the commit dumps with warnings="error": the value must be of the field's type
    instance.__pydantic_serializer__.to_json(instance, warnings="error")


class Numbered(BaseModel):
    id: int | None = None


class ShortId(BaseModel):
    id: str | None = Field(default=None, max_length=10)


def test_int_ids_work_when_given() -> None:
    mapping = Registry().register(Numbered)

    assert mapping.id_of(Numbered(id=42)) == "42"


@pytest.mark.parametrize(
    ("entity", "needle"), [(Numbered, "int | None"), (ShortId, "at most 10 characters")]
)
def test_an_id_field_that_cannot_hold_a_generated_id_fails_when_one_is_needed(
    entity: type[Any], needle: str
) -> None:
    mapping = Registry().register(entity)

    with pytest.raises(InvalidEntityError, match=rf"^{entity.__name__}\.id: no id was given"):
        mapping.assign_new_id(entity())
    with pytest.raises(InvalidEntityError, match=needle):
        mapping.assign_new_id(entity())


def test_ids_over_512_bytes_are_refused() -> None:
    mapping = Registry().register(Order, id="number")

    with pytest.raises(InvalidEntityError, match="512"):
        mapping.id_of(Order(number="é" * 300, customer="c"))


def test_routing_function() -> None:
    mapping = Registry().register(Order, routing=by_customer)

    assert mapping.routing_of(Order(number="1", customer="acme")) == "acme"
    assert Registry().register(Order).routing_of(Order(number="1", customer="x")) is None


# -- repeated registration -----------------------------------------------------------------


def test_registering_twice_with_the_same_settings_returns_the_same_mapping() -> None:
    registry = Registry()
    first = registry.register(
        Order, index="orders", id=order_number, routing=by_customer, fields={"customer": {}}
    )

    second = registry.register(
        Order, index="orders", id=order_number, routing=by_customer, fields={"customer": {}}
    )

    assert second is first
    assert len(registry) == 1


@pytest.mark.parametrize(
    "changed",
    [
        {"index": "other"},
        {"id": "customer"},
        {"routing": order_number},
        {"settings": {"number_of_shards": 2}},
        {"fields": {"customer": {"type": "text"}}},
        {"dynamic": "strict"},
    ],
)
def test_registering_twice_with_different_settings_fails(changed: dict[str, object]) -> None:
    registry = Registry()
    registry.register(Order, index="orders", id="number", routing=by_customer)
    settings: dict[str, object] = {"index": "orders", "id": "number", "routing": by_customer}
    settings.update(changed)

    with pytest.raises(MappingError, match="Order is already registered"):
        registry.register(Order, **settings)  # type: ignore[arg-type]


def test_mapping_for_an_unregistered_entity_names_it() -> None:
    with pytest.raises(NotRegisteredError, match=r"'Order' is not registered"):
        Registry().mapping_for(Order)


def test_registry_lists_its_entities() -> None:
    registry = Registry()
    registry.register(Order)
    registry.register(BlogPost)

    assert Order in registry
    assert Keyed not in registry
    assert [m.entity for m in registry] == [Order, BlogPost]


def test_only_pydantic_model_classes_can_be_registered() -> None:
    with pytest.raises(MappingError, match="not a pydantic model class"):
        Registry().register(dict)  # type: ignore[type-var]


# -- fields, overrides, timestamps ---------------------------------------------------------


def test_generated_properties_and_index_body() -> None:
    mapping = Registry().register(BlogPost, settings={"number_of_shards": 1}, dynamic="strict")

    assert mapping.index_body() == {
        "mappings": {
            "dynamic": "strict",
            "properties": {
                "id": {"type": "keyword"},
                "title": {"type": "text"},
                "author_id": {"type": "keyword"},
                # where esorm keeps each document's latest write ids, stored and not indexed
                "esorm_writes": {"type": "keyword", "index": False, "doc_values": False},
            },
        },
        "settings": {"number_of_shards": 1},
    }


def test_the_write_ids_field_is_reserved() -> None:
    class Clash(BaseModel):
        id: str
        writes: list[str] = Field(default_factory=list, alias="esorm_writes")

    with pytest.raises(MappingError, match="'esorm_writes' is reserved"):
        Registry().register(Clash)


def test_field_overrides_replace_the_generated_mapping() -> None:
    mapping = Registry().register(Aliased, fields={"key": {"type": "text"}})

    assert mapping.properties == {"Key": {"type": "text"}, "Label": {"type": "keyword"}}


def test_unknown_override_field_fails() -> None:
    with pytest.raises(MappingError, match=r"Order: field overrides name unknown fields \['x'\]"):
        Registry().register(Order, fields={"x": {"type": "text"}})


def test_unsupported_field_type_fails_at_registration() -> None:
    class Bad(BaseModel):
        data: bytes

    with pytest.raises(MappingError, match=r"^Bad\.data: .*Binary\(\)"):
        Registry().register(Bad)


def test_stored_names_follow_the_serialization_alias() -> None:
    mapping = Registry().register(Aliased, id="key")
    entity = Aliased(Key="k1", Label="l1")

    source = mapping.to_source(entity)

    assert mapping.stored_names == {"key": "Key", "label": "Label"}
    assert source == {"Key": "k1", "Label": "l1"}
    assert mapping.from_source(source) == entity
    assert mapping.from_source({"Label": "l1"}, doc_id="k1") == entity


class StrictEntity(BaseModel):
    model_config = ConfigDict(strict=True)
    id: str | None = None
    at: dt.datetime
    ref: uuid.UUID = Field(strict=True)


def test_strict_models_read_back_their_own_source() -> None:
    # strict python-mode validation refuses the JSON text of a datetime or UUID
    mapping = Registry().register(StrictEntity)
    entity = StrictEntity(id="1", at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC), ref=uuid.UUID(int=1))

    assert mapping.from_source(mapping.to_source(entity), "1") == entity


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid")
    qty: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def double(self) -> int:
        return self.qty * 2


class Forbidding(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = None
    a: int
    part: Part | None = None
    parts: list[Part] = []

    @computed_field(alias="Double")  # type: ignore[prop-decorator]
    @property
    def double(self) -> int:
        return self.a * 2


class Allowing(BaseModel):
    model_config = ConfigDict(extra="allow")
    a: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def double(self) -> int:
        return self.a * 2


def test_computed_fields_are_dropped_on_read_where_extras_are_refused() -> None:
    mapping = Registry().register(Forbidding)
    entity = Forbidding(id="1", a=2, part=Part(qty=1), parts=[Part(qty=2), Part(qty=3)])
    source = mapping.to_source(entity)

    assert source["Double"] == 4
    assert source["parts"][1] == {"qty": 3, "double": 6}
    assert mapping.computed == {"Double": None, "part": {"double": None}, "parts": {"double": None}}
    assert mapping.from_source(source, "1") == entity


def test_computed_fields_do_not_become_extras_where_extras_are_kept() -> None:
    mapping = Registry().register(Allowing, id=None)

    read = mapping.from_source(mapping.to_source(Allowing(a=2, b="kept")))

    assert read.model_extra == {"b": "kept"}


def test_nothing_is_dropped_where_extras_are_ignored() -> None:
    assert Registry().register(BlogPost).computed == {}


def test_index_body_sends_the_dynamic_templates_of_dict_fields() -> None:
    class Labelled(BaseModel):
        id: str | None = None
        labels: dict[str, str] = {}

    mappings = Registry().register(Labelled).index_body()["mappings"]

    assert mappings["properties"]["labels"] == {"type": "object", "dynamic": True}
    assert mappings["dynamic_templates"] == [
        {"labels.*": {"path_match": "labels.*", "mapping": {"type": "keyword"}}}
    ]


def test_timestamps_use_default_field_names() -> None:
    mapping = Registry().register(Stamped, timestamps=True)

    assert mapping.timestamps == Timestamps(created="created_at", updated="updated_at")


def test_timestamps_require_their_fields() -> None:
    with pytest.raises(MappingError, match=r"Unstamped: timestamps need a field 'created_at'"):
        Registry().register(Unstamped, timestamps=True)
    with pytest.raises(MappingError, match=r"timestamps need a field 'changed'"):
        Registry().register(Stamped, timestamps=Timestamps(updated="changed"))


def test_index_body_keeps_full_descriptions_in_meta() -> None:
    from pydantic import BaseModel, Field

    class Described(BaseModel):
        id: str
        note: str = Field(description="A long description that is far beyond fifty characters.")

    mapping = Registry().register(Described, routing=lambda d: d.id)
    body = mapping.index_body()["mappings"]
    assert body["_meta"] == {
        "descriptions": {"note": "A long description that is far beyond fifty characters."}
    }
    assert body["_routing"] == {"required": True}
    assert len(body["properties"]["note"]["meta"]["description"]) <= 50


def test_routing_for_id_needs_routing() -> None:
    from pydantic import BaseModel

    class Routed(BaseModel):
        id: str

    with pytest.raises(MappingError, match="routing_for_id= needs routing="):
        Registry().register(Routed, routing_for_id=lambda doc_id: doc_id[:2])
