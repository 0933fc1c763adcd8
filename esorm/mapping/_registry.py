"""The registry: which entity classes are persisted, where, and how; the domain never sees it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from esorm._internal.types import stored_name
from esorm.domain import Aggregate
from esorm.errors import MappingError, NotRegisteredError
from esorm.mapping._computed import computed_plan
from esorm.mapping._contents import float_fields, model_fields_nested
from esorm.mapping._descriptions import collect_descriptions
from esorm.mapping._entity import (
    WRITES_FIELD,
    EntityHook,
    EntityMapping,
    IdFunction,
    RoutingFunction,
    Timestamps,
)
from esorm.mapping._fields import build_mapping
from esorm.mapping._mutability import mutable_fields
from esorm.mapping._names import check_index_name, default_index_name
from esorm.mapping._outbox import OUTBOX_FIELD
from esorm.mapping._relation_specs import (
    Relation,
    check_default_loads,
    check_relations,
    relation_fields,
)

E = TypeVar("E", bound=BaseModel)

_DEFAULT_ID = "id"

_RESERVED = {
    WRITES_FIELD: "esorm keeps the ids of each document's latest writes there",
    OUTBOX_FIELD: "esorm keeps the undelivered events of outbox entities there",
}


class Registry:
    """Maps entity classes to indices, ids, routing and field mappings.

    One registry per application (often a Singleton in the DI container). The prefix
    applies to every index name, so tests and tenants can share a cluster.
    """

    def __init__(self, *, prefix: str = "") -> None:
        self._prefix = prefix
        self._mappings: dict[type[BaseModel], EntityMapping[Any]] = {}
        self._event_sources: tuple[EntityMapping[Any], ...] | None = ()
        self._write_checks = False

    @property
    def prefix(self) -> str:
        """The prefix put before every index name."""
        return self._prefix

    def register(
        self,
        entity: type[E],
        *,
        index: str | None = None,
        id: str | IdFunction | None = _DEFAULT_ID,
        routing: RoutingFunction | None = None,
        routing_for_id: Callable[[str], str | None] | None = None,
        settings: Mapping[str, Any] | None = None,
        fields: Mapping[str, Mapping[str, Any]] | None = None,
        timestamps: bool | Timestamps = False,
        dynamic: str | bool | None = None,
        default_sort: Any = None,
        relations: Mapping[str, Relation[Any]] | None = None,
        load: Sequence[str] | None = None,
        relation_depth: int | None = None,
        outbox: bool = False,
        before_write: EntityHook | None = None,
        after_load: EntityHook | None = None,
    ) -> EntityMapping[E]:
        """Record how `entity` is stored; registering the same class again must agree.

        Args:
            index: index name without the prefix; defaults to the snake-cased class name.
            id: the id field's name, a function computing the id, or None for ids esorm
                generates and keeps outside the entity; the default "id" only if it exists.
            routing: computes the routing value of each document.
            routing_for_id: derives the routing from an id (`"eu:1234"`) for `get(id)`.
            settings: index settings (shards, replicas, analysis...).
            fields: per-field mapping overrides, by Python field name; replace the generated one.
            timestamps: True (fields `created_at`/`updated_at`) or a `Timestamps` naming them.
            dynamic: the mapping's `dynamic` setting ("strict" refuses unknown fields).
            default_sort: the sort of searches that name none: a `Sort`, a field name
                (`"-created_at"` descending), or a list of names or raw sort clauses.
            relations: how each relation field (`One`/`Many`) loads: `to_one`, `to_many` or
                `by_query`, to targets registered before (or `entity`; else see `relate`).
            load: relation paths (`"posts.author"`) loaded whenever a read names none.
            relation_depth: how many hops default loads follow (default 1).
            outbox: keep an `Aggregate`'s undelivered events in its document (`esorm.outbox`).
            before_write: called with each entity a commit writes (not deletes), timestamps
                set; raising refuses the whole commit before anything is sent.
            after_load: called with each entity built from a stored document.
        """
        _check_entity_class(entity, outbox)
        built = self._build(
            entity, index=index, id=id, routing=routing, settings=settings, fields=fields
        )
        mapping = dataclasses.replace(
            built,
            timestamps=_timestamps_of(entity, timestamps),
            dynamic=dynamic,
            default_sort=default_sort,
            routing_for_id=_routing_for_id(built, routing_for_id),
            records_events=issubclass(entity, Aggregate),
            outbox=outbox,
            before_write=before_write,
            after_load=after_load,
        )
        return self._record(mapping, relations, load, relation_depth)

    def _record(
        self,
        mapping: EntityMapping[E],
        relations: Mapping[str, Relation[Any]] | None,
        load: Sequence[str] | None,
        depth: int | None,
    ) -> EntityMapping[E]:
        """Keep a new registration (the first one, when it agrees with it)."""
        existing = self._mappings.get(mapping.entity)
        if existing is not None:
            _check_same(existing, mapping, relations, load, depth)
            return existing
        if relations or load is not None or depth is not None:
            mapping = self._with_relations(mapping, relations or {}, load, depth)
        self._put(mapping.entity, mapping)
        return mapping

    def relate(
        self,
        entity: type[E],
        relations: Mapping[str, Relation[Any]],
        *,
        load: Sequence[str] | None = None,
        relation_depth: int | None = None,
    ) -> EntityMapping[E]:
        """Add relations to a registered entity, e.g. once both sides of a pair are registered.

        Arguments as for `register`; `load` and `relation_depth` replace earlier values.
        """
        mapping = self._with_relations(self.mapping_for(entity), relations, load, relation_depth)
        self._put(entity, mapping)
        return mapping

    def mapping_for(self, entity: type[E]) -> EntityMapping[E]:
        """The mapping of a registered class; raises `NotRegisteredError` naming it otherwise."""
        try:
            return self._mappings[entity]
        except KeyError:
            raise NotRegisteredError(
                f"{getattr(entity, '__name__', entity)!r} is not registered; call "
                f"registry.register({getattr(entity, '__name__', 'Entity')}, ...) first"
            ) from None

    @property
    def event_sources(self) -> tuple[EntityMapping[Any], ...]:
        """The mappings of entity types that record domain events, in registration order."""
        sources = self._event_sources
        if sources is None:
            sources = self._event_sources = tuple(
                m for m in self._mappings.values() if m.records_events
            )
        return sources

    @property
    def write_checks(self) -> bool:
        """True when some registered type has a `before_write` hook."""
        return self._write_checks

    def __contains__(self, entity: object) -> bool:
        return entity in self._mappings

    def __iter__(self) -> Iterator[EntityMapping[Any]]:
        return iter(list(self._mappings.values()))

    def __len__(self) -> int:
        return len(self._mappings)

    def with_prefix(self, prefix: str) -> Registry:
        """A copy of this registry whose index names use another prefix (tests, tenants)."""
        copy = Registry(prefix=prefix)
        for entity, mapping in self._mappings.items():
            full = check_index_name(prefix + mapping.base_index, owner=entity.__name__)
            copy._put(entity, dataclasses.replace(mapping, index=full))
        return copy

    def _put(self, entity: type[BaseModel], mapping: EntityMapping[Any]) -> None:
        self._mappings[entity] = mapping
        self._event_sources = None  # worked out again when next asked for
        self._write_checks = any(m.before_write is not None for m in self._mappings.values())

    # -- building ---------------------------------------------------------------------------

    def _with_relations(
        self,
        mapping: EntityMapping[E],
        relations: Mapping[str, Relation[Any]],
        load: Sequence[str] | None,
        depth: int | None,
    ) -> EntityMapping[E]:
        entity = mapping.entity
        for name, spec in relations.items():
            known = mapping.relations.get(name)
            if known is not None and known != spec:
                raise MappingError(f"{entity.__name__}.{name} already has another relation")
        routed = {m.entity: m.routed for m in self._mappings.values()}
        routed[entity] = mapping.routed
        check_relations(entity, relations, routed)
        merged = {**mapping.relations, **relations}
        if isinstance(load, str):
            raise MappingError(f"{entity.__name__}: load takes a list of paths, got {load!r}")
        if depth is not None and (not isinstance(depth, int) or depth < 0):
            raise MappingError(f"{entity.__name__}: relation_depth must be >= 0, got {depth!r}")
        return dataclasses.replace(
            mapping,
            relations=merged,
            default_load=(
                mapping.default_load if load is None else check_default_loads(entity, merged, load)
            ),
            relation_depth=mapping.relation_depth if depth is None else depth,
        )

    def _build(
        self,
        entity: type[E],
        *,
        index: str | None,
        id: str | IdFunction | None,
        routing: RoutingFunction | None,
        settings: Mapping[str, Any] | None,
        fields: Mapping[str, Mapping[str, Any]] | None,
    ) -> EntityMapping[E]:
        name = entity.__name__
        base_index = index if index is not None else default_index_name(name)
        full_index = check_index_name(self._prefix + base_index, owner=name)
        model_fields = entity.model_fields

        id_field, id_function = _id_spec(entity, id)

        overrides = dict(fields or {})
        unknown = sorted(set(overrides) - set(model_fields))
        if unknown:
            raise MappingError(f"{name}: field overrides name unknown fields {unknown}")

        properties, templates = build_mapping(entity, overrides)
        stored_names = {
            field_name: stored_name(field_name, info) for field_name, info in model_fields.items()
        }
        _check_reserved(name, stored_names)
        return EntityMapping(
            entity=entity,
            index=full_index,
            base_index=base_index,
            id_field=id_field,
            id_function=id_function,
            routing_function=routing,
            settings=dict(settings or {}),
            field_overrides=overrides,
            timestamps=None,
            dynamic=None,
            properties=properties,
            dynamic_templates=tuple(templates),
            computed=computed_plan(entity),
            stored_names=stored_names,
            descriptions=collect_descriptions(entity),
            mutable=mutable_fields(entity),
            declared=frozenset(entity.model_fields),
            float_fields=float_fields(entity),
            model_fields=model_fields_nested(entity),
            relation_fields=relation_fields(entity) or None,
        )


def _check_reserved(name: str, stored_names: Mapping[str, str]) -> None:
    for field_name, stored in stored_names.items():
        if stored in _RESERVED:
            raise MappingError(
                f"{name}.{field_name}: {stored!r} is reserved: {_RESERVED[stored]}; "
                f"name the field otherwise"
            )


def _check_entity_class(entity: type[BaseModel], outbox: bool = False) -> None:
    if not (isinstance(entity, type) and issubclass(entity, BaseModel)):
        raise MappingError(f"{entity!r} is not a pydantic model class")
    if outbox and not issubclass(entity, Aggregate):
        raise MappingError(
            f"{entity.__name__}: outbox=True keeps the events an entity records, but "
            f"{entity.__name__} records none; derive it from esorm.domain.Aggregate"
        )
    if not entity.__pydantic_complete__:
        # e.g. `posts: Many["Post"]` declared before Post: resolve it now if Post exists
        entity.model_rebuild(raise_errors=False)


def _check_same(
    existing: EntityMapping[Any],
    mapping: EntityMapping[Any],
    relations: Mapping[str, Relation[Any]] | None,
    load: Sequence[str] | None,
    depth: int | None,
) -> None:
    """Refuse a second registration of an entity that disagrees with the first."""
    if (
        _registration_key(existing) != _registration_key(mapping)
        or (relations is not None and dict(relations) != dict(existing.relations))
        or (load is not None and tuple(load) != tuple(existing.default_load))
        or (depth is not None and depth != existing.relation_depth)
    ):
        raise MappingError(
            f"{existing.name} is already registered with different settings "
            f"(index {existing.base_index!r}); register each entity once"
        )


def _routing_for_id(
    mapping: EntityMapping[Any], routing_for_id: Callable[[str], str | None] | None
) -> Callable[[str], str | None] | None:
    if routing_for_id is not None and not mapping.routed:
        raise MappingError(
            f"{mapping.name}: routing_for_id= needs routing= too, so writes and reads "
            f"agree on the shard"
        )
    return routing_for_id


def _id_spec(entity: type[BaseModel], id: str | IdFunction | None) -> tuple[str | None, Any]:
    """(id field, id function) of a registration; the default "id" only if the class has it."""
    if callable(id):
        return None, id
    if id is None:
        return None, None
    if id in entity.model_fields:
        return id, None
    if id != _DEFAULT_ID:
        raise MappingError(f"{entity.__name__}: id field {id!r} is not a field of the entity")
    return None, None


def _timestamps_of(entity: type[BaseModel], value: bool | Timestamps) -> Timestamps | None:
    """The timestamps of a registration, checked against the entity's fields."""
    stamps = _timestamps(value)
    if stamps is not None:
        for field_name in (stamps.created, stamps.updated):
            if field_name not in entity.model_fields:
                raise MappingError(
                    f"{entity.__name__}: timestamps need a field {field_name!r} "
                    f"(datetime | None = None) on the entity"
                )
    return stamps


def _timestamps(value: bool | Timestamps) -> Timestamps | None:
    if isinstance(value, Timestamps):
        return value
    return Timestamps() if value else None


def _registration_key(mapping: EntityMapping[Any]) -> tuple[Any, ...]:
    return (
        mapping.base_index,
        mapping.id_field,
        mapping.id_function,
        mapping.routing_function,
        dict(mapping.settings),
        {k: dict(v) for k, v in mapping.field_overrides.items()},
        mapping.timestamps,
        mapping.dynamic,
        repr(mapping.default_sort),
        mapping.routing_for_id,
        mapping.outbox,
        mapping.before_write,
        mapping.after_load,
    )
