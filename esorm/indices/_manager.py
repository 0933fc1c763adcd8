"""Create, reconcile, refresh and delete the indices and templates of a registry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from elasticsearch import ApiError, AsyncElasticsearch, NotFoundError
from pydantic import BaseModel

from esorm.client import error_reason, error_type
from esorm.errors import IndexMappingConflictError, MappingError
from esorm.indices._backfill import backfill_defaults
from esorm.indices._diff import diff_mappings
from esorm.indices._errors import IndexDriftError, is_refusal, transport_boundary
from esorm.indices._layout import Layout, LayoutKind, concrete_name, layout_of
from esorm.indices._plan import IndexPlan, PlanStatus, plan_for
from esorm.indices._report import IndexReport, IndexStatus
from esorm.indices._templates import IndexTemplate, template_request
from esorm.mapping import EntityMapping, Registry

_ALREADY_EXISTS = "resource_already_exists_exception"


class IndexManager:
    """Brings the server's indices and templates in line with a registry.

    Each entity's index name is an alias; `create_all()` creates a versioned concrete
    index behind it (`posts__v1`) and names it the write index, in one request. Creation
    is idempotent: an existing index gets the fields it lacks through `put_mapping` (and
    their defaults filled into its documents), and a field whose type changed fails with
    `IndexMappingConflictError` before anything is sent for that index; `plan()` names
    every such change without changing anything.
    """

    def __init__(self, client: AsyncElasticsearch, registry: Registry) -> None:
        self._client = client
        self._registry = registry

    @property
    def registry(self) -> Registry:
        """The registry whose indices this manager handles."""
        return self._registry

    async def create_all(self, *, backfill: bool = True) -> list[IndexReport]:
        """Create or reconcile every registered index, in registration order.

        Args:
            backfill: fill the default of each field added in place into the documents
                that lack it, so queries on it agree with loaded entities.
        """
        return [await self._ensure(mapping, backfill) for mapping in self._registry]

    async def create(self, entity: type[BaseModel], *, backfill: bool = True) -> IndexReport:
        """Create or reconcile the index of one registered entity class."""
        return await self._ensure(self._registry.mapping_for(entity), backfill)

    async def plan(self) -> list[IndexPlan]:
        """How every registered entity's live index compares with it; changes nothing."""
        return [await self.plan_for(mapping.entity) for mapping in self._registry]

    async def plan_for(self, entity: type[BaseModel]) -> IndexPlan:
        """How one entity's live index compares with its registration; changes nothing."""
        mapping = self._registry.mapping_for(entity)
        with transport_boundary(self._client):
            layout = await layout_of(self._client, mapping.index)
            if layout.write_index is None:
                return plan_for(mapping, None, None, None)
            index = layout.write_index
            mappings = await self._client.indices.get_mapping(index=index)
            settings = await self._client.indices.get_settings(index=index)
        live = mappings.body[index].get("mappings") or {}
        return plan_for(mapping, index, live, settings.body[index].get("settings") or {})

    async def check(self) -> list[IndexPlan]:
        """Refuse to serve with a drifted mapping: `IndexDriftError` naming every problem of
        every index that needs creating, fields added, or a migration; else the plans."""
        plans = await self.plan()
        drifted = [plan for plan in plans if plan.status is not PlanStatus.UP_TO_DATE]
        if drifted:
            raise IndexDriftError(drifted)
        return plans

    async def layout(self, entity: type[BaseModel]) -> Layout:
        """What stands behind an entity's index name now: the alias and its indices."""
        with transport_boundary(self._client):
            return await layout_of(self._client, self._registry.mapping_for(entity).index)

    async def delete_all(self) -> list[str]:
        """Delete every registered index and the concrete indices behind its alias (missing
        ones are skipped); for tests and demos. Returns the concrete indices deleted."""
        names: list[str] = []
        with transport_boundary(self._client):
            for name in self._all_indices():
                names.extend((await layout_of(self._client, name)).indices)
            if names:
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

    async def _ensure(self, mapping: EntityMapping[Any], backfill: bool) -> IndexReport:
        with transport_boundary(self._client):
            layout = await layout_of(self._client, mapping.index)
            if layout.write_index is not None:
                return await self._reconcile(mapping, layout.write_index, backfill)
            if layout.kind is LayoutKind.ALIAS:
                raise MappingError(
                    f"{mapping.name}: alias {mapping.index!r} points at {list(layout.indices)} "
                    f"with no write index; name one with is_write_index, or migrate"
                )
            return await self._create(mapping, backfill)

    async def _create(self, mapping: EntityMapping[Any], backfill: bool) -> IndexReport:
        """A versioned index with the alias on it, in one request."""
        body = mapping.index_body()
        concrete = concrete_name(mapping.index, 1)
        try:
            await self._client.indices.create(
                index=concrete,
                mappings=body.get("mappings"),
                settings=body.get("settings"),
                aliases={mapping.index: {"is_write_index": True}},
            )
        except ApiError as exc:
            if error_type(exc) == _ALREADY_EXISTS:
                # another process created it just now
                return await self._reconcile(mapping, concrete, backfill)
            if not is_refusal(exc):
                raise
            raise MappingError(
                f"{mapping.name}: index {concrete!r} could not be created: {error_reason(exc)}"
            ) from exc
        return IndexReport(mapping.index, IndexStatus.CREATED, concrete=concrete)

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
        self, mapping: EntityMapping[Any], concrete: str, backfill: bool
    ) -> IndexReport:
        wanted = mapping.index_body()["mappings"]
        response = await self._client.indices.get_mapping(index=concrete)
        live = response.body[concrete].get("mappings") or {}
        diff = diff_mappings(live, wanted)
        if diff.conflicts:
            first = diff.conflicts[0]
            raise IndexMappingConflictError(
                mapping.index, first.path, first.old_type, first.new_type, diff.conflicts
            )
        added: dict[str, None] = {}
        if diff.additions:
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
        templates = await self._add_dynamic_templates(mapping, concrete, live, wanted)
        added.update(dict.fromkeys(f"dynamic template {name}" for name in templates))
        filled = 0
        if backfill and diff.added:
            fields = [path for path in diff.added if "." not in path]
            filled = await backfill_defaults(self._client, mapping, concrete, fields)
        if added:
            return IndexReport(
                mapping.index, IndexStatus.UPDATED, tuple(added), concrete=concrete, filled=filled
            )
        return IndexReport(mapping.index, IndexStatus.UNCHANGED, concrete=concrete)
