"""The pure mapping diff: what an existing index lacks and which fields changed type."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field

from esorm.indices import FieldConflict, MappingDiff, diff_mappings
from esorm.mapping import Registry

pytestmark = pytest.mark.unit

KEYWORD = {"type": "keyword"}
TEXT_WITH_RAW = {"type": "text", "fields": {"raw": {"type": "keyword", "ignore_above": 256}}}


def props(**fields: Any) -> dict[str, Any]:
    return {"properties": fields}


def test_identical_mappings_need_nothing() -> None:
    mapping = props(
        name=TEXT_WITH_RAW,
        age={"type": "long"},
        address=props(city=KEYWORD),
        tags={"type": "nested", "properties": {"label": KEYWORD}},
    )

    assert diff_mappings(mapping, mapping) == MappingDiff()


def test_new_top_level_field_is_an_addition() -> None:
    diff = diff_mappings(props(name=KEYWORD), props(name=KEYWORD, email=KEYWORD))

    assert diff.additions == {"email": KEYWORD}
    assert diff.added == ("email",)
    assert diff.conflicts == ()


def test_fields_only_in_the_existing_mapping_are_left_alone() -> None:
    diff = diff_mappings(props(name=KEYWORD, legacy={"type": "long"}), props(name=KEYWORD))

    assert diff == MappingDiff()


def test_empty_existing_mapping_takes_everything() -> None:
    wanted = props(name=KEYWORD, address=props(city=KEYWORD))

    diff = diff_mappings({}, wanted)

    assert diff.additions == wanted["properties"]
    assert diff.added == ("name", "address")


def test_new_field_inside_an_object_is_added_under_its_parent() -> None:
    existing = props(address=props(city=KEYWORD))
    wanted = props(address=props(city=KEYWORD, zip=KEYWORD))

    diff = diff_mappings(existing, wanted)

    assert diff.additions == {"address": {"properties": {"zip": KEYWORD}}}
    assert diff.added == ("address.zip",)
    assert diff.conflicts == ()


def test_new_field_inside_nested_keeps_the_nested_type() -> None:
    existing = props(tags={"type": "nested", "properties": {"label": KEYWORD}})
    wanted = props(
        tags={"type": "nested", "properties": {"label": KEYWORD, "weight": {"type": "long"}}}
    )

    diff = diff_mappings(existing, wanted)

    assert diff.additions == {
        "tags": {"type": "nested", "properties": {"weight": {"type": "long"}}}
    }
    assert diff.added == ("tags.weight",)


def test_deeply_nested_addition() -> None:
    existing = props(a=props(b=props(c=KEYWORD)))
    wanted = props(a=props(b=props(c=KEYWORD, d={"type": "boolean"})))

    diff = diff_mappings(existing, wanted)

    assert diff.additions == {
        "a": {"properties": {"b": {"properties": {"d": {"type": "boolean"}}}}}
    }
    assert diff.added == ("a.b.d",)


def test_new_subfield_resends_the_existing_field_definition() -> None:
    existing = props(name={"type": "text", "analyzer": "standard"})
    wanted = props(name={"type": "text", "fields": {"raw": KEYWORD}})

    diff = diff_mappings(existing, wanted)

    assert diff.additions == {
        "name": {"type": "text", "analyzer": "standard", "fields": {"raw": KEYWORD}}
    }
    assert diff.added == ("name.raw",)


def test_type_change_is_a_conflict() -> None:
    diff = diff_mappings(props(age={"type": "long"}), props(age=KEYWORD))

    assert diff.conflicts == (FieldConflict("age", "long", "keyword"),)
    assert diff.additions == {}


def test_object_to_keyword_is_a_conflict() -> None:
    diff = diff_mappings(props(address=props(city=KEYWORD)), props(address=KEYWORD))

    assert diff.conflicts == (FieldConflict("address", "object", "keyword"),)


def test_keyword_to_object_is_a_conflict() -> None:
    diff = diff_mappings(props(address=KEYWORD), props(address=props(city=KEYWORD)))

    assert diff.conflicts == (FieldConflict("address", "keyword", "object"),)


def test_explicit_object_type_equals_an_implicit_one() -> None:
    existing = props(address={"type": "object", "properties": {"city": KEYWORD}})

    assert diff_mappings(existing, props(address=props(city=KEYWORD))) == MappingDiff()


def test_object_to_nested_is_a_conflict() -> None:
    existing = props(tags=props(label=KEYWORD))
    wanted = props(tags={"type": "nested", "properties": {"label": KEYWORD}})

    diff = diff_mappings(existing, wanted)

    assert diff.conflicts == (FieldConflict("tags", "object", "nested"),)


def test_type_change_inside_an_object_names_the_dotted_path() -> None:
    existing = props(address=props(geo=props(lat={"type": "double"})))
    wanted = props(address=props(geo=props(lat=KEYWORD)))

    diff = diff_mappings(existing, wanted)

    assert diff.conflicts == (FieldConflict("address.geo.lat", "double", "keyword"),)


def test_subfield_type_change_is_a_conflict() -> None:
    wanted = props(name={"type": "text", "fields": {"raw": {"type": "wildcard"}}})

    diff = diff_mappings(props(name=TEXT_WITH_RAW), wanted)

    assert diff.conflicts == (FieldConflict("name.raw", "keyword", "wildcard"),)


def test_conflicts_and_additions_are_both_reported() -> None:
    existing = props(age={"type": "long"})
    wanted = props(age=KEYWORD, email=KEYWORD)

    diff = diff_mappings(existing, wanted)

    assert diff.conflicts == (FieldConflict("age", "long", "keyword"),)
    assert diff.additions == {"email": KEYWORD}


def test_the_inputs_are_not_changed_and_additions_are_copies() -> None:
    wanted = props(address=props(city=KEYWORD))

    diff = diff_mappings({}, wanted)
    diff.additions["address"]["properties"]["city"]["type"] = "text"

    assert wanted == props(address=props(city={"type": "keyword"}))


# -- parameters fixed at creation -------------------------------------------------------------


@pytest.mark.parametrize(
    ("have", "want", "old", "new"),
    [
        pytest.param(
            {"type": "dense_vector", "dims": 3},
            {"type": "dense_vector", "dims": 4},
            "dense_vector (dims: 3)",
            "dense_vector (dims: 4)",
            id="vector-dims",
        ),
        pytest.param(
            {"type": "dense_vector", "dims": 3, "similarity": "cosine"},
            {"type": "dense_vector", "dims": 3, "similarity": "dot_product"},
            "dense_vector (similarity: cosine)",
            "dense_vector (similarity: dot_product)",
            id="vector-similarity",
        ),
        pytest.param(
            {"type": "scaled_float", "scaling_factor": 100},
            {"type": "scaled_float", "scaling_factor": 10},
            "scaled_float (scaling_factor: 100)",
            "scaled_float (scaling_factor: 10)",
            id="scaling-factor",
        ),
        pytest.param(
            {"type": "text", "analyzer": "english"},
            {"type": "text"},
            "text (analyzer: english)",
            "text (analyzer: default)",
            id="analyzer-dropped",
        ),
        pytest.param(
            {"type": "date"},
            {"type": "date", "format": "epoch_second"},
            "date (format: default)",
            "date (format: epoch_second)",
            id="date-format",
        ),
        pytest.param(
            {"type": "keyword"},
            {"type": "keyword", "index": False},
            "keyword (index: default)",
            "keyword (index: False)",
            id="index-off",
        ),
        pytest.param(
            {"type": "nested", "properties": {}},
            {"type": "nested", "include_in_parent": True, "properties": {}},
            "nested (include_in_parent: default)",
            "nested (include_in_parent: True)",
            id="nested-option",
        ),
    ],
)
def test_a_changed_parameter_that_cannot_be_updated_is_a_conflict(
    have: dict[str, Any], want: dict[str, Any], old: str, new: str
) -> None:
    # Elasticsearch refuses to change these in place; writes would fail later
    diff = diff_mappings(props(f=have), props(f=want))

    assert diff.conflicts == (FieldConflict("f", old, new),)


def test_a_changed_subfield_parameter_is_a_conflict_at_the_subfield() -> None:
    have = {"type": "text", "fields": {"raw": {"type": "keyword", "normalizer": "lower"}}}
    want = {"type": "text", "fields": {"raw": {"type": "keyword"}}}

    assert diff_mappings(props(t=have), props(t=want)).conflicts == (
        FieldConflict("t.raw", "keyword (normalizer: lower)", "keyword (normalizer: default)"),
    )


@pytest.mark.parametrize(
    ("have", "want"),
    [
        pytest.param(
            # the server fills in defaults and index options we never sent
            {
                "type": "dense_vector",
                "dims": 3,
                "index": True,
                "similarity": "cosine",
                "index_options": {"type": "int8_hnsw", "m": 16, "ef_construction": 100},
            },
            {"type": "dense_vector", "dims": 3},
            id="server-defaults",
        ),
        pytest.param(
            {"type": "keyword"},
            {"type": "keyword", "index": True, "doc_values": True, "store": False},
            id="explicit-defaults-left-out-by-the-server",
        ),
        pytest.param(
            {"type": "date"},
            {"type": "date", "format": "strict_date_optional_time||epoch_millis"},
            id="default-date-format",
        ),
        pytest.param(
            {"type": "keyword", "ignore_above": 256, "meta": {"description": "old"}},
            {"type": "keyword", "ignore_above": 64, "meta": {"description": "new"}},
            id="updatable-parameters",
        ),
        pytest.param(
            {"type": "object", "dynamic": "true", "properties": {"k": KEYWORD}},
            {"type": "object", "dynamic": True},
            id="dynamic-object-with-mapped-keys",
        ),
        pytest.param(
            {"type": "keyword", "index": "false"},
            {"type": "keyword", "index": False},
            id="boolean-as-text",
        ),
    ],
)
def test_equal_parameters_and_updatable_ones_are_no_conflict(
    have: dict[str, Any], want: dict[str, Any]
) -> None:
    assert diff_mappings(props(f=have), props(f=want)) == MappingDiff()


def test_a_dotted_stored_name_matches_the_object_the_server_keeps() -> None:
    class Dotted(BaseModel):
        ab: int = Field(default=1, alias="a.b")

    wanted = {"properties": Registry().register(Dotted).properties}
    existing = props(a=props(b={"type": "long"}))

    assert diff_mappings(existing, wanted) == MappingDiff()
