"""The plan of one flush: which entries need which bulk operation, serialized and chunked."""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from pydantic_core import PydanticSerializationError

from esorm.errors import InvalidEntityError
from esorm.repository import Entry, IdentityMap, State
from esorm.repository._identity import (
    changed_extras,
    changed_fields,
    differs_from,
    take_snapshot,
)

Action = Literal["create", "index", "update", "delete"]

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass(slots=True)
class Operation:
    """One bulk item for one tracked entry, already serialized as NDJSON lines."""

    entry: Entry
    action: Action
    body: bytes
    snapshot: dict[str, Any] | None = None
    """The entity as serialized: what the entry holds as clean once the write is confirmed,
    so a change made while the request is under way still counts as a change."""
    stamps_before: tuple[Any, Any] | None = None
    """The timestamps the entity had before this commit stamped it, put back if the write
    is not confirmed."""

    def restore_stamps(self) -> None:
        """Put the entity's timestamps back as they were before this commit."""
        if self.stamps_before is not None:
            _restore_stamps(self.entry, *self.stamps_before)

    @property
    def size(self) -> int:
        """Bytes this operation adds to a bulk request."""
        return len(self.body)


def plan_operations(identity: IdentityMap, now: datetime.datetime) -> list[Operation]:
    """Every write the tracked entries need, in tracking order; unchanged entries need none.

    Serializes everything before anything is sent, so an entity that cannot be stored
    fails the whole commit up front instead of half-writing it; the timestamps set on the
    way are then put back. This loop is the whole cost of a commit where little changed,
    so the clean case does one dict comparison.
    """
    operations: list[Operation] = []
    append = operations.append
    clean, new = State.CLEAN, State.NEW
    stamped: list[tuple[Entry, Any, Any]] = []
    try:
        for entry in identity.live():
            state = entry.state
            if state is clean:
                snapshot = entry.snapshot
                entity = entry.entity
                if snapshot is None:
                    continue
                values = entity.__dict__
                if entity.__pydantic_extra__ is None and len(values) == len(snapshot):
                    # the snapshot on the left lets an UNTRACKED (relation) value answer first
                    if snapshot == values:
                        continue
                elif not differs_from(entity, snapshot):
                    continue
                if entry.seq_no is None:  # put of a document never loaded: route as it is
                    entry.routing = entry.mapping.routing_of(entity)
                else:
                    _check_routing_kept(entry)
                before = _stamp(entry, now, entry.fresh, stamped)
                if entry.source_filtered:
                    operation = _partial_update(entry)
                else:
                    operation = _write(entry, "index")
                operation.stamps_before = before
                append(operation)
            elif state is new:
                # routing follows the entity as it is now, not as it was when added
                entry.routing = entry.mapping.routing_of(entry.entity)
                before = _stamp(entry, now, True, stamped)
                operation = _write(entry, "create")
                operation.stamps_before = before
                append(operation)
            else:
                append(Operation(entry, "delete", _action_line("delete", entry)))
    except BaseException:
        for entry, created, updated in reversed(stamped):
            _restore_stamps(entry, created, updated)
        raise
    return operations


def chunk(
    operations: Iterable[Operation], *, max_count: int, max_bytes: int
) -> Iterator[list[Operation]]:
    """Split operations into bulk requests bounded by item count and by request bytes."""
    current: list[Operation] = []
    size = 0
    for operation in operations:
        if current and (len(current) >= max_count or size + operation.size > max_bytes):
            yield current
            current, size = [], 0
        current.append(operation)
        size += operation.size
    if current:
        yield current


def _write(entry: Entry, action: Action) -> Operation:
    _check_id_kept(entry)
    source = _source_json(entry)
    snapshot = take_snapshot(entry.entity, entry.mapping.exclude)
    return Operation(entry, action, _action_line(action, entry) + source + b"\n", snapshot)


_REPLACE_FIELDS = (
    "for (k in params.doc.keySet()) { ctx._source[k] = params.doc[k] } "
    "for (k in params.remove) { ctx._source.remove(k) }"
)
"""Replaces each sent top-level field whole and drops removed extras; a `doc` update
would merge objects, keeping keys the entity no longer has."""


def _partial_update(entry: Entry) -> Operation:
    """A guarded update of the changed fields only, so fields never loaded survive.

    Sends every changed field (and changed extras) whole. Refuses, before anything is
    sent, what a partial load cannot write safely: a field whose sub-fields were filtered
    (it holds only part of its stored object) and entities with computed fields (they
    would be computed from defaults).
    """
    _check_id_kept(entry)
    entity = entry.entity
    mapping = entry.mapping
    snapshot = entry.snapshot or {}
    changed = changed_fields(entity, snapshot) - (mapping.exclude or set())
    _check_partial_write(entry, changed)
    try:
        doc = entity.model_dump(mode="json", by_alias=True, include=changed, warnings="error")
    except PydanticSerializationError as exc:
        raise _unstorable(entry, exc) from exc
    extras = changed_extras(entity, snapshot)
    if extras:
        doc.update(json.loads(_dumps(extras)))
    removed = sorted(
        set(snapshot.get("__pydantic_extra__") or {}) - set(entity.__pydantic_extra__ or {})
    )
    params = {"doc": doc, "remove": removed}
    script = {"source": _REPLACE_FIELDS, "lang": "painless", "params": params}
    body = _action_line("update", entry) + _dumps({"script": script}).encode() + b"\n"
    return Operation(entry, "update", body, take_snapshot(entity, mapping.exclude))


def _check_partial_write(entry: Entry, changed: set[str]) -> None:
    mapping = entry.mapping
    name = f"{mapping.name} {entry.id!r}"
    if type(entry.entity).model_computed_fields:
        raise InvalidEntityError(
            f"{name} was loaded with part of its fields and has computed fields, which would "
            f"be computed from defaults: load it in full to change it. Nothing was sent."
        )
    includes, excludes = entry.source_filter or ((), ())
    cut = {path.split(".", 1)[0] for path in (*includes, *excludes) if "." in path}
    stored = {mapping.stored_names.get(field, field) for field in changed}
    if stored & cut:
        raise InvalidEntityError(
            f"{name}: {sorted(stored & cut)} were loaded with only some of their sub-fields; "
            f"writing them would drop the others: load it in full to change them. "
            f"Nothing was sent."
        )


def _source_json(entry: Entry) -> bytes:
    mapping = entry.mapping
    entity = entry.entity
    try:
        return entity.__pydantic_serializer__.to_json(
            entity, by_alias=True, exclude=mapping.exclude, warnings="error"
        )
    except PydanticSerializationError as exc:
        raise _unstorable(entry, exc) from exc


def _unstorable(entry: Entry, exc: Exception) -> InvalidEntityError:
    return InvalidEntityError(
        f"{entry.mapping.name} {entry.id!r} cannot be stored, nothing was sent: {exc}"
    )


def _action_line(action: Action, entry: Entry) -> bytes:
    """The bulk action line, built from pieces: a dict through the JSON encoder costs more."""
    parts = [_action_prefix(action, entry.index), _json_string(entry.id)]
    if entry.routing is not None:
        parts.append(',"routing":')
        parts.append(_json_string(entry.routing))
    if (
        action != "create"
        and entry.guarded
        and entry.seq_no is not None
        and entry.primary_term is not None
    ):
        parts.append(
            f',"if_seq_no":{int(entry.seq_no)},"if_primary_term":{int(entry.primary_term)}'
        )
    parts.append("}}\n")
    return "".join(parts).encode()


@functools.lru_cache(maxsize=1024)
def _action_prefix(action: Action, index: str) -> str:
    return f'{{"{action}":{{"_index":{_dumps(index)},"_id":'


def _json_string(value: str) -> str:
    """`value` as a JSON string; plain printable ASCII needs no escaping."""
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'
    return _dumps(value)


def _check_id_kept(entry: Entry) -> None:
    doc_id = entry.mapping.id_of(entry.entity)
    if doc_id is not None and doc_id != entry.id:
        raise InvalidEntityError(
            f"{entry.mapping.name} {entry.id!r}: its id changed to {doc_id!r} after it was "
            f"tracked; a document's id cannot change: remove it and add a new entity instead. "
            f"Nothing was sent."
        )


def _check_routing_kept(entry: Entry) -> None:
    routing = entry.mapping.routing_of(entry.entity)
    if entry.mapping.routing is not None and routing != entry.routing:
        raise InvalidEntityError(
            f"{entry.mapping.name} {entry.id!r}: its routing changed from {entry.routing!r} to "
            f"{routing!r}, which would leave the old document on its shard; remove it and add "
            f"a new entity instead. Nothing was sent."
        )


def _stamp(
    entry: Entry,
    now: datetime.datetime,
    created: bool,
    stamped: list[tuple[Entry, Any, Any]],
) -> tuple[Any, Any] | None:
    stamps = entry.mapping.timestamps
    if stamps is None:
        return None
    entity = entry.entity
    before = (getattr(entity, stamps.created), getattr(entity, stamps.updated))
    stamped.append((entry, *before))
    if created and before[0] is None:
        setattr(entity, stamps.created, now)
    setattr(entity, stamps.updated, now)
    return before


def _restore_stamps(entry: Entry, created: Any, updated: Any) -> None:
    stamps = entry.mapping.timestamps
    if stamps is not None:
        setattr(entry.entity, stamps.created, created)
        setattr(entry.entity, stamps.updated, updated)
