"""Python field types and markers -> the exact Elasticsearch mapping JSON."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import enum
import ipaddress
import pathlib
import uuid
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal, NewType, Optional

import pytest
from pydantic import (
    AliasChoices,
    AnyUrl,
    AwareDatetime,
    Base64Bytes,
    BaseModel,
    ConfigDict,
    Field,
    FutureDate,
    FutureDatetime,
    HttpUrl,
    IPvAnyAddress,
    NaiveDatetime,
    PastDate,
    PastDatetime,
    PostgresDsn,
    RootModel,
    SecretStr,
    ValidationError,
    computed_field,
    conint,
    create_model,
)
from typing_extensions import TypeAliasType

from esorm.domain import (
    Binary,
    Byte,
    DenseVector,
    Double,
    FieldMarker,
    Float,
    GeoPoint,
    GeoPointField,
    HalfFloat,
    Integer,
    Keyword,
    Long,
    Mapped,
    Nested,
    ScaledFloat,
    Short,
    Text,
    UnsignedLong,
)
from esorm.errors import MappingError
from esorm.mapping import build_mapping, build_properties, collect_descriptions

pytestmark = pytest.mark.unit

DATE = {"type": "date", "format": "strict_date_optional_time||epoch_millis"}
KEYWORD = {"type": "keyword"}
ADDRESS = {"street": KEYWORD, "zip_code": {"type": "long"}}
UserId = NewType("UserId", str)
Scores = TypeAliasType("Scores", list[int])


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Huge(enum.IntEnum):
    BIG = 2**40


class Address(BaseModel):
    street: str
    zip_code: int


class Tags(RootModel[list[str]]):
    pass


def mapping_of(annotation: Any, **field: Any) -> Any:
    """The mapping generated for a single field `x` with this annotation."""
    model = create_model("Probe", x=(annotation, Field(**field)))
    return build_properties(model, {})["x"]


def error_of(model: type[BaseModel], overrides: dict[str, Any] | None = None) -> str:
    with pytest.raises(MappingError) as caught:
        build_properties(model, overrides or {})
    return str(caught.value)


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        pytest.param(str, KEYWORD, id="str"),
        pytest.param(int, {"type": "long"}, id="int"),
        pytest.param(float, {"type": "double"}, id="float"),
        pytest.param(bool, {"type": "boolean"}, id="bool"),
        pytest.param(dt.datetime, DATE, id="datetime"),
        pytest.param(dt.date, DATE, id="date"),
        pytest.param(AwareDatetime, DATE, id="aware-datetime"),
        pytest.param(NaiveDatetime, DATE, id="naive-datetime"),
        pytest.param(PastDatetime, DATE, id="past-datetime"),
        pytest.param(FutureDatetime, DATE, id="future-datetime"),
        pytest.param(PastDate, DATE, id="past-date"),
        pytest.param(FutureDate, DATE, id="future-date"),
        pytest.param(dt.time, KEYWORD, id="time"),
        pytest.param(dt.timedelta, KEYWORD, id="timedelta"),
        pytest.param(Color, KEYWORD, id="enum"),
        pytest.param(Level, {"type": "integer"}, id="int-enum"),
        pytest.param(Huge, {"type": "long"}, id="int-enum-beyond-int32"),
        pytest.param(Literal["a", "b"], KEYWORD, id="literal-str"),
        pytest.param(Literal[1, 2], {"type": "long"}, id="literal-int"),
        pytest.param(Literal[True], {"type": "boolean"}, id="literal-bool"),
        pytest.param(Literal[Color.RED], KEYWORD, id="literal-enum"),
        pytest.param(uuid.UUID, KEYWORD, id="uuid"),
        pytest.param(pathlib.Path, KEYWORD, id="path"),
        pytest.param(pathlib.PurePosixPath, KEYWORD, id="pure-path"),
        pytest.param(ipaddress.IPv4Address, {"type": "ip"}, id="ipv4"),
        pytest.param(ipaddress.IPv6Address, {"type": "ip"}, id="ipv6"),
        pytest.param(IPvAnyAddress, {"type": "ip"}, id="ip-any"),
        pytest.param(ipaddress.IPv4Network, KEYWORD, id="ip-network"),
        pytest.param(AnyUrl, KEYWORD, id="any-url"),
        pytest.param(HttpUrl, KEYWORD, id="http-url"),
        pytest.param(PostgresDsn, KEYWORD, id="multi-host-url"),
        pytest.param(decimal.Decimal, KEYWORD, id="decimal"),
        pytest.param(UserId, KEYWORD, id="new-type"),
        pytest.param(Scores, {"type": "long"}, id="type-alias"),
        pytest.param(conint(ge=0), {"type": "long"}, id="constrained-int"),
        pytest.param(Optional[int], {"type": "long"}, id="optional"),  # noqa: UP045
        pytest.param(int | None, {"type": "long"}, id="union-with-none"),
        pytest.param(str | uuid.UUID, KEYWORD, id="union-same-type"),
        pytest.param(Level | Literal[0], {"type": "long"}, id="int-enum-or-int-widens"),
        pytest.param(Annotated[int, Byte()] | Level, {"type": "integer"}, id="byte-or-integer"),
        pytest.param(Annotated[float, Float()] | float, {"type": "double"}, id="float-or-double"),
        pytest.param(list[str], KEYWORD, id="list"),
        pytest.param(set[int], {"type": "long"}, id="set"),
        pytest.param(frozenset[str], KEYWORD, id="frozenset"),
        pytest.param(tuple[float, ...], {"type": "double"}, id="tuple-variadic"),
        pytest.param(tuple[int, int], {"type": "long"}, id="tuple-fixed"),
        pytest.param(Sequence[str], KEYWORD, id="sequence"),
        pytest.param(list[list[float]], {"type": "double"}, id="list-of-lists"),
        pytest.param(list[int | None], {"type": "long"}, id="list-of-optional"),
        pytest.param(dict[str, int], {"type": "object", "dynamic": True}, id="dict"),
        pytest.param(dict[str, Any], {"type": "object", "dynamic": True}, id="dict-any"),
        pytest.param(dict[Color, Address], {"type": "object", "dynamic": True}, id="dict-enum"),
        pytest.param(Tags, KEYWORD, id="root-model"),
        pytest.param(GeoPoint, {"type": "geo_point"}, id="geo-point"),
        pytest.param(Base64Bytes, {"type": "binary"}, id="pydantic-base64"),
    ],
)
def test_default_mapping_of_each_type(annotation: Any, expected: Any) -> None:
    assert mapping_of(annotation) == expected


def test_models_become_objects_and_lists_of_models_too() -> None:
    address = {"properties": {"street": KEYWORD, "zip_code": {"type": "long"}}}

    assert mapping_of(Address) == address
    assert mapping_of(list[Address]) == address
    assert mapping_of(Address | None) == address


def test_union_of_models_merges_their_fields() -> None:
    class Cat(BaseModel):
        kind: Literal["cat"]
        lives: int

    class Dog(BaseModel):
        kind: Literal["dog"]
        good: bool

    assert mapping_of(Cat | Dog) == {
        "properties": {"kind": KEYWORD, "lives": {"type": "long"}, "good": {"type": "boolean"}}
    }


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        pytest.param(Annotated[str, Text()], {"type": "text"}, id="text"),
        pytest.param(
            Annotated[str, Text(analyzer="english", search_analyzer="standard", keyword=True)],
            {
                "type": "text",
                "analyzer": "english",
                "search_analyzer": "standard",
                "fields": {"keyword": {"type": "keyword", "ignore_above": 256}},
            },
            id="text-with-keyword",
        ),
        pytest.param(
            Annotated[str, Text(subfields={"raw": Keyword(normalizer="lowercase")})],
            {"type": "text", "fields": {"raw": {"type": "keyword", "normalizer": "lowercase"}}},
            id="text-custom-subfield",
        ),
        pytest.param(
            Annotated[str, Keyword(ignore_above=100, normalizer="lowercase")],
            {"type": "keyword", "ignore_above": 100, "normalizer": "lowercase"},
            id="keyword",
        ),
        pytest.param(
            Annotated[str, Keyword(index=False, doc_values=False, store=True)],
            {"type": "keyword", "index": False, "doc_values": False, "store": True},
            id="keyword-options",
        ),
        pytest.param(
            Annotated[str, Keyword(subfields={"text": Text(analyzer="simple")})],
            {"type": "keyword", "fields": {"text": {"type": "text", "analyzer": "simple"}}},
            id="keyword-with-text-subfield",
        ),
        pytest.param(Annotated[int, Keyword()], KEYWORD, id="keyword-for-numeric-id"),
        pytest.param(Annotated[Color, Text()], {"type": "text"}, id="text-on-enum"),
        pytest.param(Annotated[int, Byte()], {"type": "byte"}, id="byte"),
        pytest.param(Annotated[int, Short()], {"type": "short"}, id="short"),
        pytest.param(Annotated[int, Integer()], {"type": "integer"}, id="integer"),
        pytest.param(Annotated[int, Long()], {"type": "long"}, id="long"),
        pytest.param(Annotated[int, UnsignedLong()], {"type": "unsigned_long"}, id="ulong"),
        pytest.param(Annotated[float, HalfFloat()], {"type": "half_float"}, id="half-float"),
        pytest.param(Annotated[float, Float()], {"type": "float"}, id="float"),
        pytest.param(Annotated[int, Double()], {"type": "double"}, id="double-on-int"),
        pytest.param(
            Annotated[decimal.Decimal, ScaledFloat(100)],
            {"type": "scaled_float", "scaling_factor": 100},
            id="scaled-float-on-decimal",
        ),
        pytest.param(
            Annotated[int, Integer(index=False, subfields={"kw": Keyword()})],
            {"type": "integer", "index": False, "fields": {"kw": KEYWORD}},
            id="numeric-options",
        ),
        pytest.param(Annotated[bytes, Binary()], {"type": "binary"}, id="binary"),
        pytest.param(
            Annotated[bytes, Binary(doc_values=True, store=True)],
            {"type": "binary", "doc_values": True, "store": True},
            id="binary-options",
        ),
        pytest.param(
            Annotated[list[float], DenseVector(384)],
            {"type": "dense_vector", "dims": 384, "similarity": "cosine", "index": True},
            id="dense-vector",
        ),
        pytest.param(
            Annotated[list[float] | None, DenseVector(3, similarity="dot_product")],
            {"type": "dense_vector", "dims": 3, "similarity": "dot_product", "index": True},
            id="dense-vector-optional",
        ),
        pytest.param(
            Annotated[list[float], DenseVector(3, index=False, element_type="float")],
            {"type": "dense_vector", "dims": 3, "index": False, "element_type": "float"},
            id="dense-vector-not-indexed-has-no-similarity",
        ),
        pytest.param(
            Annotated[str, GeoPointField()], {"type": "geo_point"}, id="geo-point-from-str"
        ),
        pytest.param(
            Annotated[tuple[float, float], GeoPointField(ignore_malformed=True)],
            {"type": "geo_point", "ignore_malformed": True},
            id="geo-point-from-pair",
        ),
        pytest.param(
            Annotated[list[Address], Nested()],
            {
                "type": "nested",
                "properties": {"street": KEYWORD, "zip_code": {"type": "long"}},
            },
            id="nested",
        ),
        pytest.param(
            Annotated[Address, Nested(include_in_parent=True)],
            {
                "type": "nested",
                "include_in_parent": True,
                "properties": {"street": KEYWORD, "zip_code": {"type": "long"}},
            },
            id="nested-options",
        ),
        pytest.param(
            Annotated[dict[str, Any], Mapped({"type": "flattened"})],
            {"type": "flattened"},
            id="mapped-raw",
        ),
        pytest.param(Annotated[list[str], Text()], {"type": "text"}, id="marker-applies-to-items"),
        pytest.param(list[Annotated[str, Text()]], {"type": "text"}, id="marker-inside-list"),
        pytest.param(
            Optional[Annotated[str, Text()]],  # noqa: UP045
            {"type": "text"},
            id="marker-inside-optional",
        ),
        pytest.param(
            Annotated[int | float, Double()], {"type": "double"}, id="marker-settles-union"
        ),
    ],
)
def test_marker_mapping(annotation: Any, expected: Any) -> None:
    assert mapping_of(annotation) == expected


def test_mapped_keeps_nested_raw_structures_as_plain_json() -> None:
    raw = {"type": "keyword", "fields": {"t": {"type": "text"}}, "copy_to": ["all", "other"]}

    assert mapping_of(Annotated[str, Mapped(raw)]) == raw


def test_mapped_breaks_a_self_reference() -> None:
    class Node(BaseModel):
        name: str
        children: Annotated[list[Node], Mapped({"type": "object", "enabled": False})] = []

    assert build_properties(Node, {}) == {
        "name": KEYWORD,
        "children": {"type": "object", "enabled": False},
    }


def test_aliases_are_the_stored_names() -> None:
    class Aliased(BaseModel):
        model_config = ConfigDict(alias_generator=lambda name: name.upper())

        first: str
        second: int = Field(alias="Second")
        third: int = Field(serialization_alias="3rd", validation_alias=AliasChoices("3rd", "x"))

    assert build_properties(Aliased, {}) == {
        "FIRST": KEYWORD,
        "Second": {"type": "long"},
        "3rd": {"type": "long"},
    }


def test_nested_model_fields_use_their_aliases_too() -> None:
    class Inner(BaseModel):
        value: int = Field(alias="Value")

    class Outer(BaseModel):
        inner: Inner = Field(alias="Inner")

    assert build_properties(Outer, {}) == {"Inner": {"properties": {"Value": {"type": "long"}}}}


def test_serialization_alias_that_validation_refuses_fails() -> None:
    class Unreadable(BaseModel):
        x: int = Field(serialization_alias="X")

    message = error_of(Unreadable)

    assert "Unreadable.x" in message
    assert "'X'" in message
    assert "validation_alias" in message


def test_serialization_alias_readable_by_name_is_accepted() -> None:
    class ByName(BaseModel):
        model_config = ConfigDict(validate_by_name=True)

        x: int = Field(serialization_alias="x")

    assert build_properties(ByName, {}) == {"x": {"type": "long"}}


def test_two_fields_stored_under_one_name_fail() -> None:
    class Clash(BaseModel):
        a: int = Field(alias="b")
        b: int

    assert "Clash.b" in error_of(Clash)


def test_excluded_fields_are_not_mapped() -> None:
    class WithExcluded(BaseModel):
        kept: str
        secret: bytes = Field(default=b"", exclude=True)

    assert build_properties(WithExcluded, {}) == {"kept": KEYWORD}


def test_a_required_excluded_field_is_refused() -> None:
    # never stored, but required: no stored document could be validated again
    class Excluded(BaseModel):
        secret: str = Field(exclude=True)

    message = error_of(Excluded)
    assert message.startswith("Excluded.secret:")
    assert "exclude=True" in message


def test_computed_fields_are_mapped_because_they_are_dumped() -> None:
    class Line(BaseModel):
        price: float
        quantity: int

        @computed_field(alias="Total", description="price times quantity")  # type: ignore[prop-decorator]
        @property
        def total(self) -> float:
            return self.price * self.quantity

    assert build_properties(Line, {}) == {
        "price": {"type": "double"},
        "quantity": {"type": "long"},
        "Total": {"type": "double", "meta": {"description": "price times quantity"}},
    }


def test_descriptions_go_to_meta_and_long_ones_are_cut_there() -> None:
    long_text = "A long description of the field that goes past fifty characters."

    class Described(BaseModel):
        short: str = Field(description="Short one")
        long: int = Field(description=long_text)
        address: Address = Field(description="Objects take no meta")

    assert build_properties(Described, {}) == {
        "short": {"type": "keyword", "meta": {"description": "Short one"}},
        "long": {"type": "long", "meta": {"description": long_text[:49] + "…"}},
        "address": {"properties": {"street": KEYWORD, "zip_code": {"type": "long"}}},
    }


def test_collect_descriptions_gives_full_text_by_dotted_stored_path() -> None:
    long_text = "x" * 80

    class Street(BaseModel):
        name: str = Field(alias="Name", description="Street name")

    class Place(BaseModel):
        street: Street = Field(description="Where")
        streets: list[Street] = []

    class Person(BaseModel):
        bio: str = Field(description=long_text)
        home: Place | None = Field(default=None, alias="Home")
        plain: int = 0

    assert collect_descriptions(Person) == {
        "bio": long_text,
        "Home.street": "Where",
        "Home.street.Name": "Street name",
        "Home.streets.Name": "Street name",
    }


def test_registry_style_overrides_replace_the_generated_mapping() -> None:
    class Item(BaseModel):
        name: str = Field(alias="Name")
        blob: Any = None

    overrides: dict[str, Any] = {
        "name": {"type": "text"},
        "blob": {"type": "object", "enabled": False},
    }

    assert build_properties(Item, overrides) == {
        "Name": {"type": "text"},
        "blob": {"type": "object", "enabled": False},
    }


# -- dict values and dotted names ----------------------------------------------------------


class Labelled(BaseModel):
    labels: dict[str, str] = {}
    seen: dict[str, dt.datetime] | None = None
    homes: dict[str, Address] = {}
    grid: dict[str, dict[str, bool]] = {}
    loose: dict[str, Any] = {}


def test_dict_values_get_their_type_through_dynamic_templates() -> None:
    # without templates Elasticsearch guesses: analyzed text for strings, dates from text
    properties, templates = build_mapping(Labelled, {})

    assert properties["labels"] == properties["loose"] == {"type": "object", "dynamic": True}
    assert templates == [
        {"labels.*": {"path_match": "labels.*", "mapping": KEYWORD}},
        {"seen.*": {"path_match": "seen.*", "mapping": DATE}},
        {"homes.*.street": {"path_match": "homes.*.street", "mapping": KEYWORD}},
        {"homes.*.zip_code": {"path_match": "homes.*.zip_code", "mapping": {"type": "long"}}},
        {"grid.*.*": {"path_match": "grid.*.*", "mapping": {"type": "boolean"}}},
    ]


def test_dict_values_inside_objects_use_the_full_stored_path() -> None:
    class Outer(BaseModel):
        inner: Labelled = Field(alias="Inner")

    _, templates = build_mapping(Outer, {})

    assert templates[0] == {"Inner.labels.*": {"path_match": "Inner.labels.*", "mapping": KEYWORD}}


def test_dotted_stored_names_are_mapped_as_objects() -> None:
    # Elasticsearch keeps "a.b" as object `a` with property `b`; so must the generated mapping
    class Dotted(BaseModel):
        ab: int = Field(default=1, alias="a.b")
        ac: str = Field(default="", alias="a.c")
        address: Address = Field(alias="home.address")

    assert build_properties(Dotted, {}) == {
        "a": {"properties": {"b": {"type": "long"}, "c": KEYWORD}},
        "home": {"properties": {"address": {"properties": ADDRESS}}},
    }


def test_dotted_stored_name_extends_a_declared_object() -> None:
    class Extended(BaseModel):
        address: Address
        zone: str = Field(default="", alias="address.zone")

    assert build_properties(Extended, {}) == {
        "address": {"properties": {**ADDRESS, "zone": KEYWORD}}
    }


@pytest.mark.parametrize(
    ("alias", "needle"),
    [
        pytest.param("street.x", "another field is already stored as 'street'", id="under-leaf"),
        pytest.param("a..b", "empty part", id="empty-part"),
    ],
)
def test_dotted_stored_names_that_cannot_map_fail(alias: str, needle: str) -> None:
    model = create_model("Clashing", street=(str, ""), x=(int, Field(default=0, alias=alias)))

    message = error_of(model)
    assert needle in message
    assert message.startswith("Clashing")


@pytest.mark.parametrize("name", ["_id", "_source", "_routing", "_index", "_seq_no"])
def test_metadata_field_names_are_refused(name: str) -> None:
    model = create_model("Meta", x=(str, Field(default="", alias=name)))

    assert "metadata field" in error_of(model)


def test_underscore_names_other_than_metadata_are_fine() -> None:
    model = create_model("Under", x=(str, Field(default="", alias="_kind")))

    assert build_properties(model, {}) == {"_kind": KEYWORD}


# -- errors --------------------------------------------------------------------------------


class WithAny(BaseModel):
    payload: Any


class WithObject(BaseModel):
    payload: object


class WithBytes(BaseModel):
    data: bytes


class WithCallable(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    hook: Callable[[], int]


class Arbitrary:
    pass


class WithArbitrary(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    thing: Arbitrary


class WithSecret(BaseModel):
    password: SecretStr


class WithBareList(BaseModel):
    items: list  # type: ignore[type-arg]


class DeepInner(BaseModel):
    raw: list[bytes]


class DeepMiddle(BaseModel):
    inner: DeepInner | None = None


class Deep(BaseModel):
    middle: list[DeepMiddle]


@pytest.mark.parametrize(
    ("model", "where", "advice"),
    [
        pytest.param(WithAny, "WithAny.payload", "Mapped(", id="any"),
        pytest.param(WithObject, "WithObject.payload", "Mapped(", id="object"),
        pytest.param(WithBytes, "WithBytes.data", "Binary()", id="bytes"),
        pytest.param(WithCallable, "WithCallable.hook", "Callable", id="callable"),
        pytest.param(WithArbitrary, "WithArbitrary.thing", "Keyword()", id="arbitrary-class"),
        pytest.param(WithSecret, "WithSecret.password", "masked", id="secret"),
        pytest.param(WithBareList, "WithBareList.items", "list[str]", id="bare-list"),
        pytest.param(Deep, "Deep.middle.inner.raw", "Binary()", id="dotted-path"),
    ],
)
def test_unsupported_types_name_entity_field_and_fix(
    model: type[BaseModel], where: str, advice: str
) -> None:
    message = error_of(model)

    assert message.startswith(f"{where}:")
    assert advice in message


@pytest.mark.parametrize(
    ("annotation", "needle"),
    [
        pytest.param(int | float, "(double, long)", id="int-or-float"),
        pytest.param(str | int, "(keyword, long)", id="str-or-int"),
        pytest.param(Literal["a", 1], "(keyword, long)", id="mixed-literal"),
        pytest.param(tuple[int, str], "(keyword, long)", id="mixed-tuple"),
        pytest.param(dt.datetime | float, "(date, double)", id="date-or-float"),
    ],
)
def test_unions_of_different_elasticsearch_types_fail(annotation: Any, needle: str) -> None:
    with pytest.raises(MappingError, match="maps to different Elasticsearch types") as caught:
        mapping_of(annotation)

    assert needle in str(caught.value)
    assert "Probe.x" in str(caught.value)


def test_literal_none_fails_naming_the_field() -> None:
    with pytest.raises(MappingError, match=r"Probe\.x: Literal\[None\] holds no value"):
        mapping_of(Literal[None], default=None)


def test_union_of_models_with_conflicting_field_fails_at_that_field() -> None:
    class A(BaseModel):
        size: int

    class B(BaseModel):
        size: str

    class Holder(BaseModel):
        thing: A | B

    assert error_of(Holder).startswith("Holder.thing.size:")


def test_self_reference_fails_with_a_way_out() -> None:
    class Category(BaseModel):
        name: str
        parent: Category | None = None

    message = error_of(Category)

    assert message.startswith("Category.parent:")
    assert "'enabled': False" in message


def test_indirect_cycle_fails_too() -> None:
    class Employee(BaseModel):
        team: Team | None = None

    class Team(BaseModel):
        members: list[Employee] = []

    Employee.model_rebuild()

    assert error_of(Team).startswith("Team.members.team:")


def test_unresolved_forward_reference_fails_asking_for_rebuild() -> None:
    class Early(BaseModel):
        later: Later  # type: ignore[name-defined]  # noqa: F821

    assert "model_rebuild()" in error_of(Early)


@pytest.mark.parametrize(
    ("annotation", "needle"),
    [
        pytest.param(Annotated[int, Text()], "Text()", id="text-on-int"),
        pytest.param(Annotated[float, Integer()], "Integer()", id="integer-on-float"),
        pytest.param(Annotated[str, Long()], "Long()", id="long-on-str"),
        pytest.param(Annotated[str, Binary()], "Binary() is for bytes", id="binary-on-str"),
        pytest.param(Annotated[str, Nested()], "Nested() is for models", id="nested-on-str"),
        pytest.param(Annotated[Address, Keyword()], "Nested()", id="keyword-on-model"),
        pytest.param(Annotated[GeoPoint, Nested()], "geo_point", id="marker-on-geo-point"),
        pytest.param(Annotated[list[str], DenseVector(3)], "list[float]", id="vector-of-str"),
        pytest.param(Annotated[dict[str, int], Keyword()], "dict", id="keyword-on-dict"),
        pytest.param(Annotated[str, Text(), Keyword()], "several", id="two-markers"),
        pytest.param(
            Annotated[list[Annotated[str, Keyword()]], Text()], "several", id="nested-markers"
        ),
        pytest.param(
            Annotated[str, Keyword(subfields={"n": Nested()})], "subfield", id="nested-subfield"
        ),
        pytest.param(dict[tuple[int, int], int], "dict keys", id="tuple-dict-keys"),
        pytest.param(dict[str, bytes], "Binary()", id="dict-of-bytes"),
    ],
)
def test_markers_that_contradict_the_type_fail(annotation: Any, needle: str) -> None:
    with pytest.raises(MappingError, match=r"^Probe\.x") as caught:
        mapping_of(annotation)

    assert needle in str(caught.value)


# -- markers as values ---------------------------------------------------------------------


def test_markers_are_frozen_comparable_and_hashable() -> None:
    first = Keyword(ignore_above=10, subfields={"t": Text()})
    second = Keyword(ignore_above=10, subfields={"t": Text()})

    assert first == second
    assert hash(first) == hash(second)
    assert first != Keyword(ignore_above=11)
    assert Mapped({"a": [1, {"b": 2}]}) == Mapped({"a": [1, {"b": 2}]})
    assert len({Mapped({"a": [1]}), Mapped({"a": [1]})}) == 1
    assert isinstance(first, FieldMarker)
    with pytest.raises(AttributeError):
        first.ignore_above = 20  # type: ignore[misc]


def test_marker_subfields_cannot_be_changed_through_the_mapping() -> None:
    subfields: dict[str, FieldMarker] = {"t": Text()}
    marker = Keyword(subfields=subfields)
    subfields["other"] = Keyword()

    assert list(marker.subfields) == ["t"]
    with pytest.raises(TypeError):
        marker.subfields["x"] = Text()  # type: ignore[index]


@pytest.mark.parametrize(
    ("marker", "text"),
    [
        (Keyword(), "Keyword()"),
        (Text(analyzer="english", keyword=True), "Text(analyzer='english', keyword=True)"),
        (DenseVector(3), "DenseVector(3)"),
        (DenseVector(3, index=False), "DenseVector(3, index=False)"),
        (ScaledFloat(100, index=False), "ScaledFloat(100, index=False)"),
        (Keyword(subfields={"t": Text()}), "Keyword(subfields={'t': Text()})"),
        (Mapped({"type": "flattened"}), "Mapped({'type': 'flattened'})"),
    ],
)
def test_marker_reprs_show_what_was_set(marker: FieldMarker, text: str) -> None:
    assert repr(marker) == text


def test_marker_arguments_are_checked_on_creation() -> None:
    with pytest.raises(ValueError, match="dims"):
        DenseVector(0)
    with pytest.raises(ValueError, match="keyword"):
        Text(keyword=True, subfields={"keyword": Keyword()})
    with pytest.raises(TypeError, match="mapping"):
        Mapped("keyword")  # type: ignore[arg-type]


# -- values the markers shape --------------------------------------------------------------


class Blob(BaseModel):
    data: Annotated[bytes, Binary()]
    maybe: Annotated[bytes | None, Binary()] = None
    many: list[Annotated[bytes, Binary()]] = []


def test_binary_dumps_base64_in_json_and_reads_it_back_exactly() -> None:
    raw = bytes(range(256)) + b"\xff\xfe\x00"
    blob = Blob(data=raw, many=[b"\x80", b""])

    dumped = blob.model_dump(mode="json")

    assert dumped == {
        "data": base64.b64encode(raw).decode(),
        "maybe": None,
        "many": ["gA==", ""],
    }
    assert Blob.model_validate(dumped) == blob
    assert Blob.model_validate_json(blob.model_dump_json()) == blob


def test_binary_keeps_raw_bytes_in_python() -> None:
    blob = Blob(data=b"\x00\x01")

    assert blob.data == b"\x00\x01"
    assert blob.model_dump()["data"] == b"\x00\x01"


def test_binary_refuses_text_that_is_not_base64() -> None:
    with pytest.raises(ValidationError, match="base64"):
        Blob(data="not base64!")


def test_geo_point_is_a_frozen_value_with_checked_ranges() -> None:
    point = GeoPoint(lat=52.52, lon=13.405)

    assert point.model_dump(mode="json") == {"lat": 52.52, "lon": 13.405}
    with pytest.raises(ValidationError):
        GeoPoint(lat=91, lon=0)
    with pytest.raises(ValidationError):
        point.lat = 1.0  # type: ignore[misc]
