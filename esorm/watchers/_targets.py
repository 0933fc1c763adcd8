"""Index names for watch parts, from an entity class, its mapping, or a full name."""

from __future__ import annotations

from typing import Any, TypeAlias

from pydantic import BaseModel

from esorm.mapping import EntityMapping, Registry
from esorm.watchers import _checks

IndexTarget: TypeAlias = type[BaseModel] | EntityMapping[Any] | str


def entity_mapping(
    target: type[BaseModel] | EntityMapping[Any], registry: Registry | None, where: str
) -> EntityMapping[Any]:
    """The registry mapping of an entity class (prefix applied), or the mapping given."""
    if isinstance(target, EntityMapping):
        return target
    if isinstance(target, type) and issubclass(target, BaseModel):
        if registry is None:
            raise _checks.fail(
                where,
                f"pass registry= to find the index of {target.__name__}, or pass "
                f"registry.mapping_for({target.__name__})",
            )
        return registry.mapping_for(target)  # NotRegisteredError names the class
    raise _checks.fail(
        where, f"expected a registered entity class or its EntityMapping, got {target!r}"
    )


def index_name(target: IndexTarget, registry: Registry | None, where: str) -> str:
    """The full index name: an entity's (registry prefix included) or a string used as is."""
    if isinstance(target, str):
        if not target.strip():
            raise _checks.fail(where, "the index name must not be empty")
        return target
    return entity_mapping(target, registry, where).index
