"""What a field's declared type may hold at any depth, so writes check only what they must.

Floats: JSON has no NaN or infinity, which pydantic writes as `null` (a document that
then no longer validates) and `json` as `NaN`/`Infinity` (a request the server refuses).
Models: pydantic accepts a model instance as it is, so revalidating an entity whose
nested model was changed in place needs those fields dumped first.
"""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel


def float_fields(entity: type[BaseModel]) -> frozenset[str]:
    """Names of fields whose declared type can hold a float, at any depth.

    Floats, containers and models holding them, and anything untyped (`Any`, bare
    `dict`) count; models that allow extra values are checked through their extras.
    """
    return frozenset(
        name
        for name, info in entity.model_fields.items()
        if _may_hold_float(info.annotation, depth=0, seen=set())
    )


def model_fields_nested(entity: type[BaseModel]) -> frozenset[str]:
    """Names of fields whose declared type can hold a pydantic model, at any depth."""
    return frozenset(
        name
        for name, info in entity.model_fields.items()
        if _may_hold_model(info.annotation, depth=0)
    )


def _may_hold_model(annotation: Any, depth: int) -> bool:
    if depth > 12 or annotation is Any or annotation is object:
        return True
    origin = get_origin(annotation)
    if origin is Annotated:
        return _may_hold_model(get_args(annotation)[0], depth + 1)
    if origin is Literal:
        return False
    if isinstance(annotation, typing.NewType):
        return _may_hold_model(annotation.__supertype__, depth + 1)
    if isinstance(annotation, typing.TypeVar):
        return True
    if origin is not None:
        args = [arg for arg in get_args(annotation) if arg is not Ellipsis]
        return any(_may_hold_model(arg, depth + 1) for arg in args) if args else True
    if not isinstance(annotation, type):
        return True
    return issubclass(annotation, BaseModel) or (
        issubclass(annotation, (dict, list, tuple, set, frozenset)) and not get_args(annotation)
    )


def _may_hold_float(annotation: Any, depth: int, seen: set[type[BaseModel]]) -> bool:
    if depth > 12 or annotation is Any or annotation is object:
        return True
    origin = get_origin(annotation)
    if origin is Annotated:
        return _may_hold_float(get_args(annotation)[0], depth + 1, seen)
    if origin is Literal:
        return any(isinstance(value, float) for value in get_args(annotation))
    if isinstance(annotation, typing.NewType):
        return _may_hold_float(annotation.__supertype__, depth + 1, seen)
    if isinstance(annotation, typing.TypeVar):
        return True
    if origin is not None:
        if origin in (Union, types.UnionType) or get_args(annotation):
            return any(
                _may_hold_float(arg, depth + 1, seen)
                for arg in get_args(annotation)
                if arg is not Ellipsis
            )
        annotation = origin
    if not isinstance(annotation, type):
        return True  # a forward reference or something unknown: checked, to be safe
    if issubclass(annotation, BaseModel):
        if annotation in seen:
            return False  # already being looked at higher up
        seen.add(annotation)
        return annotation.model_config.get("extra") == "allow" or any(
            _may_hold_float(info.annotation, depth + 1, seen)
            for info in annotation.model_fields.values()
        )
    if issubclass(annotation, float):
        return True
    return issubclass(annotation, (dict, list, tuple, set, frozenset)) and not get_args(annotation)
