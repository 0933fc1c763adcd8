"""Tracked changes into bulk writes: serialized once, checked before anything is sent."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticSerializationError

from esorm.errors import InvalidEntityError
from esorm.mapping import WRITES_FIELD, EntityMapping
from esorm.repository import ChangeKind, Entry
from esorm.uow._checks import check_partial_write, check_storable
from esorm.uow._markers import chained, with_writes
from esorm.uow._outcome import Operation

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_strict_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode

PARTIAL_UPDATE_SCRIPT = (
    "for (k in params.doc.keySet()) { ctx._source[k] = params.doc[k] } "
    "for (k in params.remove) { ctx._source.remove(k) }"
)
"""The Painless script of every partial update: replaces each sent top-level field whole and
drops removed extras (a `doc` update would merge objects, keeping keys the entity no longer
has). Its params are `doc` (field -> value) and `remove` (keys)."""


def write_for(
    entry: Entry,
    kind: ChangeKind,
    marker: str,
    beside: Mapping[str, Any] | None = None,
    *,
    defer: bool = False,
) -> Operation:
    """The operation one change needs, with the snapshot the entry holds once it is
    confirmed; its document carries `marker` first among its write ids, and the reserved
    fields in `beside` (`Flush.store_beside`).

    The snapshot is the entity as checked, so a change made while the request is under
    way still counts as a change afterwards. With `defer`, a whole document (`create`,
    `index`) is serialized now only to check it and dropped, and serialized again by
    `render` when its chunk is sent: a large commit then holds one chunk of bodies, not
    every one, and still sends nothing when any entity cannot be stored.

    Raises:
        InvalidEntityError: the entity cannot be stored as it is; nothing is sent.
    """
    if kind == "delete":
        return _operation(entry, "delete", None, None, None)
    changed = check_storable(entry, kind)
    if kind == "update":
        source: bytes | None = _partial_update(entry, chained(marker, entry.writes), beside)
    elif defer:
        source = None
        if beside:
            _with_fields(entry, b"{}", beside)  # refuses NaN and infinities
        _source_json(entry)
    else:
        source = _document(entry, chained(marker, entry.writes), beside)
    # a new entity as it was added is what is sent: its snapshot serves as it is
    snapshot = entry.take_snapshot() if changed or entry.snapshot is None else entry.snapshot
    operation = _operation(entry, kind, source, marker, snapshot)
    if source is None:
        operation.deferred, operation.beside = True, beside
    return operation


def render(operation: Operation) -> None:
    """Serialize the document of a deferred operation (its chunk is about to be sent)."""
    entry, marker = operation.entry, operation.marker
    assert entry is not None
    assert marker is not None
    operation.source = _document(entry, chained(marker, entry.writes), operation.beside)
    operation.deferred = False


def _document(entry: Entry, writes: tuple[str, ...], beside: Mapping[str, Any] | None) -> bytes:
    source = _source_json(entry)
    return with_writes(_with_fields(entry, source, beside) if beside else source, writes)


def _operation(
    entry: Entry,
    kind: ChangeKind,
    source: bytes | None,
    marker: str | None,
    snapshot: dict[str, Any] | None,
) -> Operation:
    guarded = (
        kind != "create"
        and entry.guarded
        and entry.seq_no is not None
        and entry.primary_term is not None
    )
    return Operation(
        kind,
        entry.index,
        entry.id,
        source,
        entry.routing,
        entry.seq_no if guarded else None,
        entry.primary_term if guarded else None,
        marker=marker,
        entry=entry,
        snapshot=snapshot,
    )


def document_json(
    mapping: EntityMapping[Any], entity: BaseModel, writes: Sequence[str] = ()
) -> bytes:
    """The document esorm stores for an entity: its JSON under stored names, relations
    left out, with the write ids it carries (copies keep them, so the ids go on).

    Raises:
        InvalidEntityError: a value cannot be stored as JSON.
    """
    try:
        source = entity.__pydantic_serializer__.to_json(
            entity, by_alias=True, exclude=mapping.relation_fields, warnings="error"
        )
    except PydanticSerializationError as exc:
        raise InvalidEntityError(f"{mapping.name} cannot be stored: {exc}") from exc
    return with_writes(source, writes) if writes else source


def _source_json(entry: Entry) -> bytes:
    entity = entry.entity
    try:
        return entry.mapping.source_serializer.to_json(
            entity, by_alias=True, exclude=entry.mapping.relation_fields, warnings="error"
        )
    except PydanticSerializationError as exc:
        raise _unstorable(entry, exc) from exc


def _with_fields(entry: Entry, source: bytes, fields: Mapping[str, Any]) -> bytes:
    """A JSON document (an object) with reserved fields added at its end."""
    try:
        tail = b",".join(
            _dumps(name).encode() + b":" + _strict_dumps(value).encode()
            for name, value in fields.items()
        )
    except ValueError as exc:  # NaN or infinity somewhere in the value
        raise _unstorable(entry, exc) from exc
    if source == b"{}":
        return b"{" + tail + b"}"
    return b",".join((source[:-1], tail + b"}"))


def _partial_update(
    entry: Entry, writes: tuple[str, ...], beside: Mapping[str, Any] | None = None
) -> bytes:
    """A scripted update of the changed fields only, so fields never loaded survive.

    Sends every changed field (and changed extras) whole. Refuses, before anything is
    sent, what a partial load cannot write safely: a field whose sub-fields were filtered
    (it holds only part of its stored object) and entities with computed fields (they
    would be computed from defaults).
    """
    changed = entry.changed_fields()
    check_partial_write(entry, changed)
    try:
        doc = entry.entity.model_dump(mode="json", by_alias=True, include=changed, warnings="error")
    except PydanticSerializationError as exc:
        raise _unstorable(entry, exc) from exc
    extras = entry.changed_extras()
    if extras:
        doc.update(json.loads(_dumps(extras)))
    if beside:
        doc.update(beside)
    doc[WRITES_FIELD] = list(writes)
    return replace_fields(doc, entry.removed_extras(), entry)


def replace_fields(doc: Mapping[str, Any], remove: list[str], entry: Entry) -> bytes:
    """The body of a scripted update that sets each of `doc`'s top-level fields whole and
    removes the fields in `remove`."""
    params = {"doc": doc, "remove": remove}
    script = {"source": PARTIAL_UPDATE_SCRIPT, "lang": "painless", "params": params}
    try:
        return _strict_dumps({"script": script}).encode()
    except ValueError as exc:
        raise _unstorable(entry, exc) from exc


def _unstorable(entry: Entry, exc: Exception) -> InvalidEntityError:
    return InvalidEntityError(
        f"{entry.mapping.name} {entry.id!r} cannot be stored, nothing was sent: {exc}"
    )
