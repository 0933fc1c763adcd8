"""Snapshots of entity values, and comparing an entity with its snapshot (dirty checking).

A snapshot is a shallow copy of the entity's `__dict__`, with deep copies only for
values that can change in place; comparing it back is one dict comparison. These are
the hot paths of hydration and of every commit.
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Set as AbstractSet
from typing import Any

from pydantic import BaseModel

from esorm._internal.types import IMMUTABLE_VALUES


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


EXTRA = "__pydantic_extra__"
"""Where a snapshot keeps the extra (undeclared) values of models that allow them."""


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
        snapshot[EXTRA] = copy.deepcopy(extra)
    return snapshot


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
    if extra != snapshot.get(EXTRA):
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
    before = snapshot.get(EXTRA) or {}
    return {key: value for key, value in extra.items() if before.get(key, _GONE) != value}


class _Gone:
    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return other is self

    __hash__ = object.__hash__


_GONE = _Gone()
