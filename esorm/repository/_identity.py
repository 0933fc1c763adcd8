"""The identity map: one tracked instance per document, and what the server knows beside it."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, ValuesView
from dataclasses import dataclass, field
from typing import Any, Final

from pydantic import BaseModel

from esorm.mapping import EntityMapping
from esorm.query import SourceFilter
from esorm.repository._snapshots import (
    EXTRA,
    changed_extras,
    changed_fields,
    differs_from,
    take_snapshot,
)
from esorm.store import Write

IdentityKey = tuple[type[BaseModel], str, str]
"""(entity type, the entity's index name, document id): one document within a unit of work."""


class State(enum.Enum):
    """Where a tracked entity stands relative to the server. Dirty is derived, not stored."""

    NEW = "new"
    CLEAN = "clean"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class Doubt:
    """A write that was sent but whose outcome is unknown, what the entity looked like in
    it (the entry's snapshot if it turns out applied), and the write ids it carried."""

    write: Write
    snapshot: dict[str, Any] | None
    writes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Pin:
    """The version a client expects a tracked document to have (HTTP `If-Match`), or None
    for one it expects not to exist (`If-None-Match: *`, a create).

    Taken when the entry had exactly that version, so its next write is guarded by the
    client's version; a refusal of that write is the client's precondition failing. Spent
    once the entry's version moves on (a confirmed write of ours).
    """

    entry: Entry
    seq_no: int | None
    primary_term: int | None

    @property
    def spent(self) -> bool:
        """True once the entry holds another version than the pinned one."""
        entry = self.entry
        return entry.seq_no != self.seq_no or entry.primary_term != self.primary_term


@dataclass(slots=True, eq=False)
class Entry:
    """One tracked document: the entity plus index, id, version, routing, state and snapshot.

    `index` is the concrete index the document was read from or written to, where its
    next write goes. `seq_no` 0 is a real version; None means the server has not
    confirmed any version yet. `source_filter` holds the (includes, excludes) an entity
    was loaded with when it was loaded with only part of its `_source`; `guarded` is
    False after `put()`, whose writes and deletes go without a version check.
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
    first_write: bool = False
    """Added or put in this unit and not written yet: its first write sets `created_at`."""
    guarded: bool = True
    writes: tuple[str, ...] = ()
    """The ids of the document's latest writes as stored (`WRITES_FIELD`), newest first."""
    doubt: Doubt | None = None
    """A write of this entry that went out without a readable answer: the next commit
    reads the document back before anything else, to learn whether it was applied."""
    outbox: tuple[Any, ...] = ()
    """The undelivered events the document holds as stored (`OUTBOX_FIELD`; each an
    `esorm.events.StoredEvent`), for entities registered with `outbox=True`: every full
    write carries them on."""

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

    def changed_since_snapshot(self) -> bool:
        """True when the entity differs from its snapshot, or has none to compare with."""
        return self.snapshot is None or differs_from(self.entity, self.snapshot)

    def take_snapshot(self) -> dict[str, Any]:
        """A snapshot of the entity as it is now (see `take_snapshot`)."""
        return take_snapshot(self.entity, self.mapping.relation_fields)

    def changed_fields(self) -> set[str]:
        """The stored fields whose values differ from the snapshot (relations never count)."""
        changed = changed_fields(self.entity, self.snapshot or {})
        return changed - self.mapping.relation_fields if self.mapping.relation_fields else changed

    def changed_extras(self) -> dict[str, Any]:
        """Extra (undeclared) values added or changed since the snapshot."""
        return changed_extras(self.entity, self.snapshot or {})

    def removed_extras(self) -> list[str]:
        """Extra keys the snapshot has and the entity no longer has, sorted."""
        before = (self.snapshot or {}).get(EXTRA) or {}
        return sorted(set(before) - set(self.entity.__pydantic_extra__ or {}))

    def mark_written(
        self,
        seq_no: int,
        primary_term: int,
        snapshot: dict[str, Any] | None = None,
        index: str | None = None,
        writes: tuple[str, ...] | None = None,
    ) -> None:
        """Record a confirmed write: new version, clean as of `snapshot` (what was sent).

        Args:
            index: the concrete index the server wrote to (an alias resolves to one).
            writes: the write ids the document now holds.
        """
        self.seq_no = seq_no
        self.primary_term = primary_term
        self.state = State.CLEAN
        self.first_write = False
        self.guarded = True  # a put is written: from here on it is a loaded document
        self.doubt = None
        if index is not None:
            self.index = index
        if writes is not None:
            self.writes = writes
        self.snapshot = snapshot if snapshot is not None else self.take_snapshot()


Loaded = tuple[
    BaseModel,  # entity
    dict[str, Any],  # snapshot
    EntityMapping[Any],
    str,  # concrete index
    str,  # id
    str | None,  # routing
    int | None,  # seq_no
    int | None,  # primary_term
    SourceFilter | None,
    tuple[str, ...],  # write ids
]
"""A document loaded clean and not looked at since: what its `Entry` will hold, as a plain
tuple. A bulk read builds these by `zip` (a tuple is made in C; an `Entry` runs Python
code, as much again as the rest of the read); the map turns one into its `Entry` the
first time anything asks for it, and a commit compares it without doing so."""

ROW_ENTITY: Final = 0
"""Where a `Loaded` row holds its entity (the snapshot follows it, at 1)."""


def _entry_of_row(row: Loaded) -> Entry:
    entity, snapshot, mapping, index, doc_id, routing, seq_no, term, source_filter, writes = row
    return Entry(
        entity, mapping, index, doc_id, routing, State.CLEAN, seq_no, term, snapshot,
        source_filter, False, True, writes,
    )  # fmt: skip


class IdentityMap:
    """Tracked entries by identity key and by entity object; answers without a round trip.

    Entries live in one bucket per (entity type, index), keyed by document id, so the hot
    path looks a hit up without building a key tuple; iteration follows tracking order.
    A bulk read stores `Loaded` rows instead; every method hands out `Entry` objects,
    made from a row when first asked for (only `raw_bucket` and `live` show rows).
    """

    __slots__ = ("_buckets", "_by_object", "doubtful", "pins")

    def __init__(self) -> None:
        self._buckets: dict[tuple[type[BaseModel], str], dict[str, Entry | Loaded]] = {}
        self._by_object: dict[int, Entry | Loaded] = {}
        self.doubtful: dict[int, Entry] = {}
        """Entries with a write in doubt (`Entry.doubt`), by object id: the next commit
        settles them first, without looking at every entry."""
        self.pins: dict[int, Pin] = {}
        """Entries pinned to a client's version, by object id (see `Pin`); a commit drops
        the spent ones and those no longer tracked, so ordinary commits never look."""

    def get(self, key: IdentityKey) -> Entry | None:
        """The entry for a document, if tracked."""
        bucket = self._buckets.get((key[0], key[1]))
        found = bucket.get(key[2]) if bucket is not None else None
        return found if found is None or isinstance(found, Entry) else self.entry(found)

    def raw_bucket(self, entity: type[BaseModel], index: str) -> dict[str, Entry | Loaded]:
        """The live id -> entry (or `Loaded` row: see `entry`) dict of one entity type
        under one mapping index name, for the read hot path."""
        bucket = self._buckets.get((entity, index))
        if bucket is None:
            bucket = self._buckets[(entity, index)] = {}
        return bucket

    def entries_in(self, entity: type[BaseModel], index: str) -> list[Entry]:
        """The entries of one entity type under one mapping index name, in tracking order."""
        return [self.entry(found) for found in list(self.raw_bucket(entity, index).values())]

    def entry(self, found: Entry | Loaded) -> Entry:
        """The entry itself, or the `Entry` a `Loaded` row stands for (which replaces the
        row in the map, keeping its place in tracking order)."""
        if isinstance(found, Entry):
            return found
        entry = _entry_of_row(found)
        self.raw_bucket(entry.mapping.entity, entry.mapping.index)[entry.id] = entry
        self._by_object[id(entry.entity)] = entry
        return entry

    @staticmethod
    def entity_in(found: Entry | Loaded) -> BaseModel:
        """The entity of an entry or of a `Loaded` row, without making the row an entry."""
        return found.entity if isinstance(found, Entry) else found[ROW_ENTITY]

    def entry_of(self, entity: BaseModel) -> Entry | None:
        """The entry tracking this very object, if any."""
        found = self._by_object.get(id(entity))
        if found is None:
            return None
        entry = self.entry(found)
        return entry if entry.entity is entity else None

    def put(self, entry: Entry) -> None:
        """Track an entry; the caller makes sure its key is free."""
        self.raw_bucket(entry.mapping.entity, entry.mapping.index)[entry.id] = entry
        self._by_object[id(entry.entity)] = entry

    def load_all(
        self,
        mapping: EntityMapping[Any],
        ids: Iterable[str],
        entities: Iterable[BaseModel],
        rows: list[Loaded],
    ) -> bool:
        """Track documents none of which is tracked yet, as `Loaded` rows, in this order;
        False (and nothing tracked) when an id repeats among them."""
        bucket = self.raw_bucket(mapping.entity, mapping.index)
        before = len(bucket)
        bucket.update(zip(ids, rows, strict=True))
        if len(bucket) != before + len(rows):
            for row in rows:
                bucket.pop(row[4], None)
            return False
        self._by_object.update(zip(map(id, entities), rows, strict=True))
        return True

    def discard(self, entry: Entry) -> None:
        """Stop tracking an entry."""
        bucket = self._buckets.get((entry.mapping.entity, entry.mapping.index))
        if bucket is not None and bucket.get(entry.id) is entry:
            del bucket[entry.id]
        if self._by_object.get(id(entry.entity)) is entry:
            del self._by_object[id(entry.entity)]
        if entry.doubt is not None:
            self.doubtful.pop(id(entry), None)

    def clear(self) -> None:
        """Forget everything (rollback, end of a unit of work)."""
        self._buckets.clear()
        self._by_object.clear()
        self.doubtful.clear()
        self.pins.clear()

    def pin_of(self, entry: Entry) -> Pin | None:
        """The pin of a tracked entry, if it has one."""
        pin = self.pins.get(id(entry)) if self.pins else None
        return pin if pin is not None and pin.entry is entry else None

    def release_pins(self) -> None:
        """Drop the pins that are spent or whose entries are no longer tracked."""
        by_object = self._by_object
        for key, pin in list(self.pins.items()):
            entry = pin.entry
            if pin.spent or by_object.get(id(entry.entity)) is not entry:
                del self.pins[key]

    def __iter__(self) -> Iterator[Entry]:
        return iter([self.entry(found) for found in list(self._by_object.values())])

    def live(self) -> ValuesView[Entry | Loaded]:
        """Every entry (or `Loaded` row) in tracking order, without a copy: only for loops
        that do not add or remove entries (the commit plan); `entry` turns a row into its
        entry in place."""
        return self._by_object.values()

    def __len__(self) -> int:
        return len(self._by_object)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, tuple) and len(key) == 3 and self.get(key) is not None
