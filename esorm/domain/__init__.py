"""Building blocks entities may use; imports pydantic only, never elasticsearch."""

from esorm.domain._events import Aggregate, RecordedEvent, forget_events, recorded_events
from esorm.domain._geo import GeoPoint
from esorm.domain._ids import new_id
from esorm.domain._lazy import Many, One, Related
from esorm.domain._markers import (
    Binary,
    Byte,
    DenseVector,
    Double,
    FieldMarker,
    Float,
    GeoPointField,
    HalfFloat,
    Integer,
    Keyword,
    Long,
    Mapped,
    Nested,
    ScaledFloat,
    Short,
    Text,
    UnsignedLong,
)

__all__ = [
    "Aggregate",
    "Binary",
    "Byte",
    "DenseVector",
    "Double",
    "FieldMarker",
    "Float",
    "GeoPoint",
    "GeoPointField",
    "HalfFloat",
    "Integer",
    "Keyword",
    "Long",
    "Many",
    "Mapped",
    "Nested",
    "One",
    "RecordedEvent",
    "Related",
    "ScaledFloat",
    "Short",
    "Text",
    "UnsignedLong",
    "forget_events",
    "new_id",
    "recorded_events",
]
