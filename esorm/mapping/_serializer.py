"""The serializer of stored documents: the entity's own, without the relations' `exclude_if`.

Relation fields are left out of every stored document (`exclude=relation_fields`), so
asking whether each one is loaded, as dumps for responses do, is wasted work on the write
path: this serializer is the model's with that check stripped, built once per entity.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic_core import SchemaSerializer

from esorm.domain import Related


def storage_serializer(entity: type[BaseModel]) -> SchemaSerializer:
    """The entity's serializer without the relations' `exclude_if` (the model's own when
    it has none)."""
    schema = entity.__pydantic_core_schema__
    stripped, changed = _strip(schema)
    if not changed:
        return entity.__pydantic_serializer__
    return SchemaSerializer(stripped)


def _strip(node: Any) -> tuple[Any, bool]:
    if isinstance(node, dict):
        changed = node.get("serialization_exclude_if") is Related.unloaded
        out = {}
        for key, value in node.items():
            if key == "serialization_exclude_if" and changed:
                continue
            out[key], inner = _strip(value)
            changed = changed or inner
        return (out, True) if changed else (node, False)
    if isinstance(node, list):
        items = [_strip(item) for item in node]
        if any(inner for _, inner in items):
            return [item for item, _ in items], True
    return node, False
