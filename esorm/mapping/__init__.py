"""Entity class -> index, id, routing and Elasticsearch mapping, kept outside the domain."""

from esorm.mapping._descriptions import collect_descriptions
from esorm.mapping._entity import (
    MAX_ID_BYTES,
    RECENT_WRITES,
    WRITES_FIELD,
    WRITES_MAPPING,
    EntityHook,
    EntityMapping,
    Timestamps,
    id_problem,
)
from esorm.mapping._fields import build_mapping, build_properties
from esorm.mapping._outbox import OUTBOX_FIELD, OUTBOX_MAPPING
from esorm.mapping._registry import Registry
from esorm.mapping._relation_specs import (
    ByQuery,
    Relation,
    RelationRouting,
    ToMany,
    ToOne,
    by_query,
    to_many,
    to_one,
)

__all__ = [
    "MAX_ID_BYTES",
    "OUTBOX_FIELD",
    "OUTBOX_MAPPING",
    "RECENT_WRITES",
    "WRITES_FIELD",
    "WRITES_MAPPING",
    "ByQuery",
    "EntityHook",
    "EntityMapping",
    "Registry",
    "Relation",
    "RelationRouting",
    "Timestamps",
    "ToMany",
    "ToOne",
    "build_mapping",
    "build_properties",
    "by_query",
    "collect_descriptions",
    "id_problem",
    "to_many",
    "to_one",
]
