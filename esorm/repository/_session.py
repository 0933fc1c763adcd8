"""What repositories of one unit of work share: client, registry, identity map and a usage guard."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel, ValidationError

from esorm.errors import InvalidEntityError, UnitOfWorkStateError
from esorm.mapping import EntityMapping, Registry
from esorm.repository._identity import Entry, IdentityMap, SourceFilter, State, take_snapshot

E = TypeVar("E", bound=BaseModel)
P = ParamSpec("P")

_INSIDE: ContextVar[Session | None] = ContextVar("esorm_operation", default=None)
"""The session whose operation the current context runs in (inherited by child tasks)."""
R = TypeVar("R")


class Session:
    """The shared state behind repositories; owned and flushed by a unit of work.

    `guard` (the unit of work's state check) runs before every operation; operations
    also refuse to overlap with one running in another task (`asyncio.gather` over one
    unit), while handing the unit from task to task (a fixture, `asyncio.wait_for`)
    works. `relation_concurrency` caps the requests relation loading keeps in flight.
    """

    def __init__(
        self,
        client: AsyncElasticsearch,
        registry: Registry,
        guard: Callable[[], None] = lambda: None,
        *,
        relation_concurrency: int = 16,
    ) -> None:
        if relation_concurrency < 1:
            raise ValueError("relation_concurrency must be at least 1")
        self.client = client
        self.lenient = client.options(ignore_status=404)
        self.registry = registry
        self.identity = IdentityMap()
        self._guard = guard
        self._busy: asyncio.Task[Any] | None = None
        self._depth = 0
        self.relation_concurrency = relation_concurrency

    # -- use from one task at a time ----------------------------------------------------------

    def guard(self) -> None:
        """Refuse use outside the unit's block, or while another task runs an operation.

        Tasks an operation starts itself (relations loading concurrently) inherit its
        context and pass.
        """
        self._guard()
        busy = self._busy
        if busy is not None and busy is not asyncio.current_task() and _INSIDE.get() is not self:
            raise UnitOfWorkStateError(
                f"this unit of work is in use by task {busy.get_name()!r} at the same time; "
                f"a unit of work serves one task at a time: create one per task"
            )

    @contextmanager
    def operation(self) -> Iterator[None]:
        """Mark an async operation in progress (re-entrant within its task)."""
        self.guard()
        if self._busy is None:
            self._busy = asyncio.current_task()
        self._depth += 1
        token = _INSIDE.set(self)
        try:
            yield
        finally:
            _INSIDE.reset(token)
            self._depth -= 1
            if not self._depth:
                self._busy = None

    # -- loading ----------------------------------------------------------------------------

    def hydrate(
        self,
        mapping: EntityMapping[E],
        hit: Mapping[str, Any],
        *,
        routing: str | None = None,
        source_filter: SourceFilter | None = None,
        track: bool = True,
    ) -> E:
        """The tracked entity for one hit (also a removed one); see `hydrate_all`."""
        return self.hydrate_all(
            mapping,
            (hit,),
            routing=routing,
            source_filter=source_filter,
            track=track,
            skip_removed=False,
        )[0]

    def complete(self, entry: Entry, hit: Mapping[str, Any]) -> None:
        """Fill a partially loaded, unchanged entity in place from a full hit.

        Raises:
            InvalidEntityError: it was changed; its omitted fields hold defaults, so
                completing it could lose either the change or the stored values.
        """
        mapping = entry.mapping
        if entry.is_dirty:
            raise InvalidEntityError(
                f"{mapping.name} {entry.id!r} was loaded with part of its fields and then "
                f"changed; commit or roll back before reading it in full"
            )
        full = mapping.from_source(hit.get("_source") or {}, entry.id)
        entity = entry.entity
        relations = {name: entity.__dict__[name] for name in mapping.exclude or ()}
        # cached properties computed from the partial values are stale now
        for name in [key for key in entity.__dict__ if key not in type(entity).model_fields]:
            del entity.__dict__[name]
        entity.__dict__.update(full.__dict__)
        entity.__dict__.update(relations)
        entity.__pydantic_fields_set__.update(full.__pydantic_fields_set__)
        if full.__pydantic_extra__ is not None:
            object.__setattr__(entity, "__pydantic_extra__", full.__pydantic_extra__)
        entry.seq_no, entry.primary_term = hit.get("_seq_no"), hit.get("_primary_term")
        entry.source_filter = None
        entry.snapshot = take_snapshot(entity, mapping.exclude)

    def hydrate_all(
        self,
        mapping: EntityMapping[E],
        hits: Iterable[Mapping[str, Any]],
        *,
        routing: str | None = None,
        source_filter: SourceFilter | None = None,
        track: bool = True,
        skip_removed: bool = True,
    ) -> list[E]:
        """The tracked entity for each hit: the instance already tracked, or a new clean one.

        A tracked instance is returned untouched, so unflushed changes are never overwritten;
        a removed one is left out (with `skip_removed`). A partially loaded tracked instance
        met by a full read is completed in place (`complete`). With `track=False` a hit that
        is not tracked yet gives a detached entity, which keeps memory bounded when
        streaming. This is the read hot path: one loop with everything bound locally.
        """
        entity_type = mapping.entity
        validate = entity_type.__pydantic_validator__.validate_python
        drop = mapping.drop_computed if mapping.computed else None
        bucket = self.identity.bucket(entity_type, mapping.index)
        by_object = self.identity._by_object
        exclude = mapping.exclude
        deep = mapping.mutable - exclude if exclude else mapping.mutable
        id_field = mapping.id_field
        id_source = mapping.stored_names[id_field] if id_field and mapping.fills_id else None
        routing_of = mapping.routing_of if mapping.routing is not None else None
        clean, removed = State.CLEAN, State.REMOVED
        entities: list[E] = []
        append = entities.append
        hit: Mapping[str, Any] = {}
        try:
            for hit in hits:
                index: str = hit["_index"]
                doc_id: str = hit["_id"]
                entry = bucket.get(doc_id)
                if entry is not None:
                    if entry.state is removed and skip_removed:
                        continue
                    if entry.source_filter is not None and source_filter is None:
                        self.complete(entry, hit)
                    append(entry.entity)  # type: ignore[arg-type]
                    continue
                source = hit.get("_source") or {}
                if id_source is not None and id_source not in source:
                    source = {**source, id_source: doc_id}
                if drop is not None:
                    source = drop(source)
                # strict models accept what they dumped: ISO strings for dates, values for enums
                entity: E = validate(source, strict=False)
                append(entity)
                if not track:
                    continue
                doc_routing = routing
                if doc_routing is None:
                    doc_routing = hit.get("_routing")
                    if doc_routing is None and routing_of is not None:
                        doc_routing = routing_of(entity)
                entry = Entry(
                    entity,
                    mapping,
                    index,
                    doc_id,
                    doc_routing,
                    clean,
                    hit.get("_seq_no"),
                    hit.get("_primary_term"),
                    take_snapshot(entity, exclude, deep),
                    source_filter,
                )
                bucket[doc_id] = entry
                by_object[id(entity)] = entry
        except ValidationError as exc:
            hint = (
                "; fields left out by source_includes/source_excludes need defaults"
                if source_filter is not None
                else ""
            )
            raise InvalidEntityError(
                f"{mapping.name} {hit.get('_id')!r} in index {hit.get('_index')!r} cannot be "
                f"loaded{hint}: its stored document does not validate as {mapping.name}: {exc}"
            ) from exc
        return entities

    # -- registering changes ----------------------------------------------------------------

    def track_new(self, mapping: EntityMapping[E], entity: E, *, overwrite: bool = False) -> Entry:
        """Validate a new entity, give it an id if it has none, and track it as NEW.

        With `overwrite` the entity is written with an unguarded `index` instead of
        `create`: whatever document has its id is replaced (last write wins).
        """
        if type(entity) is not mapping.entity:
            raise InvalidEntityError(
                f"expected a {mapping.name}, got {type(entity).__name__}; add it through "
                f"its own repository"
            )
        known = self.identity.entry_of(entity)
        if known is not None:
            if known.state is State.REMOVED:
                known.state = State.CLEAN if known.seq_no is not None else State.NEW
            if overwrite:
                if known.source_filter is not None:
                    raise InvalidEntityError(
                        f"{mapping.name} {known.id!r} was loaded with part of its fields; "
                        f"put() would overwrite the others with defaults: load it in full"
                    )
                # last write wins from here: unguarded, and written even if unchanged
                known.state = State.CLEAN
                known.guarded = False
                known.snapshot = {}
            return known
        validate(mapping, entity)
        doc_id = mapping.id_of(entity) or mapping.assign_new_id(entity)
        entry = Entry(
            entity=entity,
            mapping=mapping,
            index=mapping.index,
            id=doc_id,
            routing=mapping.routing_of(entity),
            state=State.NEW,
            fresh=True,
        )
        clash = self.identity.get(entry.key)
        if clash is not None and clash.state is not State.REMOVED:
            raise InvalidEntityError(
                f"{mapping.name} {doc_id!r} is already tracked by this unit of work as another "
                f"instance; change that instance instead of adding a second one"
            )
        if clash is not None:
            if clash.routing != entry.routing:
                raise InvalidEntityError(
                    f"{mapping.name} {doc_id!r} is removed in this unit of work with routing "
                    f"{clash.routing!r}; adding it back with routing {entry.routing!r} would "
                    f"leave the old document on its shard: commit the removal first"
                )
            # re-adding over a removed document: replace it, guarded by the removed version
            # unless the caller wants the last write to win; the version stays known, so
            # removing the replacement again still deletes the document
            entry.state = State.CLEAN
            entry.seq_no, entry.primary_term = clash.seq_no, clash.primary_term
            entry.guarded = not overwrite
            entry.index = clash.index
            entry.snapshot = {}
            self.identity.discard(clash)
        elif overwrite:
            # clean, with no version and an empty snapshot: planned as an unguarded `index`
            entry.state = State.CLEAN
            entry.guarded = False
            entry.snapshot = {}
        self.identity.put(entry)
        return entry

    def mark_removed(self, mapping: EntityMapping[E], entity: E) -> None:
        """Schedule a tracked entity's deletion; a never-written one is simply forgotten."""
        entry = self.identity.entry_of(entity)
        if entry is None:
            raise InvalidEntityError(
                f"{mapping.name} {mapping.id_of(entity)!r} is not tracked by this unit of work; "
                f"load it with get() first, so its delete can be guarded by its version"
            )
        if entry.state is State.NEW or entry.seq_no is None:
            # never written, or put without ever loading the document: no stored version
            # anyone here saw, so removing it only forgets the pending write
            self.identity.discard(entry)
        else:
            entry.state = State.REMOVED


def validate(mapping: EntityMapping[Any], entity: BaseModel) -> None:
    """Re-run the entity's validation, since attribute assignment bypasses it by default."""
    # a copy: "before" validators may change their input in place
    values = dict(entity.__dict__)
    if entity.__pydantic_extra__:
        values.update(entity.__pydantic_extra__)
    try:
        mapping.entity.__pydantic_validator__.validate_python(values, by_alias=False, by_name=True)
    except ValidationError as exc:
        raise InvalidEntityError(
            f"{mapping.name} is invalid and was not added: {exc}".replace("\n", "\n  ")
        ) from exc


def operation(method: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Run a repository method as one operation of its unit of work (see `Session.operation`)."""

    @functools.wraps(method)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with args[0]._session.operation():  # type: ignore[attr-defined]
            return await method(*args, **kwargs)

    return run
