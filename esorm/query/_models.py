"""The pydantic models behind an object field, to map Python names to stored (alias) names."""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any, Literal, NamedTuple, Union, get_args, get_origin

from pydantic import BaseModel, RootModel

from esorm._internal.types import MAPPINGS, SEQUENCES, stored_name

Models = tuple[type[BaseModel], ...]


class Resolved(NamedTuple):
    """What a Python field name stands for at one level of an object."""

    stored: str
    models: Models
    excluded: bool
    annotation: Any


def models_in(tp: Any) -> Models:
    """The model classes an annotation holds, through Optional, lists, Annotated and aliases."""
    found: list[type[BaseModel]] = []
    _walk(tp, found, 0)
    return tuple(dict.fromkeys(found))


def _walk(tp: Any, found: list[type[BaseModel]], depth: int) -> None:
    if depth > 25:
        return
    if isinstance(tp, typing.NewType):
        _walk(tp.__supertype__, found, depth + 1)
    elif type(tp).__name__ == "TypeAliasType" and hasattr(tp, "__value__"):
        _walk(tp.__value__, found, depth + 1)
    elif isinstance(tp, type) and issubclass(tp, BaseModel):
        if issubclass(tp, RootModel):
            _walk(tp.model_fields["root"].annotation, found, depth + 1)
        else:
            found.append(tp)
    else:
        for arg in get_args(tp):
            _walk(arg, found, depth + 1)


def resolve(name: str, models: Models) -> Resolved | None:
    """Stored name, child models, exclusion and annotation of the Python field `name`."""
    for model in models:
        info = model.model_fields.get(name)
        if info is not None:
            annotation = info.annotation
            return Resolved(
                stored_name(name, info), models_in(annotation), info.exclude is True, annotation
            )
        computed = model.model_computed_fields.get(name)
        if computed is not None:
            annotation = computed.return_type
            return Resolved(computed.alias or name, models_in(annotation), False, annotation)
    return None


def by_stored_name(stored: str, models: Models) -> tuple[Models, Any]:
    """The child models and annotation of the field stored as `stored` (given as its alias)."""
    for model in models:
        for name, info in model.model_fields.items():
            if stored_name(name, info) == stored:
                return models_in(info.annotation), info.annotation
    return (), None


def dict_values(annotation: Any) -> tuple[bool, Any]:
    """Whether `annotation` is a dict (through Optional and Annotated), and its value type."""
    tp = _strip(annotation)
    if get_origin(tp) in (Union, types.UnionType):
        members = [_strip(a) for a in get_args(tp) if a is not type(None)]
        tp = members[0] if len(members) == 1 else tp
    if get_origin(tp) in MAPPINGS or tp in MAPPINGS:
        args = get_args(tp)
        return True, args[1] if len(args) == 2 else None
    return False, None


def scalar_classes(annotation: Any) -> tuple[type, ...]:
    """The value classes an annotation holds, through Optional, containers and Literal."""
    found: list[type] = []
    _scalars(annotation, found, 0)
    return tuple(dict.fromkeys(found))


def _scalars(tp: Any, found: list[type], depth: int) -> None:
    tp = _strip(tp)
    origin = get_origin(tp)
    if depth > 25 or origin in MAPPINGS:
        return
    if origin is Literal:
        found += [type(v) for v in get_args(tp) if isinstance(v, str | int | float | enum.Enum)]
    elif origin in (Union, types.UnionType) or origin in SEQUENCES:
        for arg in get_args(tp):
            if arg is not Ellipsis and arg is not type(None):
                _scalars(arg, found, depth + 1)
    elif isinstance(tp, type) and not issubclass(tp, BaseModel):
        found.append(tp)


def _strip(tp: Any) -> Any:
    for _ in range(25):
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
        elif isinstance(tp, typing.NewType):
            tp = tp.__supertype__
        elif type(tp).__name__ == "TypeAliasType" and hasattr(tp, "__value__"):
            tp = tp.__value__
        else:
            break
    return tp


def python_names(models: Models, properties: Mapping[str, Any]) -> list[str]:
    """The names a user may write at one level: Python field names, else the stored names."""
    if not models:
        return list(properties)
    names: list[str] = []
    for model in models:
        names += [n for n, info in model.model_fields.items() if info.exclude is not True]
        names += list(model.model_computed_fields)
    return list(dict.fromkeys(names))
