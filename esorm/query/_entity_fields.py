"""`fields(User)`: the entity's fields as `FieldRef`s, checked against its mapping at build time."""

from __future__ import annotations

from typing import Any, TypeAlias

from pydantic import BaseModel

from esorm.errors import QueryError
from esorm.mapping import EntityMapping, build_mapping
from esorm.query._field import FieldRef
from esorm.query._path import compile_templates


class EntityFields:
    """The fields of one entity: `F.first_name`, `F.address.city`, `F["address.city"]`.

    Python names are written; the stored (alias) names are sent. An unknown name raises
    `QueryError` naming the entity and suggesting the closest field.
    """

    __slots__ = ("_root",)

    def __init__(self, root: FieldRef) -> None:
        self._root = root

    def __getattr__(self, name: str) -> FieldRef:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._root._child(name)

    def __getitem__(self, dotted: str) -> FieldRef:
        return self._root[dotted]

    def __dir__(self) -> list[str]:
        return self._root._child_names()

    def __repr__(self) -> str:
        return f"fields({self._root._owner})"


FieldSource: TypeAlias = EntityFields | EntityMapping[Any] | type[BaseModel]


def fields(source: FieldSource) -> EntityFields:
    """The field proxy of an entity, from its registry mapping or from a bare pydantic class.

    A registry mapping also knows per-field overrides; a bare class is mapped with defaults.
    """
    if isinstance(source, EntityFields):
        return source
    if isinstance(source, EntityMapping):
        entity: type[BaseModel] = source.entity
        properties = dict(source.properties)
        templates = compile_templates(source.dynamic_templates)
    elif isinstance(source, type) and issubclass(source, BaseModel):
        entity = source
        properties, generated = build_mapping(source, {})
        templates = compile_templates(generated)
    else:
        raise QueryError(
            f"fields() takes an entity mapping (registry.mapping_for(User)) or a pydantic "
            f"model class, got {source!r}"
        )
    root = FieldRef(
        entity.__name__, "", "", {"properties": properties}, (entity,), _templates=templates
    )
    return EntityFields(root)


def field(source: FieldSource, dotted: str) -> FieldRef:
    """One field by its dotted Python path, e.g. `field(User, "address.city")`, checked."""
    return fields(source)[dotted]
