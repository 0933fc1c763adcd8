"""Computed fields: stored with each document, dropped again before validation reads it back."""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel, RootModel

from esorm._internal.types import MAPPINGS, stored_name
from esorm.mapping._relation_specs import lazy_type

ComputedPlan = dict[str, Any]
"""Stored name -> None (drop the key) or the plan for the object (or list of objects) under it."""


def computed_plan(model: type[BaseModel]) -> ComputedPlan:
    """Where a stored document of `model` holds computed fields that validation would refuse.

    Only models refusing extras (`extra="forbid"`) or keeping them (`extra="allow"`, which
    would take the value as an extra) need the drop; the default `"ignore"` skips them.
    Models inside dict values are not covered.
    """
    return _plan(model, (model,))


def drop_computed(source: Mapping[str, Any], plan: Mapping[str, Any]) -> dict[str, Any]:
    """`source` without the keys `plan` marks, recursively; a plain copy where it marks none."""
    out: dict[str, Any] = {}
    for key, value in source.items():
        if key in plan:
            sub = plan[key]
            if sub is None:
                continue
            value = _drop_in(value, sub)
        out[key] = value
    return out


def _drop_in(value: Any, plan: Mapping[str, Any]) -> Any:
    if isinstance(value, Mapping):
        return drop_computed(value, plan)
    if isinstance(value, list):
        return [_drop_in(item, plan) for item in value]
    return value


def _plan(model: type[BaseModel], stack: tuple[type, ...]) -> ComputedPlan:
    plan: ComputedPlan = {}
    if model.model_config.get("extra") in ("forbid", "allow"):
        for name, computed in model.model_computed_fields.items():
            plan[computed.alias or name] = None
    for name, info in model.model_fields.items():
        if info.exclude is True or lazy_type(info.annotation) is not None:
            continue
        sub: ComputedPlan = {}
        for inner in _models_in(info.annotation):
            if inner not in stack:
                sub.update(_plan(inner, (*stack, inner)))
        if sub:
            plan[stored_name(name, info)] = sub
    return plan


def _models_in(tp: Any) -> list[type[BaseModel]]:
    """Models whose documents sit directly under a field: through Optional, lists, Annotated."""
    if isinstance(tp, typing.NewType):
        return _models_in(tp.__supertype__)
    if type(tp).__name__ == "TypeAliasType" and hasattr(tp, "__value__"):
        return _models_in(tp.__value__)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if issubclass(tp, RootModel):
            return _models_in(tp.model_fields["root"].annotation)
        return [tp]
    if get_origin(tp) in MAPPINGS:
        return []
    args = get_args(tp)[:1] if get_origin(tp) is Annotated else get_args(tp)
    return [model for arg in args for model in _models_in(arg)]
