"""Repositories: load and register aggregates of one entity type; only the unit of work writes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar, Unpack

from pydantic import BaseModel

from esorm.errors import InvalidEntityError, NotFoundError, QueryError
from esorm.mapping import EntityMapping, id_problem
from esorm.query import FetchOptions, ReadOptions, SourceFilter, source_filter_of
from esorm.repository._changes import mark_removed, track_new
from esorm.repository._context import RepositoryContext
from esorm.repository._guard import guarded
from esorm.repository._hydration import hydrate
from esorm.repository._identity import Entry, State
from esorm.repository._pins import Expected, entry_etag, pin_entry, precondition_of
from esorm.repository._queries import QueryMethods
from esorm.repository._relation_loading import RelationPlan, plan_relations
from esorm.store import DocRef

E = TypeVar("E", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Found(Generic[E]):
    """What `get_many` found: entities in the order asked for, and the ids that do not exist."""

    entities: list[E] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[E]:
        return iter(self.entities)

    def __len__(self) -> int:
        return len(self.entities)


class Repository(QueryMethods[E], Generic[E]):
    """Loads and registers entities of one type inside a unit of work.

    Subclass it to add domain-specific queries; the unit of work creates one per type.
    """

    def __init__(self, context: RepositoryContext, entity: type[E]) -> None:
        self._context = context
        self._mapping: EntityMapping[E] = context.registry.mapping_for(entity)

    @property
    def mapping(self) -> EntityMapping[E]:
        """How this repository's entity type is stored."""
        return self._mapping

    @property
    def entity(self) -> type[E]:
        """The entity class this repository loads."""
        return self._mapping.entity

    # -- reads ------------------------------------------------------------------------------

    async def get(
        self, doc_id: str, *, expected: Expected | None = None, **options: Unpack[ReadOptions]
    ) -> E:
        """Load one entity by id; the tracked instance answers without a request.

        Args:
            expected: the version a client expects (an `If-Match` value such as the ETag
                it was sent, or an `IfMatch`/`IfNoneMatch`): the entity is pinned to it
                (see `pin`), so its next write is guarded by the client's version.

        Options:
            routing: the shard routing value (derived from the id with `routing_for_id`).
            source_includes, source_excludes: load only part of the document.
            load: relation paths to load with it (`["author", "posts.author"]`); None
                loads the relations the registry names as defaults.
            depth: how many hops default relations follow (the registry's by default).

        Raises:
            NotFoundError: no such document (or it was removed in this unit of work).
            PreconditionFailedError: it is not at the version `expected` names.
            InvalidETagError: `expected` cannot be read, or is of another entity type.
        """
        found = await self.find(doc_id, expected=expected, **options)
        if found is None:
            raise NotFoundError(self._mapping.entity, self._mapping.index, str(doc_id))
        return found

    @guarded
    async def find(
        self, doc_id: str, *, expected: Expected | None = None, **options: Unpack[ReadOptions]
    ) -> E | None:
        """Like `get`, but None when the document does not exist (nothing is pinned then)."""
        context, mapping = self._context, self._mapping
        plan = plan_relations(context.registry, mapping, options.get("load"), options.get("depth"))
        precondition = None if expected is None else precondition_of(expected)  # before I/O
        entity = await self._read_one(self._read_id(doc_id), options)
        if entity is None:
            return None
        if precondition is not None:  # refused before relations are loaded for nothing
            self.pin(entity, precondition)
        return await self._with_relations(plan, entity)

    async def _read_one(self, doc_id: str, options: ReadOptions) -> E | None:
        """The tracked or freshly read entity, without its relations."""
        context, mapping = self._context, self._mapping
        wanted = source_filter_of(options.get("source_includes"), options.get("source_excludes"))
        entry = self._entry(doc_id)
        if entry is not None:
            if entry.state is State.REMOVED:
                return None
            if entry.source_filter is None or entry.source_filter == wanted:
                return entry.entity  # type: ignore[return-value]
            wanted = None  # it holds other fields than asked for: loaded in full, completed
        routing = self._routing_for(doc_id, options.get("routing"))
        hit = await context.store.get(mapping, doc_id, routing=routing, source=wanted)
        if hit is None:
            return None
        return hydrate(context.identity, mapping, hit, routing=routing, source_filter=wanted)

    @guarded
    async def get_many(
        self,
        ids: Iterable[str],
        *,
        routing: str | Sequence[str | None] | None = None,
        **options: Unpack[FetchOptions],
    ) -> Found[E]:
        """Load many entities with one `mget`; order kept, missing ids reported, not raised.

        Args:
            routing: one routing value for all ids, or one per id.
            options: source filters and relations for all of them at once, as for `get`.
        """
        context, mapping = self._context, self._mapping
        plan = plan_relations(context.registry, mapping, options.get("load"), options.get("depth"))
        wanted = source_filter_of(options.get("source_includes"), options.get("source_excludes"))
        id_list = [self._read_id(i) for i in ids]
        by_id, refs, partial = self._known(id_list, _routings(routing, len(id_list)), wanted)
        if partial:
            wanted = None  # some are held with other fields: loaded in full, completed in place
        if refs:
            hits = await context.store.mget(mapping, refs, source=wanted)
            for (doc_id, doc_routing), hit in zip(refs, hits, strict=True):
                if hit is not None:
                    by_id[doc_id] = hydrate(
                        context.identity, mapping, hit, routing=doc_routing, source_filter=wanted
                    )
        result: Found[E] = Found()
        for doc_id in id_list:
            entity = by_id[doc_id]
            if entity is None:
                result.missing.append(doc_id)
            else:
                result.entities.append(entity)
        if plan is not None:
            await plan.load(context, result.entities)
        return result

    def _known(
        self, ids: list[str], routings: list[str | None], wanted: SourceFilter | None
    ) -> tuple[dict[str, E | None], list[DocRef], bool]:
        """What the identity map answers for `ids`, the documents left to fetch, and whether
        one of those is tracked with other fields than `wanted` (then fetched in full)."""
        by_id: dict[str, E | None] = {}
        refs: list[DocRef] = []
        partial = False
        for doc_id, doc_routing in zip(ids, routings, strict=True):
            if doc_id in by_id:
                continue
            entry = self._entry(doc_id)
            by_id[doc_id] = None
            if entry is not None and entry.state is State.REMOVED:
                continue  # removed in this unit: missing, without asking the server
            if entry is not None and (entry.source_filter in (None, wanted)):
                by_id[doc_id] = entry.entity  # type: ignore[assignment]
                continue
            partial = partial or entry is not None
            refs.append((doc_id, self._routing_for(doc_id, doc_routing)))
        return by_id, refs, partial

    @guarded
    async def load(
        self, entities: Iterable[E], *relations: str, depth: int | None = None
    ) -> list[E]:
        """Load relations of entities already in hand, in batches; returns the entities.

        Args:
            relations: relation paths such as `"author"` or `"posts.author"`; none loads
                the registry's defaults.
            depth: how many hops default relations follow (the registry's by default).
        """
        items = list(entities)
        for entity in items:
            if type(entity) is not self._mapping.entity:
                raise InvalidEntityError(
                    f"expected {self._mapping.name} entities, got {type(entity).__name__}; "
                    f"load its relations through its own repository"
                )
        paths = list(relations) or None
        plan = plan_relations(self._context.registry, self._mapping, paths, depth)
        if plan is not None:
            await plan.load(self._context, items)
        return items

    @guarded
    async def exists(self, doc_id: str, *, routing: str | None = None) -> bool:
        """Whether the document exists, as this unit of work sees it (pending adds count)."""
        doc_id = self._read_id(doc_id)
        entry = self._entry(doc_id)
        if entry is not None:
            return entry.state is not State.REMOVED
        routing = self._routing_for(doc_id, routing)
        return await self._context.store.exists(self._mapping, doc_id, routing=routing)

    # -- registering changes (written by the unit of work's commit) -------------------------

    def add(self, entity: E) -> E:
        """Track a new entity (validated now; written as `create` on commit) and return it."""
        self._context.guard.check()
        track_new(self._context.identity, self._mapping, entity)
        return entity

    def put(self, entity: E) -> E:
        """Track an entity to be written whether or not its document exists (last write wins).

        Committed as an `index` without version guards, for imports and other writes
        that own the document outright; `add` is the safe default, refusing to overwrite.
        """
        self._context.guard.check()
        track_new(self._context.identity, self._mapping, entity, overwrite=True)
        return entity

    def add_all(self, entities: Iterable[E]) -> list[E]:
        """Track several new entities (each validated now; written as `create` on commit)."""
        self._context.guard.check()
        identity, mapping = self._context.identity, self._mapping
        added = list(entities)
        for entity in added:
            track_new(identity, mapping, entity)
        return added

    def remove(self, entity: E) -> None:
        """Schedule a tracked entity's deletion, guarded by its loaded version, on commit."""
        self._context.guard.check()
        mark_removed(self._context.identity, self._mapping, entity)

    def pin(self, entity: E, expected: Expected) -> E:
        """Pin a tracked entity to the version a client expects; returns it.

        Its next write (change or delete) is guarded by that version, so a write that
        lands in between makes the server refuse ours, and the commit raises
        `PreconditionFailedError`. `expected` is an `If-Match` value (the ETag the client
        was sent, a list, `*`), or an `IfMatch`/`IfNoneMatch`; `IfNoneMatch` with `*` on
        an added entity makes its create the client's precondition. Refused at once when
        the tracked version already is not the expected one.

        Raises:
            PreconditionFailedError: the tracked version is not one the client accepts.
            ConflictError: this unit loaded the document before a change the client saw.
            InvalidETagError: `expected` cannot be read, or is of another entity type.
        """
        self._context.guard.check()
        entry = self._tracked(entity, "pin it")
        pin_entry(self._context.identity, entry, precondition_of(expected))
        return entity

    def etag_of(self, entity: E) -> str | None:
        """The strong ETag of the version the server last confirmed for a tracked entity
        (None for one never stored); after a commit, that of the version it wrote."""
        entry = self._context.identity.entry_of(entity)
        return None if entry is None else entry_etag(entry)

    def id_of(self, entity: E) -> str:
        """The document id of a tracked entity (also for ids esorm generated)."""
        entry = self._context.identity.entry_of(entity)
        if entry is not None:
            return entry.id
        doc_id = self._mapping.id_of(entity)
        if doc_id is None:
            raise InvalidEntityError(f"this {self._mapping.name} has no id and is not tracked")
        return doc_id

    # -- helpers ----------------------------------------------------------------------------

    async def _with_relations(self, plan: RelationPlan | None, entity: E) -> E:
        if plan is not None:
            await plan.load(self._context, [entity])
        return entity

    def _read_id(self, doc_id: object) -> str:
        """An id to read by, refused (`QueryError`) when no document can have it."""
        text = str(doc_id)
        problem = id_problem(text)
        if problem is not None:
            raise QueryError(f"{self._mapping.name}: {problem}")
        return text

    def _tracked(self, entity: E, purpose: str) -> Entry:
        entry = self._context.identity.entry_of(entity)
        if entry is None or type(entity) is not self._mapping.entity:
            raise InvalidEntityError(
                f"this {type(entity).__name__} is not tracked by this repository's unit of "
                f"work; load it with get() first to {purpose}"
            )
        return entry

    def _entry(self, doc_id: str) -> Entry | None:
        return self._context.identity.get((self._mapping.entity, self._mapping.index, doc_id))

    def _routing_for(self, doc_id: str, routing: str | None) -> str | None:
        """The routing of a read by id: as given, else from the id, else refused if routed."""
        if routing is not None:
            return routing
        mapping = self._mapping
        if mapping.routing_for_id is not None:
            return mapping.routing_for_id(doc_id)
        if mapping.routed:
            raise InvalidEntityError(
                f"{mapping.name} documents are routed; pass routing= so the request reaches "
                f"the shard that holds {doc_id!r} (or register routing_for_id= to derive it "
                f"from the id)"
            )
        return None


def _routings(routing: str | Sequence[str | None] | None, count: int) -> list[str | None]:
    if routing is None or isinstance(routing, str):
        return [routing] * count
    values = list(routing)
    if len(values) != count:
        raise InvalidEntityError(f"got {len(values)} routing values for {count} ids")
    return values
