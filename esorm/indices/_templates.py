"""Composable index templates as frozen values, and the request body each one becomes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from esorm.errors import ConfigurationError
from esorm.mapping import Registry


@dataclass(frozen=True)
class IndexTemplate:
    """A composable index template: settings and mappings new matching indices start with.

    `name` and `patterns` are written without the registry prefix; the `IndexManager`
    puts the prefix before both, as it does for entity index names.

    Attributes:
        name: template name.
        patterns: index name patterns (`"logs-*"`) the template applies to.
        shards: `number_of_shards` of matching indices.
        replicas: `number_of_replicas` of matching indices.
        settings: further index settings; `shards`/`replicas` win over the same keys here.
        mappings: a `mappings` body; merged over the entity's mapping when both are given.
        priority: decides between templates whose patterns overlap (highest wins).
        entity: a registered entity class whose generated mapping and settings the
            template takes.
    """

    name: str
    patterns: Sequence[str]
    shards: int | None = None
    replicas: int | None = None
    settings: Mapping[str, Any] | None = None
    mappings: Mapping[str, Any] | None = None
    priority: int | None = None
    entity: type[BaseModel] | None = None

    def __post_init__(self) -> None:
        patterns = (self.patterns,) if isinstance(self.patterns, str) else tuple(self.patterns)
        if not self.name or not patterns:
            raise ConfigurationError(
                f"index template {self.name!r} needs a name and at least one index pattern"
            )
        object.__setattr__(self, "patterns", patterns)


def template_request(template: IndexTemplate, registry: Registry) -> dict[str, Any]:
    """Keyword arguments for `indices.put_index_template`, prefix applied."""
    prefix = registry.prefix
    settings: dict[str, Any] = {}
    mappings: dict[str, Any] = {}
    if template.entity is not None:
        body = registry.mapping_for(template.entity).index_body()
        settings.update(body.get("settings") or {})
        mappings.update(body.get("mappings") or {})
    if template.mappings:
        given = dict(template.mappings)
        properties = {**mappings.get("properties", {}), **given.pop("properties", {})}
        mappings.update(given)
        if properties:
            mappings["properties"] = properties
    settings.update(template.settings or {})
    if template.shards is not None:
        settings["number_of_shards"] = template.shards
    if template.replicas is not None:
        settings["number_of_replicas"] = template.replicas

    body_template: dict[str, Any] = {}
    if settings:
        body_template["settings"] = settings
    if mappings:
        body_template["mappings"] = mappings
    request: dict[str, Any] = {
        "name": prefix + template.name,
        "index_patterns": [prefix + p for p in template.patterns],
        "template": body_template,
    }
    if template.priority is not None:
        request["priority"] = template.priority
    return request
