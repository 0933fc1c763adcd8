"""The identity map: one tracked instance per document, and what the server knows beside it."""

from __future__ import annotations

import copy
import enum
from collections.abc import Iterator, ValuesView
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from esorm.mapping import EntityMapping
from esorm.mapping._mutability import IMMUTABLE_VALUES

SourceFilter = tuple[tuple[str, ...], tuple[str, ...]]
"""The `_source` includes and excludes an entity was loaded with."""

IdentityKey = tuple[type[BaseModel], str, str]
"""(entity type, concrete index, document id): unique per document within a unit of work."""


class _Untracked:
    """Stands in a snapshot for a value that is never tracked: equal to anything."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return "<untracked>"


UNTRACKED = _Untracked()
"""The snapshot value of an untracked field (a relation), so it never reads as changed."""

_IMMUTABLE: frozenset[type] = IMMUTABLE_VALUES | {_Untracked}


class State(enum.Enum):
    """Where a tracked entity stands relative to the server. Dirty is derived, not stored."""

    NEW = "new"
    CLEAN = "clean"
    REMOVED = "removed"


def take_snapshot(
    entity: BaseModel,
    exclude: AbstractSet[str] | None = None,
    deep: AbstractSet[str] | None = None,
) -> dict[str, Any]:
    """Copy the entity's field values: shallow for immutable values, deep for the rest.

    Args:
        exclude: fields never tracked (relation values); the snapshot holds `UNTRACKED`
            for them (never a copy of the related graph), so comparing stays one dict
            comparison and they never count.
        deep: the fields that may hold mutable values, known from their declared types
            (`EntityMapping.mutable`); only right for values fresh from validation.
            Without it every value's type is checked, which is safe after assignments.
    """
    snapshot = dict(entity.__dict__)
    if exclude:
        for name in exclude:
            snapshot[name] = UNTRACKED
    if deep is None:
        for name, value in snapshot.items():
            kind = type(value)
            if kind not in _IMMUTABLE and not issubclass(kind, enum.Enum):
                snapshot[name] = copy.deepcopy(value)
    else:
        for name in deep:
            value = snapshot[name]
            if type(value) not in _IMMUTABLE:
                snapshot[name] = copy.deepcopy(value)
    extra = entity.__pydantic_extra__
    if extra is not None:  # only models that allow extras have it, then always
        snapshot[_EXTRA] = copy.deepcopy(extra)
    return snapshot


_EXTRA = "__pydantic_extra__"


def differs_from(entity: BaseModel, snapshot: dict[str, Any]) -> bool:
    """True when any field value (or extra) changed since the snapshot was taken.

    Only declared fields count: a `cached_property` stores its value in `__dict__` too.
    An empty snapshot means "write it whatever it holds" (put, re-add).
    """
    values = entity.__dict__
    extra = entity.__pydantic_extra__
    if extra is None and len(values) == len(snapshot):
        # the snapshot on the left lets an `UNTRACKED` value answer its comparison first
        return snapshot != values
    if extra != snapshot.get(_EXTRA):
        return True
    return bool(changed_fields(entity, snapshot))


def changed_fields(entity: BaseModel, snapshot: dict[str, Any]) -> set[str]:
    """Names of the declared fields whose values differ from the snapshot."""
    values = entity.__dict__
    return {
        name
        for name in type(entity).model_fields
        if snapshot.get(name, _GONE) != values.get(name, _GONE)
    }


def changed_extras(entity: BaseModel, snapshot: dict[str, Any]) -> dict[str, Any]:
    """Extra (undeclared) values added or changed since the snapshot."""
    extra = entity.__pydantic_extra__ or {}
    before = snapshot.get(_EXTRA) or {}
    return {key: value for key, value in extra.items() if before.get(key, _GONE) != value}


class _Gone:
    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return other is self

    __hash__ = object.__hash__


_GONE = _Gone()


@dataclass(slots=True, eq=False)
class Entry:
    """One tracked document: the entity plus index, id, version, routing, state and snapshot.

    `seq_no` 0 is a real version; None means the server has not confirmed any version yet.
    `source_filter` holds the (includes, excludes) an entity was loaded with when it was
    loaded with only part of its `_source`; `guarded` is False after `put()`, whose
    writes and deletes go without a version check.
    """

    entity: BaseModel
    mapping: EntityMapping[Any]
    index: str
    id: str
    routing: str | None
    state: State
    seq_no: int | None = None
    primary_term: int | None = None
    snapshot: dict[str, Any] | None = field(default=None, repr=False)
    source_filter: SourceFilter | None = None
    fresh: bool = False
    """Added or put in this unit and not written yet: its first write sets `created_at`."""
    guarded: bool = True

    @property
    def source_filtered(self) -> bool:
        """True for an entity loaded with only part of its `_source`."""
        return self.source_filter is not None

    @property
    def key(self) -> IdentityKey:
        """This entry's identity key: by the mapping's index (an alias stays one name), while
        `index` keeps the concrete index the document was read from, for writes."""
        return (self.mapping.entity, self.mapping.index, self.id)

    @property
    def is_dirty(self) -> bool:
        """True for a clean entry whose entity changed since it was loaded or written."""
        return (
            self.state is State.CLEAN
            and self.snapshot is not None
            and differs_from(self.entity, self.snapshot)
        )

    def mark_written(
        self, seq_no: int, primary_term: int, snapshot: dict[str, Any] | None = None
    ) -> None:
        """Record a confirmed write: new version, clean as of `snapshot` (what was sent)."""
        self.seq_no = seq_no
        self.primary_term = primary_term
        self.state = State.CLEAN
        self.fresh = False
        self.guarded = True  # a put is written: from here on it is a loaded document
        if snapshot is None:
            snapshot = take_snapshot(self.entity, self.mapping.exclude)
        self.snapshot = snapshot


class IdentityMap:
    """Tracked entries by identity key and by entity object; answers without a round trip.

    Entries live in one bucket per (entity type, index), keyed by document id, so the hot
    path looks a hit up without building a key tuple; iteration follows tracking order.
    """

    __slots__ = ("_buckets", "_by_object")

    def __init__(self) -> None:
        self._buckets: dict[tuple[type[BaseModel], str], dict[str, Entry]] = {}
        self._by_object: dict[int, Entry] = {}

    def get(self, key: IdentityKey) -> Entry | None:
        """The entry for a document, if tracked."""
        bucket = self._buckets.get((key[0], key[1]))
        return bucket.get(key[2]) if bucket is not None else None

    def bucket(self, entity: type[BaseModel], index: str) -> dict[str, Entry]:
        """The live id -> entry dict of one entity type under one mapping index name."""
        bucket = self._buckets.get((entity, index))
        if bucket is None:
            bucket = self._buckets[(entity, index)] = {}
        return bucket

    def entry_of(self, entity: BaseModel) -> Entry | None:
        """The entry tracking this very object, if any."""
        entry = self._by_object.get(id(entity))
        return entry if entry is not None and entry.entity is entity else None

    def put(self, entry: Entry) -> None:
        """Track an entry; the caller makes sure its key is free."""
        self.bucket(entry.mapping.entity, entry.mapping.index)[entry.id] = entry
        self._by_object[id(entry.entity)] = entry

    def discard(self, entry: Entry) -> None:
        """Stop tracking an entry."""
        bucket = self._buckets.get((entry.mapping.entity, entry.mapping.index))
        if bucket is not None and bucket.get(entry.id) is entry:
            del bucket[entry.id]
        if self._by_object.get(id(entry.entity)) is entry:
            del self._by_object[id(entry.entity)]

    def clear(self) -> None:
        """Forget everything (rollback, end of a unit of work)."""
        self._buckets.clear()
        self._by_object.clear()

    def __iter__(self) -> Iterator[Entry]:
        return iter(list(self._by_object.values()))

    def live(self) -> ValuesView[Entry]:
        """Every entry in tracking order, without a copy: only for loops that do not add or
        remove entries (the commit plan)."""
        return self._by_object.values()

    def __len__(self) -> int:
        return len(self._by_object)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, tuple) and len(key) == 3 and self.get(key) is not None
