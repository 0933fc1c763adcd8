"""The pure mapping diff: what an existing index lacks and which fields changed type."""

from __future__ import annotations

from typing import Any

import pytest

from esorm.indices import FieldConflict, MappingDiff, diff_mappings

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
