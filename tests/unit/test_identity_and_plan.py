"""Snapshots, dirty checking, the flush plan and chunking: pure code, no server."""

from __future__ import annotations

import datetime
import enum
import json
from functools import cached_property
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, ConfigDict, Field

from esorm.domain import Mapped
from esorm.errors import InvalidEntityError
from esorm.mapping import Registry
from esorm.repository import Entry, IdentityMap, State, pending_changes, validate_entity
from esorm.repository._snapshots import differs_from, take_snapshot
from esorm.store import Write
from esorm.uow._bulk import BulkSettings, chunk
from esorm.uow._markers import new_markers
from esorm.uow._outcome import Operation
from esorm.uow._writes import write_for

pytestmark = pytest.mark.unit


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Address(BaseModel):
    city: str


class Person(BaseModel):
    id: str
    name: str
    color: Color = Color.RED
    tags: list[str] = Field(default_factory=list)
    address: Address | None = None
    born: datetime.date | None = None


class Loose(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str


REGISTRY = Registry()
REGISTRY.register(Person, routing=lambda p: p.name[:1])
REGISTRY.register(Loose)


def planned_writes(identity: IdentityMap) -> list[Write]:
    markers = new_markers()
    changes = pending_changes(identity)
    return [write_for(entry, kind, next(markers)) for entry, kind in changes]


def tracked(entity: BaseModel, state: State = State.CLEAN, seq_no: int | None = 3) -> Entry:
    mapping = REGISTRY.mapping_for(type(entity))
    return Entry(
        entity=entity,
        mapping=mapping,
        index=mapping.index,
        id=str(entity.id),  # type: ignore[attr-defined]
        routing=mapping.routing_of(entity),
        state=state,
        seq_no=seq_no,
        primary_term=1 if seq_no is not None else None,
        snapshot=take_snapshot(entity) if state is State.CLEAN else None,
    )


def test_snapshot_shares_immutable_values_and_copies_mutable_ones() -> None:
    person = Person(id="1", name="A", tags=["x"], address=Address(city="Oslo"))
    snapshot = take_snapshot(person)
    assert snapshot["name"] is person.name
    assert snapshot["tags"] == person.tags and snapshot["tags"] is not person.tags
    assert snapshot["address"] == person.address and snapshot["address"] is not person.address


@pytest.mark.parametrize(
    "change",
    [
        lambda p: setattr(p, "name", "B"),
        lambda p: p.tags.append("y"),
        lambda p: setattr(p.address, "city", "Bergen"),
        lambda p: setattr(p, "color", Color.BLUE),
        lambda p: setattr(p, "born", datetime.date(2000, 1, 1)),
    ],
)
def test_every_kind_of_change_is_dirty(change: object) -> None:
    person = Person(id="1", name="A", tags=["x"], address=Address(city="Oslo"))
    snapshot = take_snapshot(person)
    assert not differs_from(person, snapshot)
    change(person)  # type: ignore[operator]
    assert differs_from(person, snapshot)


def test_extra_fields_are_tracked() -> None:
    loose = Loose(id="1", anything={"a": 1})
    snapshot = take_snapshot(loose)
    assert not differs_from(loose, snapshot)
    loose.anything["a"] = 2  # type: ignore[attr-defined]
    assert differs_from(loose, snapshot)


def test_plan_orders_and_guards_operations() -> None:
    identity = IdentityMap()
    clean = tracked(Person(id="c", name="Clean"))
    dirty = tracked(Person(id="d", name="Dirty"), seq_no=0)
    dirty.writes = ("earlier",)
    removed = tracked(Person(id="r", name="Removed"), seq_no=7)
    new = tracked(Person(id="n", name="New"), state=State.NEW, seq_no=None)
    for entry in (clean, dirty, removed, new):
        identity.put(entry)
    dirty.entity.tags.append("t")  # type: ignore[attr-defined]
    removed.state = State.REMOVED
    writes = planned_writes(identity)
    assert [(write.action, write.id) for write in writes] == [
        ("index", "d"),
        ("delete", "r"),
        ("create", "n"),
    ]
    lines = [json.loads(line) for write in writes for line in write.ndjson().splitlines()]
    assert lines[0] == {
        "index": {
            "_index": "person",
            "_id": "d",
            "routing": "D",
            "if_seq_no": 0,
            "if_primary_term": 1,
        }
    }
    assert lines[2] == {
        "delete": {
            "_index": "person",
            "_id": "r",
            "routing": "R",
            "if_seq_no": 7,
            "if_primary_term": 1,
        }
    }
    assert lines[3] == {"create": {"_index": "person", "_id": "n", "routing": "N"}}
    assert lines[4]["name"] == "New"
    # each document carries its write's id; a loaded one keeps the ids it was loaded with
    assert [w.marker for w in writes] == [
        lines[1]["esorm_writes"][0],
        None,
        lines[4]["esorm_writes"][0],
    ]
    assert lines[1]["esorm_writes"][1:] == ["earlier"]


def test_plan_refuses_unserializable_values_before_sending() -> None:
    identity = IdentityMap()
    entry = tracked(Person(id="x", name="X"))
    identity.put(entry)
    entry.entity.born = "yesterday"  # type: ignore[attr-defined]
    with pytest.raises(InvalidEntityError, match="Person 'x' is invalid and was not written"):
        planned_writes(identity)


def test_plan_refuses_values_that_validate_but_cannot_be_serialized() -> None:
    class Anything(BaseModel):
        id: str
        value: Annotated[Any, Mapped({"type": "object", "enabled": False})] = None

    registry = Registry()
    mapping = registry.register(Anything)
    identity = IdentityMap()
    entity = Anything(id="x")
    entry = Entry(entity, mapping, mapping.index, "x", None, State.CLEAN, 1, 1)
    entry.snapshot = entry.take_snapshot()
    identity.put(entry)
    entity.value = object()  # any value validates as Any; JSON has no form for it
    with pytest.raises(InvalidEntityError, match="Anything 'x' cannot be stored"):
        planned_writes(identity)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str

    @cached_property
    def shout(self) -> str:
        return self.name.upper()


def test_validation_on_add_reads_declared_fields_only() -> None:
    """A cached property's value sits in `__dict__` beside the fields; validating it as
    input would refuse an entity that forbids extras. A field missing from `__dict__`
    (built with `model_construct`) is refused, naming the entity."""
    registry = Registry()
    mapping = registry.register(Strict)
    read = Strict(id="r", name="read")
    assert read.shout == "READ"
    validate_entity(mapping, read)  # valid: the property is not a field
    with pytest.raises(InvalidEntityError, match="Strict is invalid and was not added"):
        validate_entity(mapping, Strict.model_construct(id="c"))  # type: ignore[call-arg]
    changed = Strict(id="s", name="s")
    changed.__dict__["name"] = 42  # set around pydantic: the copy validates the values
    with pytest.raises(InvalidEntityError, match="name"):
        validate_entity(mapping, changed)


def test_chunk_respects_count_and_bytes() -> None:
    writes = [Write("index", "i", "x", b"x" * size) for size in (10, 10, 10, 25, 5, 40)]
    overhead = writes[0].size - 10  # the action line and the newline
    ops = [Operation.of(write) for write in writes]
    by_count = [len(c) for c in chunk(ops, BulkSettings(chunk_size=2, chunk_bytes=100_000))]
    assert by_count == [2, 2, 2]
    limit = BulkSettings(chunk_size=100, chunk_bytes=3 * (overhead + 10))
    by_bytes = [[op.write.size - overhead for op in c] for c in chunk(ops, limit)]
    assert by_bytes == [[10, 10, 10], [25, 5], [40]]  # an oversized item still goes alone
    assert all(len(w.ndjson()) == w.size for w in writes)


def test_declared_mutability_decides_which_fields_a_fresh_snapshot_copies() -> None:
    from esorm.mapping._mutability import mutable_fields

    class Frozen(BaseModel):
        model_config = ConfigDict(frozen=True)
        x: int

    class Shapes(BaseModel):
        id: str
        n: int | None = None
        color: Color = Color.RED
        pair: tuple[int, str] = (1, "a")
        many: tuple[int, ...] = ()
        frozen: Frozen | None = None
        tags: list[str] = Field(default_factory=list)
        meta: dict[str, int] = Field(default_factory=dict)
        address: Address | None = None
        nested_tuple: tuple[list[int], ...] = ()

    assert mutable_fields(Shapes) == {"tags", "meta", "address", "nested_tuple"}
    person = Person(id="1", name="A", tags=["x"])
    snapshot = take_snapshot(person, None, mutable_fields(Person))
    assert snapshot == take_snapshot(person)
    assert snapshot["tags"] is not person.tags
