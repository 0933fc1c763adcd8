"""The pydantic models behind an object field, to map Python names to stored (alias) names."""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import Any, get_args

from pydantic import BaseModel, RootModel

from esorm.mapping._aliases import stored_name

Models = tuple[type[BaseModel], ...]


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


def resolve(name: str, models: Models) -> tuple[str, Models, bool] | None:
    """Stored name, child models and whether it is excluded, for Python name `name`."""
    for model in models:
        info = model.model_fields.get(name)
        if info is not None:
            return stored_name(name, info), models_in(info.annotation), info.exclude is True
        computed = model.model_computed_fields.get(name)
        if computed is not None:
            return computed.alias or name, models_in(computed.return_type), False
    return None


def by_stored_name(stored: str, models: Models) -> Models:
    """The child models of the field stored as `stored` (a name given as its alias)."""
    for model in models:
        for name, info in model.model_fields.items():
            if stored_name(name, info) == stored:
                return models_in(info.annotation)
    return ()


def python_names(models: Models, properties: Mapping[str, Any]) -> list[str]:
    """The names a user may write at one level: Python field names, else the stored names."""
    if not models:
        return list(properties)
    names: list[str] = []
    for model in models:
        names += [n for n, info in model.model_fields.items() if info.exclude is not True]
        names += list(model.model_computed_fields)
    return list(dict.fromkeys(names))
