"""`Annotated` markers that choose how a field is indexed; plain data, no elasticsearch import.

Example:
    title: Annotated[str, Text(analyzer="english", keyword=True)]
    price: Annotated[float, ScaledFloat(100)]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Literal

from esorm._internal.frozen import FrozenMap, freeze
from esorm.domain._binary import binary_core_schema

Similarity = Literal["cosine", "dot_product", "l2_norm", "max_inner_product"]


def _required(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def _no_subfields() -> Mapping[str, FieldMarker]:
    return FrozenMap({})


@dataclasses.dataclass(frozen=True, repr=False)
class FieldMarker:
    """Base of every mapping marker: frozen, comparable, repr shows only what was set."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Mapping | list):
                object.__setattr__(self, f.name, freeze(value))

    def __repr__(self) -> str:
        shown = [repr(getattr(self, f.name)) for f in dataclasses.fields(self) if _required(f)]
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            default = f.default_factory() if callable(f.default_factory) else f.default
            if not _required(f) and value != default:
                shown.append(f"{f.name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"


@dataclasses.dataclass(frozen=True, repr=False, kw_only=True)
class _Options(FieldMarker):
    """Options most Elasticsearch field types share; None leaves the server default."""

    index: bool | None = None
    doc_values: bool | None = None
    store: bool | None = None
    subfields: Mapping[str, FieldMarker] = dataclasses.field(default_factory=_no_subfields)


@dataclasses.dataclass(frozen=True, repr=False, kw_only=True)
class Text(FieldMarker):
    """Full-text field (`text`); `keyword=True` adds the usual `.keyword` subfield for sorting."""

    analyzer: str | None = None
    search_analyzer: str | None = None
    keyword: bool = False
    index: bool | None = None
    store: bool | None = None
    subfields: Mapping[str, FieldMarker] = dataclasses.field(default_factory=_no_subfields)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.keyword and "keyword" in self.subfields:
            raise ValueError("Text(keyword=True) already adds a 'keyword' subfield; drop one")


@dataclasses.dataclass(frozen=True, repr=False, kw_only=True)
class Keyword(_Options):
    """Exact-value field (`keyword`), for ids, tags, codes; the default for strings."""

    ignore_above: int | None = None
    normalizer: str | None = None


@dataclasses.dataclass(frozen=True, repr=False, kw_only=True)
class Byte(_Options):
    """`byte`: integers from -128 to 127."""


@dataclasses.dataclass(frozen=True, repr=False, kw_only=True)
class Short(_Options):
    """`short`: 16-bit integers."""


@dataclasses.dataclass(frozen=True, repr=False, kw_only=True)
class Integer(_Options):
    """`integer`: 32-bit integers."""


@dataclasses.dataclass(frozen=True, repr=False, kw_only=True)
class Long(_Options):
    """`long`: 64-bit integers, the default for `int`."""


@dataclasses.dataclass(frozen=True, repr=False, kw_only=True)
class UnsignedLong(_Options):
    """`unsigned_long`: integers from 0 to 2**64 - 1."""


@dataclasses.dataclass(frozen=True, repr=False, kw_only=True)
class HalfFloat(_Options):
    """`half_float`: 16-bit floating point."""


@dataclasses.dataclass(frozen=True, repr=False, kw_only=True)
class Float(_Options):
    """`float`: 32-bit floating point."""


@dataclasses.dataclass(frozen=True, repr=False, kw_only=True)
class Double(_Options):
    """`double`: 64-bit floating point, the default for `float`."""


@dataclasses.dataclass(frozen=True, repr=False)
class ScaledFloat(_Options):
    """`scaled_float`: a number indexed as a long after multiplying by `scaling_factor`."""

    scaling_factor: float


@dataclasses.dataclass(frozen=True, repr=False, kw_only=True)
class Binary(FieldMarker):
    """`binary`: bytes stored as base64; also makes pydantic dump and load them as base64.

    Python code keeps passing raw bytes; a `str` given on validation is read as base64
    (that is how a stored document comes back).
    """

    doc_values: bool | None = None
    store: bool | None = None

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        return binary_core_schema(handler(source))


@dataclasses.dataclass(frozen=True, repr=False, kw_only=True)
class GeoPointField(FieldMarker):
    """`geo_point` for other shapes than `GeoPoint`: "lat,lon", geohash, WKT, or [lon, lat]."""

    ignore_malformed: bool | None = None
    index: bool | None = None
    doc_values: bool | None = None


@dataclasses.dataclass(frozen=True, repr=False)
class DenseVector(FieldMarker):
    """`dense_vector` for a `list[float]` of `dims` numbers, searchable by kNN when `index`."""

    dims: int
    similarity: Similarity = "cosine"
    index: bool = True
    element_type: Literal["float", "byte", "bit"] | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.dims, int) or self.dims < 1:
            raise ValueError(f"DenseVector dims must be a positive int, got {self.dims!r}")


@dataclasses.dataclass(frozen=True, repr=False, kw_only=True)
class Nested(FieldMarker):
    """`nested` for a model or list of models, so each element is queried on its own."""

    include_in_parent: bool | None = None
    include_in_root: bool | None = None


@dataclasses.dataclass(frozen=True, repr=False)
class Mapped(FieldMarker):
    """Escape hatch: the raw Elasticsearch field mapping to use as is."""

    mapping: Mapping[str, Any]

    def __post_init__(self) -> None:
        if not isinstance(self.mapping, Mapping):
            raise TypeError(f"Mapped needs a mapping dict, got {type(self.mapping).__name__}")
        super().__post_init__()
