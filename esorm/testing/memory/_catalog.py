"""The fields of one index, from its mapping: types, sub-fields, objects, nested paths."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from esorm.testing.memory._dates import formats_of

_OBJECTS = frozenset({"object", "nested"})


@dataclass(frozen=True, slots=True, eq=False)
class Field:
    """One field that holds values: its dotted path, type and mapping parameters (compared
    and hashed by identity: a catalog holds one per path).

    `nested` is the innermost nested object it lives in (such fields are not part of the
    document a top-level query sees); `parent` is the field a multi-field derives from.
    """

    path: str
    type: str
    params: Mapping[str, Any]
    nested: str | None = None
    parent: str | None = None
    formats: tuple[str, ...] = ()

    @property
    def searchable(self) -> bool:
        """Whether queries may match on it (indexed, or with doc values to scan)."""
        return self.params.get("index", True) is not False or self.doc_values

    @property
    def doc_values(self) -> bool:
        """Whether it can be sorted and aggregated on (text fields cannot)."""
        if self.type in ("text", "match_only_text"):
            return bool(self.params.get("fielddata", False))
        return self.params.get("doc_values", True) is not False


@dataclass(frozen=True, slots=True)
class ObjectSpec:
    """An object (or nested) field: whether unknown keys below it are mapped, and how."""

    path: str
    dynamic: Any
    enabled: bool = True
    nested: str | None = None
    """The innermost nested path at or above it (itself, for a nested field)."""


@dataclass(slots=True)
class Catalog:
    """Every field of an index by dotted path; grows as dynamic mapping adds fields."""

    fields: dict[str, Field] = field(default_factory=dict)
    objects: dict[str, ObjectSpec] = field(default_factory=dict)
    templates: list[Mapping[str, Any]] = field(default_factory=list)
    copy_targets: set[str] = field(default_factory=set)
    subs: dict[str, list[Field]] = field(default_factory=dict)
    """The multi-fields of each field that has some, by the field's path."""
    runtime: set[str] = field(default_factory=set)
    """Paths that dynamic: runtime left unmapped (as runtime fields, which are not
    evaluated here)."""
    routing_required: bool = False

    @classmethod
    def of(cls, mappings: Mapping[str, Any]) -> Catalog:
        """The catalog of a `mappings` body (properties, dynamic, templates, _routing)."""
        catalog = cls(
            templates=[dict(t) for t in mappings.get("dynamic_templates") or ()],
            routing_required=bool((mappings.get("_routing") or {}).get("required")),
        )
        root = ObjectSpec("", mappings.get("dynamic", True))
        catalog.objects[""] = root
        catalog.add_properties(mappings.get("properties") or {}, root)
        return catalog

    def add_properties(self, properties: Mapping[str, Any], parent: ObjectSpec) -> None:
        """Add mapped properties below `parent` (at index creation, or dynamically)."""
        prefix = f"{parent.path}." if parent.path else ""
        for name, spec in properties.items():
            self.add(prefix + name, spec, parent)

    def add(self, path: str, spec: Mapping[str, Any], parent: ObjectSpec) -> None:
        """Add one mapped field (an object with its properties, or a leaf with sub-fields)."""
        kind = spec.get("type", "object" if "properties" in spec else None)
        if kind in _OBJECTS or kind is None:
            nested = path if kind == "nested" else parent.nested
            obj = ObjectSpec(
                path,
                spec.get("dynamic", parent.dynamic),
                spec.get("enabled", True) is not False,
                nested,
            )
            self.objects[path] = obj
            self.add_properties(spec.get("properties") or {}, obj)
            return
        formats = formats_of(spec.get("format")) if kind in ("date", "date_nanos") else ()
        params = {k: v for k, v in spec.items() if k not in ("type", "fields")}
        self.fields[path] = Field(path, str(kind), params, parent.nested, None, formats)
        for target in _as_list(spec.get("copy_to")):
            self.copy_targets.add(str(target))
        for sub, sub_spec in (spec.get("fields") or {}).items():
            sub_kind = str(sub_spec.get("type", "keyword"))
            sub_formats = (
                formats_of(sub_spec.get("format")) if sub_kind in ("date", "date_nanos") else ()
            )
            sub_params = {k: v for k, v in sub_spec.items() if k != "type"}
            derived = Field(f"{path}.{sub}", sub_kind, sub_params, parent.nested, path, sub_formats)
            self.fields[derived.path] = derived
            self.subs.setdefault(path, []).append(derived)

    def merge(self, other: Catalog) -> None:
        """Take in what `other` mapped (fields a document mapped dynamically)."""
        self.fields.update(other.fields)
        self.objects.update(other.objects)
        self.subs.update(other.subs)
        self.runtime.update(other.runtime)

    def object_at(self, path: str) -> ObjectSpec | None:
        """The object mapped at `path`, if one is."""
        return self.objects.get(path)

    def leaves_under(self, path: str) -> list[Field]:
        """Every field below the object at `path` (for `exists` on an object)."""
        prefix = f"{path}."
        return [f for name, f in self.fields.items() if name.startswith(prefix)]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]
