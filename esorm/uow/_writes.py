"""Tracked changes into bulk writes: serialized once, checked before anything is sent."""

from __future__ import annotations

import json
from typing import Any

from pydantic_core import PydanticSerializationError

from esorm.errors import InvalidEntityError
from esorm.repository import ChangeKind, Entry
from esorm.store import Write

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

_REPLACE_FIELDS = (
    "for (k in params.doc.keySet()) { ctx._source[k] = params.doc[k] } "
    "for (k in params.remove) { ctx._source.remove(k) }"
)
"""Replaces each sent top-level field whole and drops removed extras; a `doc` update
would merge objects, keeping keys the entity no longer has."""


def write_for(entry: Entry, kind: ChangeKind) -> tuple[Write, dict[str, Any] | None]:
    """The write one change needs, and the snapshot the entry holds once it is confirmed.

    The snapshot is the entity as serialized, so a change made while the request is
    under way still counts as a change afterwards.

    Raises:
        InvalidEntityError: the entity cannot be stored as it is; nothing is sent.
    """
    if kind == "delete":
        return _write(entry, "delete", None), None
    if kind == "create":
        # routing follows the entity as it is now, not as it was when added
        entry.routing = entry.mapping.routing_of(entry.entity)
    elif entry.seq_no is None:  # put of a document never loaded: route as it is
        entry.routing = entry.mapping.routing_of(entry.entity)
    else:
        _check_routing_kept(entry)
    _check_id_kept(entry)
    source = _partial_update(entry) if kind == "update" else _source_json(entry)
    return _write(entry, kind, source), entry.take_snapshot()


def _write(entry: Entry, kind: ChangeKind, source: bytes | None) -> Write:
    guarded = (
        kind != "create"
        and entry.guarded
        and entry.seq_no is not None
        and entry.primary_term is not None
    )
    return Write(
        kind,
        entry.index,
        entry.id,
        source,
        entry.routing,
        entry.seq_no if guarded else None,
        entry.primary_term if guarded else None,
    )


def _source_json(entry: Entry) -> bytes:
    entity = entry.entity
    try:
        return entity.__pydantic_serializer__.to_json(
            entity, by_alias=True, exclude=entry.mapping.relation_fields, warnings="error"
        )
    except PydanticSerializationError as exc:
        raise _unstorable(entry, exc) from exc


def _partial_update(entry: Entry) -> bytes:
    """A scripted update of the changed fields only, so fields never loaded survive.

    Sends every changed field (and changed extras) whole. Refuses, before anything is
    sent, what a partial load cannot write safely: a field whose sub-fields were filtered
    (it holds only part of its stored object) and entities with computed fields (they
    would be computed from defaults).
    """
    changed = entry.changed_fields()
    _check_partial_write(entry, changed)
    try:
        doc = entry.entity.model_dump(mode="json", by_alias=True, include=changed, warnings="error")
    except PydanticSerializationError as exc:
        raise _unstorable(entry, exc) from exc
    extras = entry.changed_extras()
    if extras:
        doc.update(json.loads(_dumps(extras)))
    params = {"doc": doc, "remove": entry.removed_extras()}
    script = {"source": _REPLACE_FIELDS, "lang": "painless", "params": params}
    return _dumps({"script": script}).encode()


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


def _unstorable(entry: Entry, exc: Exception) -> InvalidEntityError:
    return InvalidEntityError(
        f"{entry.mapping.name} {entry.id!r} cannot be stored, nothing was sent: {exc}"
    )


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
    if entry.mapping.routed and routing != entry.routing:
        raise InvalidEntityError(
            f"{entry.mapping.name} {entry.id!r}: its routing changed from {entry.routing!r} to "
            f"{routing!r}, which would leave the old document on its shard; remove it and add "
            f"a new entity instead. Nothing was sent."
        )
