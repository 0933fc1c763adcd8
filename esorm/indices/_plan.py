"""A plan before any change: how each registered entity's live index compares with it.

Pure: built from the live mapping and settings the manager read. Names every field that
cannot change in place (old and new type), every setting that differs (shards, routing
requirement, analysis), the fields that can be added, which of those get a default
filled into existing documents, and which new required fields old documents lack.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from esorm.indices._diff import FieldConflict, diff_mappings
from esorm.mapping import EntityMapping


class PlanStatus(enum.StrEnum):
    """What an entity's index needs."""

    MISSING = "missing"
    UP_TO_DATE = "up to date"
    ADD_IN_PLACE = "fields to add in place"
    NEEDS_MIGRATION = "needs a new index"


@dataclass(frozen=True, slots=True)
class SettingChange:
    """An index setting the entity wants otherwise than the live index has it."""

    name: str
    live: str
    wanted: str

    def __str__(self) -> str:
        return f"{self.name}: {self.live} -> {self.wanted}"


@dataclass(frozen=True, slots=True)
class IndexPlan:
    """How one entity's live index compares with its registration.

    Attributes:
        entity: the entity class name.
        name: the registry's index name (an alias).
        index: the concrete index writes go to now (None when missing).
        additions: dotted paths of fields `create_all()` can add in place.
        backfill: added top-level fields with a default, filled into existing documents.
        required_missing: added required fields without a default: documents written
            before lack them and would not load; give them a default, or migrate with a
            transform that fills them.
        conflicts: every field whose type or fixed parameters changed.
        settings: every fixed index setting that changed.
    """

    entity: str
    name: str
    status: PlanStatus
    index: str | None = None
    additions: tuple[str, ...] = ()
    backfill: tuple[str, ...] = ()
    required_missing: tuple[str, ...] = ()
    conflicts: tuple[FieldConflict, ...] = ()
    settings: tuple[SettingChange, ...] = ()

    @property
    def problems(self) -> list[str]:
        """Each reason the live index cannot serve the entity as it is, as text."""
        found = [f"field {c.path!r}: {c.old_type} -> {c.new_type}" for c in self.conflicts]
        found += [f"setting {change}" for change in self.settings]
        found += [
            f"field {name!r} is new, required, and has no default" for name in self.required_missing
        ]
        return found

    def __str__(self) -> str:
        where = f" ({self.index})" if self.index else ""
        lines = [f"{self.entity} -> {self.name}{where}: {self.status}"]
        lines += [f"  + {path}" for path in self.additions]
        lines += [f"  ~ backfill {name}" for name in self.backfill]
        lines += [f"  ! {problem}" for problem in self.problems]
        return "\n".join(lines)


def plan_for(
    mapping: EntityMapping[Any],
    index: str | None,
    live_mappings: Mapping[str, Any] | None,
    live_settings: Mapping[str, Any] | None,
) -> IndexPlan:
    """The plan for one entity, from its live index's mapping and settings (None: missing)."""
    name = mapping.name
    if index is None or live_mappings is None:
        return IndexPlan(name, mapping.index, PlanStatus.MISSING)
    wanted = mapping.index_body()
    diff = diff_mappings(live_mappings, wanted["mappings"])
    top_level = [path for path in diff.added if "." not in path]
    backfill, required = _new_fields(mapping, top_level)
    settings = _setting_changes(wanted, live_mappings, live_settings or {})
    if diff.conflicts or settings or required:
        status = PlanStatus.NEEDS_MIGRATION
    elif diff.added or _missing_templates(live_mappings, wanted["mappings"]):
        status = PlanStatus.ADD_IN_PLACE
    else:
        status = PlanStatus.UP_TO_DATE
    return IndexPlan(
        name,
        mapping.index,
        status,
        index,
        diff.added,
        tuple(backfill),
        tuple(required),
        diff.conflicts,
        tuple(settings),
    )


def _new_fields(mapping: EntityMapping[Any], stored: list[str]) -> tuple[list[str], list[str]]:
    """Of the added top-level stored names: those with a default to fill, and those that
    are required without one."""
    by_stored = {stored_name: field for field, stored_name in mapping.stored_names.items()}
    backfill: list[str] = []
    required: list[str] = []
    for name in stored:
        field = by_stored.get(name)
        if field is None:
            continue
        info = mapping.entity.model_fields[field]
        if info.is_required():
            required.append(name)
        elif info.default_factory is not None or info.default is not None:
            backfill.append(name)  # a None default needs nothing: a missing field reads as None
    return backfill, required


def _setting_changes(
    wanted: Mapping[str, Any], live_mappings: Mapping[str, Any], live: Mapping[str, Any]
) -> list[SettingChange]:
    changes: list[SettingChange] = []
    want_settings = _flat(wanted.get("settings") or {})
    have_settings = _flat(live)
    for key in ("number_of_shards", "analysis"):
        want, have = want_settings.get(key), have_settings.get(key)
        if want is not None and str(want) != str(have):
            changes.append(SettingChange(key, str(have), str(want)))
    want_routing = _truthy((wanted["mappings"].get("_routing") or {}).get("required"))
    have_routing = _truthy((live_mappings.get("_routing") or {}).get("required"))
    if want_routing != have_routing:
        changes.append(SettingChange("routing required", str(have_routing), str(want_routing)))
    return changes


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"  # servers answer "true" as text too


def _flat(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Index settings keyed without the `index.` prefix, nested or dotted alike."""
    flat: dict[str, Any] = {}
    for key, value in settings.items():
        if key == "index" and isinstance(value, Mapping):
            flat.update(_flat(value))
        else:
            flat[key.removeprefix("index.")] = value
    return flat


def _missing_templates(live: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    have = {name for template in live.get("dynamic_templates") or [] for name in template}
    return any(not set(template) & have for template in wanted.get("dynamic_templates") or [])
