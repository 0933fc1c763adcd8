"""Entity class -> index, id, routing and Elasticsearch mapping, kept outside the domain."""

from esorm.mapping._descriptions import collect_descriptions
from esorm.mapping._entity import MAX_ID_BYTES, EntityMapping, Timestamps
from esorm.mapping._fields import build_properties
from esorm.mapping._registry import Registry

__all__ = [
    "MAX_ID_BYTES",
    "EntityMapping",
    "Registry",
    "Timestamps",
    "build_properties",
    "collect_descriptions",
]
