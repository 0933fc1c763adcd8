"""What the registry knows about one entity class: index, id, routing, mapping, serialization."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import SchemaSerializer

from esorm._internal.index_settings import int_setting
from esorm.domain import new_id
from esorm.errors import InvalidEntityError
from esorm.mapping._annotations import type_name
from esorm.mapping._computed import drop_computed
from esorm.mapping._outbox import OUTBOX_FIELD, OUTBOX_MAPPING
from esorm.mapping._relation_specs import Relation
from esorm.mapping._serializer import storage_serializer

E = TypeVar("E", bound=BaseModel)

IdFunction = Callable[[Any], "str | None"]
RoutingFunction = Callable[[Any], "str | None"]
EntityHook = Callable[[Any], None]
"""A per-type lifecycle hook: called with the entity (`before_write`, `after_load`)."""

MAX_ID_BYTES = 512

WRITES_FIELD = "esorm_writes"
"""Where every document esorm writes keeps the ids of its latest writes (newest first), so
a commit whose answer was lost can tell its own write from another writer's."""

RECENT_WRITES = 4
"""How many write ids a document keeps: how many later writes by others a commit whose
answer was lost can still see its own write behind."""

WRITES_MAPPING: Mapping[str, Any] = {"type": "keyword", "index": False, "doc_values": False}
"""Stored in `_source` only: never searched, never aggregated, no disk beyond the source."""


@dataclass(frozen=True, slots=True)
class Timestamps:
    """Names of the fields the unit of work stamps: `created` once, `updated` on every write."""

    created: str = "created_at"
    updated: str = "updated_at"


@dataclass(frozen=True, eq=False)
class EntityMapping(Generic[E]):
    """The persistence facts of one entity class, kept beside it rather than on it.

    Attributes:
        entity: the plain pydantic class.
        index: the full index name (registry prefix included) reads and writes go to.
        id_field: the field holding the document id, or None when ids live only in esorm.
        id_function: computes the id from the entity; wins over `id_field` when both are set.
        routing_function: computes the shard routing value from the entity (None: the
            documents use default routing); `routing_of` applies it.
        properties: the generated Elasticsearch field mapping.
        relation_fields: the relation fields (`One`/`Many` values), left out of `_source`
            and of change tracking; None when the entity has none.
        relations: how each relation field loads, by field name.
        default_load: relation paths loaded when a read names none.
        relation_depth: how many relation hops default loads follow from a result.
        dynamic_templates: the mapping's root `dynamic_templates` (values of dict fields).
        computed: where stored documents hold computed fields that reading must drop
            (models refusing or keeping extras); empty when there is nothing to drop.
        records_events: the entity is an `Aggregate`, which records domain events.
        outbox: its documents keep their undelivered events (`OUTBOX_FIELD`).
        before_write: called with each entity a commit is about to write (not deletes);
            raising refuses the whole commit before anything is sent.
        after_load: called with each entity built from a stored document.
    """

    entity: type[E]
    index: str
    base_index: str
    id_field: str | None
    id_function: IdFunction | None
    routing_function: RoutingFunction | None
    settings: Mapping[str, Any]
    field_overrides: Mapping[str, Mapping[str, Any]]
    timestamps: Timestamps | None
    dynamic: str | bool | None
    properties: Mapping[str, Any]
    stored_names: Mapping[str, str] = field(repr=False)
    relation_fields: set[str] | None = field(default=None, repr=False)
    default_sort: Any = None
    descriptions: Mapping[str, str] = field(default_factory=dict, repr=False)
    routing_for_id: Callable[[str], str | None] | None = field(default=None, repr=False)
    """Derives a document's routing from its id, for reads by id without `routing=`."""
    mutable: frozenset[str] = field(default=frozenset(), repr=False)
    """Fields whose declared type admits values that change in place (copied in snapshots)."""
    float_fields: frozenset[str] = field(default=frozenset(), repr=False)
    """Fields whose declared type can hold a float at any depth (checked for NaN on writes)."""
    declared: frozenset[str] = field(default=frozenset(), repr=False)
    """The entity's declared field names (its class's `model_fields`), read on every add and
    every changed write: a class attribute lookup through pydantic costs more."""
    model_fields: frozenset[str] = field(default=frozenset(), repr=False)
    """Fields whose declared type can hold a pydantic model at any depth (dumped before an
    entity is validated again, since pydantic takes model instances as they are)."""
    relations: Mapping[str, Relation[Any]] = field(default_factory=dict, repr=False)
    default_load: tuple[str, ...] = ()
    relation_depth: int = 1
    dynamic_templates: tuple[Mapping[str, Any], ...] = field(default=(), repr=False)
    computed: Mapping[str, Any] = field(default_factory=dict, repr=False)
    records_events: bool = False
    outbox: bool = False
    before_write: EntityHook | None = field(default=None, repr=False)
    after_load: EntityHook | None = field(default=None, repr=False)

    @property
    def max_result_window(self) -> int:
        """How deep `from + size` paging may go (the index setting, default 10,000)."""
        return int_setting(self.settings, "max_result_window", 10_000)

    @property
    def name(self) -> str:
        """The entity's class name, for messages."""
        return self.entity.__name__

    # -- identity ---------------------------------------------------------------------------

    def id_of(self, entity: E) -> str | None:
        """The document id this entity carries, or None when it has none yet.

        Raises:
            InvalidEntityError: it carries an id no document can have.
        """
        value = self.carried_id(entity)
        return None if value is None else check_document_id(value, self.name)

    def carried_id(self, entity: E) -> str | None:
        """The id value the entity carries, unchecked (to compare with a tracked id)."""
        if self.id_function is not None:
            value: Any = self.id_function(entity)
        elif self.id_field is not None:
            value = getattr(entity, self.id_field)
        else:
            return None
        return None if value is None else str(value)

    def assign_new_id(self, entity: E) -> str:
        """Give an entity without an id a fresh time-ordered one, on its id field if it has one.

        The id field gets a value of its own type (`UUID` for `UUID7 | None`); a field that
        cannot hold a generated id (an `int`) raises `InvalidEntityError`.
        """
        doc_id = new_id()
        if self.id_field is not None and self.id_function is None:
            value = self._id_value(doc_id)
            object.__setattr__(entity, self.id_field, value)
            # pydantic tracks explicitly set fields; keep the id in dumps that exclude unset ones
            entity.__pydantic_fields_set__.add(self.id_field)
            doc_id = check_document_id(str(value), self.name)
        return doc_id

    def _id_value(self, doc_id: str) -> Any:
        # a UUIDv7 first; a field asking for another UUID version gets a random UUIDv4
        assert self.id_field is not None
        problem = ""
        for candidate in (doc_id, str(uuid.uuid4())):
            try:
                return self._id_adapter.validate_python(candidate, strict=False)
            except ValidationError as exc:
                problem = exc.errors(include_url=False)[0]["msg"]
        info = self.entity.model_fields[self.id_field]
        raise InvalidEntityError(
            f"{self.name}.{self.id_field}: no id was given, and a generated id (a UUID) is not "
            f"a valid {type_name(info.annotation)} ({problem}); give every {self.name} its id, "
            f"or type the field `str | None` or `UUID | None`"
        )

    @cached_property
    def source_serializer(self) -> SchemaSerializer:
        """What writes serialize the entity with: its own serializer, without the relation
        fields' check for being loaded (they are never stored)."""
        return storage_serializer(self.entity)

    @cached_property
    def _id_adapter(self) -> TypeAdapter[Any]:
        assert self.id_field is not None
        info = self.entity.model_fields[self.id_field]
        annotation: Any = info.annotation
        if info.metadata:
            annotation = Annotated[(annotation, *info.metadata)]  # constraints from Field(...)
        return TypeAdapter(annotation)

    @property
    def routed(self) -> bool:
        """True when documents carry a custom routing value (then every read needs one)."""
        return self.routing_function is not None

    def routing_of(self, entity: E) -> str | None:
        """The routing value for this entity's document, or None for default routing."""
        if self.routing_function is None:
            return None
        value = self.routing_function(entity)
        return None if value is None else str(value)

    # -- serialization ----------------------------------------------------------------------

    def to_source(self, entity: E) -> dict[str, Any]:
        """The `_source` document for an entity: JSON-mode dump under stored (alias) names."""
        return entity.model_dump(
            mode="json", by_alias=True, exclude=self.relation_fields, warnings=False
        )

    @property
    def fills_id(self) -> bool:
        """True when the id field is filled from `_id` for sources that lack it."""
        return self.id_field is not None and self.id_function is None

    def from_source(self, source: Mapping[str, Any], doc_id: str | None = None) -> E:
        """Build an entity from a `_source`, filling the id field from `_id` when it is absent.

        Validated in lax mode, so strict models read the JSON values they wrote (an ISO
        string for a datetime); computed fields are dropped first where extras are refused.
        """
        if self.computed:
            source = self.drop_computed(source)
        if doc_id is not None and self.id_field is not None and self.fills_id:
            stored = self.stored_names[self.id_field]
            if stored not in source:
                source = {**source, stored: doc_id}
        return self.entity.model_validate(source, strict=False)

    def drop_computed(self, source: Mapping[str, Any]) -> dict[str, Any]:
        """`source` without the computed fields that validating it would refuse (`computed`)."""
        return drop_computed(source, self.computed)

    def index_body(self) -> dict[str, Any]:
        """Settings and mappings for creating this entity's index."""
        properties = {**self.properties, WRITES_FIELD: dict(WRITES_MAPPING)}
        if self.outbox:
            properties[OUTBOX_FIELD] = copy.deepcopy(dict(OUTBOX_MAPPING))
        mappings: dict[str, Any] = {"properties": properties}
        if self.dynamic is not None:
            mappings["dynamic"] = self.dynamic
        if self.dynamic_templates:
            mappings["dynamic_templates"] = [dict(t) for t in self.dynamic_templates]
        if self.routed:
            # the server then refuses unrouted writes and reads instead of missing the shard
            mappings["_routing"] = {"required": True}
        if self.descriptions:
            # field `meta` holds at most 50 characters; the full texts live in `_meta`
            mappings["_meta"] = {"descriptions": dict(self.descriptions)}
        body: dict[str, Any] = {"mappings": mappings}
        if self.settings:
            body["settings"] = dict(self.settings)
        return body


def check_document_id(doc_id: str, owner: str) -> str:
    """Refuse ids that cannot round-trip through Elasticsearch, before anything is sent.

    Empty ids are refused by the server; `.` and `..` become URL dot-segments, so a
    document stored under them could never be read by id; a lone surrogate cannot be
    encoded as UTF-8; Elasticsearch allows at most 512 bytes.
    """
    problem = id_problem(doc_id)
    if problem is not None:
        raise InvalidEntityError(f"{owner}: {problem}")
    return doc_id


def id_problem(doc_id: str) -> str | None:
    """Why `doc_id` cannot be a document id, or None when it can."""
    if doc_id == "":
        return "a document id cannot be empty (leave the id field None to have one generated)"
    if doc_id in (".", ".."):
        return f"{doc_id!r} cannot be a document id: URLs treat it as a path segment"
    try:
        size = len(doc_id.encode())
    except UnicodeEncodeError:
        return f"document id {doc_id!r} is not valid text (a lone surrogate has no UTF-8 form)"
    if size > MAX_ID_BYTES:
        return (
            f"document id is {size} bytes long; Elasticsearch allows at most "
            f"{MAX_ID_BYTES} bytes (id starts with {doc_id[:40]!r})"
        )
    return None
