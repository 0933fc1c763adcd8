"""Dict fields -> root `dynamic_templates`, so their values get the mapping of their type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

VALUES = "__esorm_values__"
"""Key under which a dict field's mapping carries its values' mapping until `split_templates`."""


def split_templates(
    properties: Mapping[str, Any],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Properties without the values' mappings of dict fields, and one template per value leaf.

    A `dict[str, V]` stored at `labels` gets `{"labels.*": {"path_match": "labels.*",
    "mapping": <V's mapping>}}`: Elasticsearch then maps each new key as V, instead of
    guessing from the first value (analyzed text for strings, dates from date-like text).
    A model V gets one template per field (`labels.*.street`); a nested V is mapped as
    an object.
    """
    templates: list[dict[str, Any]] = []
    return _strip(properties, "", templates), templates


def _strip(
    props: Mapping[str, Any], prefix: str, templates: list[dict[str, Any]]
) -> dict[str, Any]:
    return {name: _strip_field(m, prefix + name, templates) for name, m in props.items()}


def _strip_field(
    mapping: Mapping[str, Any], path: str, templates: list[dict[str, Any]]
) -> dict[str, Any]:
    out = {k: v for k, v in mapping.items() if k != VALUES}
    if VALUES in mapping:
        _templates_for(mapping[VALUES], f"{path}.*", templates)
    inner = out.get("properties")
    if isinstance(inner, Mapping):
        out["properties"] = _strip(inner, f"{path}.", templates)
    return out


def _templates_for(
    values: Mapping[str, Any], pattern: str, templates: list[dict[str, Any]]
) -> None:
    if VALUES in values:  # a dict of dicts
        _templates_for(values[VALUES], f"{pattern}.*", templates)
        return
    inner = values.get("properties")
    if isinstance(inner, Mapping):  # a model: one template per field
        for name, sub in inner.items():
            _templates_for(sub, f"{pattern}.{name}", templates)
        return
    templates.append({pattern: {"path_match": pattern, "mapping": dict(values)}})
