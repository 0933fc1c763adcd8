"""Pure comparison of a live index mapping with the one an entity now wants."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_CONTAINERS = frozenset({"object", "nested"})
# Parameters `put_mapping` may change on an existing field (or that the server fills in
# itself); every other parameter is fixed when the field is created.
_UPDATABLE = frozenset(
    {
        "type",
        "fields",
        "properties",
        "dynamic",
        "ignore_above",
        "ignore_malformed",
        "meta",
        "search_analyzer",
        "search_quote_analyzer",
        "copy_to",
        "eager_global_ordinals",
        "fielddata",
        "index_options",
    }
)
# The values a missing parameter stands for: the server may leave out a parameter set to it.
_DEFAULTS: dict[str, Any] = {
    "index": True,
    "doc_values": True,
    "store": False,
    "analyzer": "standard",
    "format": "strict_date_optional_time||epoch_millis",
    "element_type": "float",
    "similarity": "cosine",
    "enabled": True,
    "include_in_parent": False,
    "include_in_root": False,
}


@dataclass(frozen=True, slots=True)
class FieldConflict:
    """A field whose type cannot change in place: `path` is dotted, subfields included.

    A changed parameter that cannot change in place either (`dims`, `scaling_factor`,
    `analyzer`, `format`...) shows in both types: `dense_vector (dims: 3)`.
    """

    path: str
    old_type: str
    new_type: str


@dataclass(frozen=True, slots=True)
class MappingDiff:
    """What reconciling an existing mapping with a wanted one takes.

    Attributes:
        additions: the `properties` to send with `put_mapping`; empty when nothing is new.
            Containers and multi-field parents carry their existing definition, so the
            update only adds and never changes a parameter.
        added: dotted paths of the new fields and subfields, in mapping order; a new
            object is listed once, not with each of its properties.
        conflicts: fields whose type differs; Elasticsearch would refuse the update.
    """

    additions: dict[str, Any] = field(default_factory=dict)
    added: tuple[str, ...] = ()
    conflicts: tuple[FieldConflict, ...] = ()


def diff_mappings(existing: Mapping[str, Any], wanted: Mapping[str, Any]) -> MappingDiff:
    """Compare two `mappings` bodies (each with a `properties` key, or empty).

    Fields only in `existing` are kept as they are (Elasticsearch cannot drop them);
    fields only in `wanted` become additions; fields in both must have the same type and
    the same parameters that cannot be updated, recursively through object and nested
    properties and through multi-fields. `dynamic_templates` are not compared.
    """
    added: list[str] = []
    conflicts: list[FieldConflict] = []
    additions = _diff(
        existing.get("properties") or {}, wanted.get("properties") or {}, "", added, conflicts
    )
    return MappingDiff(additions, tuple(added), tuple(conflicts))


def field_type(definition: Mapping[str, Any]) -> str:
    """A field's type as Elasticsearch reports it: a definition without `type` is an object."""
    return str(definition.get("type", "object"))


def _diff(
    existing: Mapping[str, Any],
    wanted: Mapping[str, Any],
    prefix: str,
    added: list[str],
    conflicts: list[FieldConflict],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, want in wanted.items():
        path = prefix + name
        have = existing.get(name)
        if have is None:
            out[name] = _copy(want)
            added.append(path)
            continue
        old, new = field_type(have), field_type(want)
        if old != new:
            conflicts.append(FieldConflict(path, old, new))
            continue
        changed = _fixed_change(have, want)
        if changed is not None:
            key, was, wants = changed
            conflicts.append(
                FieldConflict(path, f"{old} ({key}: {was})", f"{new} ({key}: {wants})")
            )
            continue
        # containers merge their properties; leaves merge their multi-fields ("fields")
        key = "properties" if old in _CONTAINERS else "fields"
        inner = _diff(have.get(key) or {}, want.get(key) or {}, path + ".", added, conflicts)
        if inner:
            update = {k: _copy(v) for k, v in have.items() if k != key}
            # resend existing subfields too, so no server version can read the update as a drop
            update[key] = inner if key == "properties" else {**_copy(have.get(key) or {}), **inner}
            out[name] = update
    return out


def _fixed_change(have: Mapping[str, Any], want: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """The first parameter that differs and cannot be updated: (name, old, new), or None."""
    for key in dict.fromkeys([*want, *have]):
        if key in _UPDATABLE:
            continue
        if _value(have, key) != _value(want, key):
            return key, _shown(have, key), _shown(want, key)
    return None


def _value(mapping: Mapping[str, Any], key: str) -> Any:
    value = mapping.get(key)
    if isinstance(value, str) and value in ("true", "false"):
        value = value == "true"  # some servers answer booleans as strings
    return None if value == _DEFAULTS.get(key) else value


def _shown(mapping: Mapping[str, Any], key: str) -> str:
    return str(mapping[key]) if key in mapping else "default"


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_copy(v) for v in value]
    return value
