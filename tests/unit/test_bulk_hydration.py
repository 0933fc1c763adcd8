"""Hydrating a result in bulk gives exactly what the per-hit loop gives: pure code, no server."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field

from esorm.errors import UnreadableDocumentError
from esorm.mapping import WRITES_FIELD, Registry
from esorm.repository import IdentityMap, State, hydrate_all, pending_changes
from esorm.repository._fresh import batch_reading

pytestmark = pytest.mark.unit


class Flat(BaseModel):
    id: str
    name: str
    age: int = 0


class Nested(BaseModel):
    id: str
    tags: list[str] = Field(default_factory=list)
    attrs: dict[str, list[int]] = Field(default_factory=dict)


class Loose(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str


REGISTRY = Registry()
for entity in (Flat, Nested, Loose):
    REGISTRY.register(entity)


def hits(entity: type[BaseModel], sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    index = REGISTRY.mapping_for(entity).index
    return [
        {"_index": index, "_id": s["id"], "_seq_no": n, "_primary_term": 1, "_source": dict(s)}
        for n, s in enumerate(sources)
    ]


def flat(count: int) -> list[dict[str, Any]]:
    return [{"id": f"f{n}", "name": f"n{n}", "age": n} for n in range(count)]


def test_every_plain_mapping_has_a_bulk_path() -> None:
    assert all(batch_reading(REGISTRY.mapping_for(e)) is not None for e in (Flat, Nested, Loose))


def test_bulk_entries_match_the_loop() -> None:
    sources = flat(5)
    sources[2][WRITES_FIELD] = ["w2", "w1"]
    bulk, loop = IdentityMap(), IdentityMap()
    mapping = REGISTRY.mapping_for(Flat)
    got = hydrate_all(bulk, mapping, hits(Flat, sources))
    for hit in hits(Flat, sources):  # one hit at a time: the loop
        hydrate_all(loop, mapping, [hit])
    assert [e.model_dump() for e in got] == [s.model_dump() for s in (x.entity for x in loop)]
    for mine, theirs in zip(bulk, loop, strict=True):
        assert mine.entity is got[list(bulk).index(mine)]
        assert (mine.index, mine.id, mine.seq_no, mine.primary_term, mine.routing) == (
            theirs.index,
            theirs.id,
            theirs.seq_no,
            theirs.primary_term,
            theirs.routing,
        )
        assert (mine.state, mine.writes, mine.snapshot) == (
            State.CLEAN,
            theirs.writes,
            theirs.snapshot,
        )
        assert bulk.entry_of(mine.entity) is mine
    assert list(bulk)[2].writes == ("w2", "w1")
    assert pending_changes(bulk) == []


def test_in_place_changes_of_nested_values_count_after_a_bulk_read() -> None:
    sources = [{"id": f"n{n}", "tags": ["a"], "attrs": {"k": [1]}} for n in range(3)]
    identity = IdentityMap()
    mapping = REGISTRY.mapping_for(Nested)
    first, second, third = hydrate_all(identity, mapping, hits(Nested, sources))
    first.tags.append("b")
    second.attrs["k"].append(2)
    changed = [entry.entity for entry, _ in pending_changes(identity)]
    assert changed == [first, second]
    assert third not in changed


def test_extras_are_snapshotted_after_a_bulk_read() -> None:
    sources: list[dict[str, Any]] = [{"id": "l1", "extra": [1]}, {"id": "l2"}]
    identity = IdentityMap()
    one, _ = hydrate_all(identity, REGISTRY.mapping_for(Loose), hits(Loose, sources))
    assert pending_changes(identity) == []
    assert one.__pydantic_extra__ is not None
    one.__pydantic_extra__["extra"].append(2)
    assert [entry.entity for entry, _ in pending_changes(identity)] == [one]


def test_a_tracked_or_repeated_id_keeps_its_instance() -> None:
    identity = IdentityMap()
    mapping = REGISTRY.mapping_for(Flat)
    (known,) = hydrate_all(identity, mapping, hits(Flat, flat(1)))
    known.name = "changed"
    again = hydrate_all(identity, mapping, hits(Flat, flat(3)))
    assert again[0] is known and known.name == "changed"
    twice = hits(Flat, flat(2))[1:] * 2
    fresh = IdentityMap()
    first, second = hydrate_all(fresh, mapping, twice)
    assert first is second
    assert len(fresh) == 1


def test_an_unreadable_document_is_listed_and_the_others_keep_their_write_ids() -> None:
    sources: list[dict[str, Any]] = flat(3)
    sources[0][WRITES_FIELD] = ["w0"]
    sources[1]["age"] = "not a number"
    identity = IdentityMap()
    unreadable: list[UnreadableDocumentError] = []
    got = hydrate_all(
        identity, REGISTRY.mapping_for(Flat), hits(Flat, sources), unreadable=unreadable
    )
    assert [e.id for e in got] == ["f0", "f2"]
    assert [error.id for error in unreadable] == ["f1"]
    assert identity.entry_of(got[0]).writes == ("w0",)  # type: ignore[union-attr]


def test_a_missing_id_field_is_filled_from_the_hit() -> None:
    sources = [{"name": "a"}, {"id": "f1", "name": "b"}]
    result = hits(Flat, [{"id": "f0", **sources[0]}, sources[1]])
    del result[0]["_source"]["id"]
    got = hydrate_all(IdentityMap(), REGISTRY.mapping_for(Flat), result)
    assert [e.id for e in got] == ["f0", "f1"]


class _Hit(dict[str, Any]):
    """A hit that is a Mapping but not a dict of its own type: still read exactly."""


def test_hits_with_routing_and_mappings_that_are_not_dicts_read_as_in_the_loop() -> None:
    from types import MappingProxyType

    mapping = REGISTRY.mapping_for(Flat)
    routed = hits(Flat, flat(3))
    routed[1]["_routing"] = "r1"
    del routed[2]["_seq_no"]
    identity = IdentityMap()
    hydrate_all(identity, mapping, routed)
    entries = list(identity)
    assert [e.routing for e in entries] == [None, "r1", None]
    assert [e.seq_no for e in entries] == [0, 1, None]

    proxies: list[Any] = [MappingProxyType(h) for h in hits(Flat, flat(2))]
    other = IdentityMap()
    got = hydrate_all(other, mapping, proxies)
    assert [e.id for e in got] == ["f0", "f1"]
    assert [e.seq_no for e in other] == [0, 1]
    subclassed = IdentityMap()
    hydrate_all(subclassed, mapping, [_Hit(h) for h in hits(Flat, flat(2))])
    assert [e.primary_term for e in subclassed] == [1, 1]
