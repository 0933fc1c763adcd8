"""Create, reconcile, refresh and delete the indices and templates of a registry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from elasticsearch import ApiError, AsyncElasticsearch, NotFoundError
from pydantic import BaseModel

from esorm.client import error_reason, error_type
from esorm.errors import IndexMappingConflictError, MappingError
from esorm.indices._diff import MappingDiff, diff_mappings
from esorm.indices._errors import is_refusal, transport_boundary
from esorm.indices._report import IndexReport, IndexStatus
from esorm.indices._templates import IndexTemplate, template_request
from esorm.mapping import EntityMapping, Registry

_ALREADY_EXISTS = "resource_already_exists_exception"


class IndexManager:
    """Brings the server's indices and templates in line with a registry.

    Creation is idempotent: an existing index gets the fields it lacks through
    `put_mapping`, and a field whose type changed fails with
    `IndexMappingConflictError` before anything is sent for that index.
    """

    def __init__(self, client: AsyncElasticsearch, registry: Registry) -> None:
        self._client = client
        self._registry = registry

    @property
    def registry(self) -> Registry:
        """The registry whose indices this manager handles."""
        return self._registry

    async def create_all(self) -> list[IndexReport]:
        """Create or reconcile every registered index, in registration order."""
        return [await self._ensure(mapping) for mapping in self._registry]

    async def create(self, entity: type[BaseModel]) -> IndexReport:
        """Create or reconcile the index of one registered entity class."""
        return await self._ensure(self._registry.mapping_for(entity))

    async def delete_all(self) -> list[str]:
        """Delete every registered index (missing ones are skipped); for tests and demos."""
        names = self._all_indices()
        if names:
            with transport_boundary(self._client):
                await self._client.indices.delete(index=names, ignore_unavailable=True)
        return names

    async def refresh(self, entity: type[BaseModel] | None = None) -> None:
        """Make recent writes searchable: one entity's index, or every registered one."""
        if entity is not None:
            names = [self._registry.mapping_for(entity).index]
        else:
            names = self._all_indices()
        if names:
            with transport_boundary(self._client):
                await self._client.indices.refresh(index=names, ignore_unavailable=True)

    async def put_template(self, template: IndexTemplate) -> str:
        """Create or replace a composable index template; returns its prefixed name."""
        request = template_request(template, self._registry)
        with transport_boundary(self._client):
            try:
                await self._client.indices.put_index_template(**request)
            except ApiError as exc:
                if not is_refusal(exc):
                    raise
                raise MappingError(
                    f"index template {request['name']!r} was refused: {error_reason(exc)}"
                ) from exc
        return str(request["name"])

    async def delete_template(self, name: str) -> bool:
        """Delete a composable index template by its unprefixed name; False if it was missing."""
        full = self._registry.prefix + name
        with transport_boundary(self._client):
            try:
                await self._client.indices.delete_index_template(name=full)
            except NotFoundError:
                return False
        return True

    # -- internals --------------------------------------------------------------------------

    def _all_indices(self) -> list[str]:
        return list(dict.fromkeys(mapping.index for mapping in self._registry))

    async def _ensure(self, mapping: EntityMapping[Any]) -> IndexReport:
        body = mapping.index_body()
        with transport_boundary(self._client):
            try:
                await self._client.indices.create(
                    index=mapping.index,
                    mappings=body.get("mappings"),
                    settings=body.get("settings"),
                )
            except ApiError as exc:
                if error_type(exc) != _ALREADY_EXISTS:
                    if not is_refusal(exc):
                        raise
                    raise MappingError(
                        f"{mapping.name}: index {mapping.index!r} could not be created: "
                        f"{error_reason(exc)}"
                    ) from exc
                # it exists already, or another process created it just now
                return await self._reconcile(mapping, body.get("mappings") or {})
        return IndexReport(mapping.index, IndexStatus.CREATED)

    async def _add_dynamic_templates(
        self,
        mapping: EntityMapping[Any],
        concrete: str,
        existing: Mapping[str, Any],
        wanted: Mapping[str, Any],
    ) -> list[str]:
        """Send the dynamic templates (dict fields' value mappings) the index lacks."""
        have = list(existing.get("dynamic_templates") or [])
        names = {name for template in have for name in template}
        missing = [t for t in wanted.get("dynamic_templates") or [] if not set(t) & names]
        if not missing:
            return []
        try:
            await self._client.indices.put_mapping(
                index=concrete, dynamic_templates=[*have, *missing]
            )
        except ApiError as exc:
            if not is_refusal(exc):
                raise
            raise MappingError(
                f"{mapping.name}: dynamic templates could not be added to index {concrete!r}: "
                f"{error_reason(exc)}"
            ) from exc
        return [name for template in missing for name in template]

    async def _reconcile(
        self, mapping: EntityMapping[Any], wanted: Mapping[str, Any]
    ) -> IndexReport:
        response = await self._client.indices.get_mapping(index=mapping.index)
        # keyed by concrete index: more than one when the name is an alias
        diffs: dict[str, MappingDiff] = {
            concrete: diff_mappings(info.get("mappings") or {}, wanted)
            for concrete, info in response.body.items()
        }
        for diff in diffs.values():
            if diff.conflicts:
                first = diff.conflicts[0]
                raise IndexMappingConflictError(
                    mapping.index, first.path, first.old_type, first.new_type
                )
        added: dict[str, None] = {}
        for concrete, diff in diffs.items():
            if not diff.additions:
                continue
            try:
                await self._client.indices.put_mapping(index=concrete, properties=diff.additions)
            except ApiError as exc:
                if not is_refusal(exc):
                    raise
                raise MappingError(
                    f"{mapping.name}: new fields {list(diff.added)} could not be added to "
                    f"index {concrete!r}: {error_reason(exc)}"
                ) from exc
            added.update(dict.fromkeys(diff.added))
        for concrete, info in response.body.items():
            templates = await self._add_dynamic_templates(
                mapping, concrete, info.get("mappings") or {}, wanted
            )
            added.update(dict.fromkeys(f"dynamic template {name}" for name in templates))
        if added:
            return IndexReport(mapping.index, IndexStatus.UPDATED, tuple(added))
        return IndexReport(mapping.index, IndexStatus.UNCHANGED)
