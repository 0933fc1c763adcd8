"""What is checked before a change is written: nothing invalid or unreadable is stored.

Every check runs for every write of a commit before the first request, so a commit
that would store something wrong sends nothing.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel

from esorm.errors import InvalidEntityError
from esorm.repository import ChangeKind, Entry, validate_entity

_NOTHING_SENT = "Nothing was sent."


def check_storable(entry: Entry, kind: ChangeKind) -> bool:
    """Refuse a create or update whose entity the server must not store as it is; True
    when the entity changed since its snapshot (always, for updates).

    The entity is validated again as its type (assignments and in-place changes skip
    pydantic's checks), unless it is a new one unchanged since `add()` validated it;
    NaN and infinities are refused; the id and the routing must be the ones it was
    tracked with. Routing of new entities follows the entity as it is now.
    """
    mapping = entry.mapping
    if kind == "create" or entry.seq_no is None:  # new, or put without a loaded version
        entry.routing = mapping.routing_of(entry.entity)
    else:
        _check_routing_kept(entry)
    _check_id_kept(entry)
    changed = kind != "create" or entry.changed_since_snapshot()
    if changed:
        validate_entity(mapping, entry.entity, doc_id=entry.id)
    _check_finite(entry)
    return changed


def _check_finite(entry: Entry) -> None:
    entity = entry.entity
    values = entity.__dict__
    for name in entry.mapping.float_fields:
        _refuse_non_finite(entry, values.get(name), name)
    if entity.__pydantic_extra__:
        for key, value in entity.__pydantic_extra__.items():
            _refuse_non_finite(entry, value, key)


def _refuse_non_finite(entry: Entry, value: Any, path: str) -> None:
    found = _non_finite(value, path, 0)
    if found is not None:
        where, bad = found
        raise InvalidEntityError(
            f"{entry.mapping.name} {entry.id!r}: {where} is {bad!r}, and JSON has no NaN or "
            f"infinity, so it cannot be stored. {_NOTHING_SENT}"
        )


def _non_finite(value: Any, path: str, depth: int) -> tuple[str, float] | None:
    """The path and value of the first NaN or infinity inside `value`, if any."""
    if isinstance(value, float):
        return None if math.isfinite(value) else (path, value)
    if depth > 32 or value is None or isinstance(value, str | int | bytes):
        return None
    items: Any = ()
    if isinstance(value, BaseModel):
        items = value.__dict__.items()
        if value.__pydantic_extra__:
            items = [*items, *value.__pydantic_extra__.items()]
    elif isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list | tuple | set | frozenset):
        items = enumerate(value)
    for key, item in items:
        found = _non_finite(item, f"{path}.{key}", depth + 1)
        if found is not None:
            return found
    return None


def check_partial_write(entry: Entry, changed: set[str]) -> None:
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


def _check_id_kept(entry: Entry) -> None:
    doc_id = entry.mapping.carried_id(entry.entity)
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
