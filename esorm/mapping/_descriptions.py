"""Field descriptions, collected in full so the index mapping's `_meta` can keep them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel, RootModel

from esorm._internal.types import MAPPINGS, stored_name
from esorm.domain import GeoPoint
from esorm.mapping._relation_specs import lazy_type


def collect_descriptions(entity: type[BaseModel]) -> dict[str, str]:
    """Every field's `description`, in full, by dotted stored path (`address.street`)."""
    found: dict[str, str] = {}
    _collect(entity, "", (entity,), found)
    return found


def _collect(
    model: type[BaseModel], prefix: str, stack: tuple[type, ...], found: dict[str, str]
) -> None:
    fields: list[tuple[str, Any, str | None]] = [
        (stored_name(name, info), info.annotation, info.description)
        for name, info in model.model_fields.items()
        if info.exclude is not True and lazy_type(info.annotation) is None
    ]
    fields += [
        (c.alias or name, c.return_type, c.description)
        for name, c in model.model_computed_fields.items()
    ]
    for key, annotation, description in fields:
        path = f"{prefix}{key}"
        if description:
            found[path] = description
        for sub in _models_in(annotation):
            if sub not in stack:
                _collect(sub, f"{path}.", (*stack, sub), found)


def _models_in(tp: Any) -> Iterator[type[BaseModel]]:
    if isinstance(tp, type) and issubclass(tp, BaseModel) and not issubclass(tp, GeoPoint):
        if issubclass(tp, RootModel):
            yield from _models_in(tp.model_fields["root"].annotation)
        else:
            yield tp
        return
    args = get_args(tp)
    if get_origin(tp) is Annotated:
        args = args[:1]
    elif get_origin(tp) in MAPPINGS:
        args = args[1:]
    for arg in args:
        yield from _models_in(arg)
