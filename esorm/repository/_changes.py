"""The change register: what `add`, `put` and `remove` record, and what a commit must write."""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from esorm.domain import forget_events
from esorm.errors import InvalidEntityError
from esorm.mapping import EntityMapping
from esorm.repository._identity import Entry, IdentityMap, Pin, State
from esorm.repository._snapshots import differs_from, take_snapshot

E = TypeVar("E", bound=BaseModel)

ChangeKind = Literal["create", "index", "update", "delete"]
"""How a tracked entry is written: created, replaced whole, partially updated, deleted."""

Change = tuple[Entry, ChangeKind]
"""One entry a commit must write, and how."""


def pending_changes(identity: IdentityMap) -> list[Change]:
    """Every entry that needs a write, in tracking order; unchanged entries need none.

    This loop is the whole cost of a commit where little changed, so the clean case is
    one dict comparison, inlined: a snapshot equal to the entity's `__dict__` is clean
    (extras sit in a snapshot under a key no `__dict__` has, so they never compare
    equal by accident); anything else is looked at field by field (`differs_from`).
    """
    changes: list[Change] = []
    append = changes.append
    clean, new = State.CLEAN, State.NEW
    for found in identity.live():
        entry: Entry | None
        snapshot: dict[str, Any] | None
        if isinstance(found, tuple):  # a Loaded row (entity, snapshot, ...), clean when read
            entity, snapshot, entry = found[0], found[1], None
        else:
            entry = found
            state = entry.state
            if state is not clean:
                append((entry, "create" if state is new else "delete"))
                continue
            entity, snapshot = entry.entity, entry.snapshot
            if snapshot is None:
                continue
        # the snapshot on the left lets an UNTRACKED (relation) value answer first
        if snapshot == entity.__dict__:
            continue
        if not differs_from(entity, snapshot):
            continue
        if entry is None:
            entry = identity.entry(found)  # replaces the row: same size, same order
        append((entry, "update" if entry.source_filter is not None else "index"))
    return changes


def track_new(
    identity: IdentityMap, mapping: EntityMapping[E], entity: E, *, overwrite: bool = False
) -> Entry:
    """Validate a new entity, give it an id if it has none, and track it as NEW.

    With `overwrite` the entity is written with an unguarded `index` instead of
    `create`: whatever document has its id is replaced (last write wins).
    """
    if type(entity) is not mapping.entity:
        raise InvalidEntityError(
            f"expected a {mapping.name}, got {type(entity).__name__}; add it through "
            f"its own repository"
        )
    known = identity.entry_of(entity)
    if known is not None:
        return _track_again(identity, known, overwrite)
    validate_entity(mapping, entity)
    doc_id = mapping.id_of(entity) or mapping.assign_new_id(entity)
    entry = Entry(
        entity=entity,
        mapping=mapping,
        index=mapping.index,
        id=doc_id,
        routing=mapping.routing_of(entity),
        state=State.NEW,
        first_write=True,
    )
    # what add() validated: a commit validates it again only if it changed since (values
    # fresh from validation, so the declared types say which need a deep copy)
    relations = mapping.relation_fields
    entry.snapshot = take_snapshot(
        entity, relations, mapping.mutable - relations if relations else mapping.mutable
    )
    clash = identity.get(entry.key)
    if clash is not None:
        _replace_removed(identity, entry, clash, overwrite)
    elif overwrite:
        # clean, with no version and an empty snapshot: planned as an unguarded `index`
        _write_unguarded(entry)
    identity.put(entry)
    return entry


def _track_again(identity: IdentityMap, known: Entry, overwrite: bool) -> Entry:
    """`add`/`put` of an entity this unit already tracks: undo a removal, or switch to put."""
    if overwrite and identity.pin_of(known) is not None:
        raise InvalidEntityError(
            f"{known.mapping.name} {known.id!r} is pinned to the version a client expects; "
            f"put() would write it without that guard: change it and commit instead"
        )
    if known.state is State.REMOVED:
        known.state = State.CLEAN if known.seq_no is not None else State.NEW
    if overwrite:
        if known.source_filter is not None:
            raise InvalidEntityError(
                f"{known.mapping.name} {known.id!r} was loaded with part of its fields; "
                f"put() would overwrite the others with defaults: load it in full"
            )
        _write_unguarded(known)  # last write wins from here, written even if unchanged
    return known


def _replace_removed(identity: IdentityMap, entry: Entry, clash: Entry, overwrite: bool) -> None:
    """Add over a document removed in this unit: replace it, guarded by the removed version.

    Unless the caller wants the last write to win; the version stays known, so removing
    the replacement again still deletes the document.
    """
    name = f"{entry.mapping.name} {entry.id!r}"
    if overwrite and identity.pin_of(clash) is not None:
        raise InvalidEntityError(
            f"{name} is pinned to the version a client expects; put() would write it "
            f"without that guard: add() the replacement instead"
        )
    if clash.state is not State.REMOVED:
        raise InvalidEntityError(
            f"{name} is already tracked by this unit of work as another instance; change "
            f"that instance instead of adding a second one"
        )
    if clash.routing != entry.routing:
        raise InvalidEntityError(
            f"{name} is removed in this unit of work with routing {clash.routing!r}; adding "
            f"it back with routing {entry.routing!r} would leave the old document on its "
            f"shard: commit the removal first"
        )
    entry.state = State.CLEAN
    entry.seq_no, entry.primary_term = clash.seq_no, clash.primary_term
    entry.guarded = not overwrite
    entry.index = clash.index
    entry.snapshot = {}
    pin = identity.pin_of(clash)
    if pin is not None:  # the replacement is written under the same guard
        identity.pins[id(entry)] = Pin(entry, pin.seq_no, pin.primary_term)
    identity.discard(clash)


def _write_unguarded(entry: Entry) -> None:
    entry.state = State.CLEAN
    entry.guarded = False
    entry.snapshot = {}  # an empty snapshot differs from anything: written whatever it holds


def mark_removed(identity: IdentityMap, mapping: EntityMapping[E], entity: E) -> None:
    """Schedule a tracked entity's deletion; a never-written one is simply forgotten, with
    the events it recorded."""
    entry = identity.entry_of(entity)
    if entry is None:
        raise InvalidEntityError(
            f"{mapping.name} {mapping.id_of(entity)!r} is not tracked by this unit of work; "
            f"load it with get() first, so its delete can be guarded by its version"
        )
    if entry.state is State.NEW or entry.seq_no is None:
        # never written, or put without ever loading the document: no stored version
        # anyone here saw, so removing it only forgets the pending write
        identity.discard(entry)
        if entry.state is State.NEW:
            forget_events(entity)
    else:
        entry.state = State.REMOVED


def validate_entity(
    mapping: EntityMapping[Any], entity: BaseModel, *, doc_id: str | None = None
) -> None:
    """Re-run the entity's validation (constraints, nested models, validators), since
    attribute assignment and in-place changes bypass it by default.

    Args:
        doc_id: the tracked entity's id, when it is refused at commit (not at `add`).
    """
    # a fresh dict: "before" validators may change their input in place; declared fields
    # only, since cached properties live in `__dict__` too (one C-level copy when it holds
    # exactly the declared fields, as it nearly always does)
    stored = entity.__dict__
    if stored.keys() == mapping.declared:
        values = dict(stored)
    else:
        values = {name: stored[name] for name in type(entity).model_fields if name in stored}
    nested = mapping.model_fields - (mapping.relation_fields or set())
    if nested:  # model instances are taken as they are: dumped, so changes in place count
        values.update(entity.model_dump(include=set(nested), round_trip=True))
    if entity.__pydantic_extra__:
        values.update(entity.__pydantic_extra__)
    try:
        mapping.entity.__pydantic_validator__.validate_python(values, by_alias=False, by_name=True)
    except ValidationError as exc:
        name = mapping.name if doc_id is None else f"{mapping.name} {doc_id!r}"
        verb = "added" if doc_id is None else "written (nothing was sent)"
        message = f"{name} is invalid and was not {verb}: {exc}"
        raise InvalidEntityError(message.replace("\n", "\n  ")) from exc
