"""Repositories: load and register aggregates of one entity type; only the unit of work writes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from esorm.errors import EsormError, IndexMissingError, InvalidEntityError, NotFoundError
from esorm.mapping import EntityMapping
from esorm.repository._identity import Entry, State
from esorm.repository._queries import QueryMethods
from esorm.repository._relations import RelationPlan, plan_relations
from esorm.repository._search import source_filter_of
from esorm.repository._session import Session, operation
from esorm.repository._transport import translate_errors

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

    def __init__(self, session: Session, entity: type[E]) -> None:
        self._session = session
        self._mapping: EntityMapping[E] = session.registry.mapping_for(entity)

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
        self,
        doc_id: str,
        *,
        routing: str | None = None,
        source_includes: Sequence[str] | None = None,
        source_excludes: Sequence[str] | None = None,
        load: Sequence[str] | None = None,
        depth: int | None = None,
    ) -> E:
        """Load one entity by id; the tracked instance answers without a request.

        Args:
            load: relation paths to load with it (`["author", "posts.author"]`); None
                loads the relations the registry names as defaults.
            depth: how many hops default relations follow (the registry's by default).

        Raises:
            NotFoundError: no such document (or it was removed in this unit of work).
        """
        found = await self.find(
            doc_id,
            routing=routing,
            source_includes=source_includes,
            source_excludes=source_excludes,
            load=load,
            depth=depth,
        )
        if found is None:
            raise NotFoundError(self._mapping.entity, self._mapping.index, str(doc_id))
        return found

    @operation
    async def find(
        self,
        doc_id: str,
        *,
        routing: str | None = None,
        source_includes: Sequence[str] | None = None,
        source_excludes: Sequence[str] | None = None,
        load: Sequence[str] | None = None,
        depth: int | None = None,
    ) -> E | None:
        """Like `get`, but None when the document does not exist."""
        mapping = self._mapping
        plan = plan_relations(self._session.registry, mapping, load, depth)
        doc_id = str(doc_id)
        wanted = source_filter_of(source_includes, source_excludes)
        entry = self._entry(doc_id)
        if entry is not None:
            if entry.state is State.REMOVED:
                return None
            if entry.source_filter is None or entry.source_filter == wanted:
                return await self._with_relations(plan, entry.entity)  # type: ignore[arg-type]
            # it holds other fields than asked for: loaded in full, completed in place
            wanted = source_includes = source_excludes = None
        routing = self._routing_for(doc_id, routing)
        params: dict[str, Any] = {"index": mapping.index, "id": doc_id}
        if routing is not None:
            params["routing"] = routing
        if source_includes:
            params["source_includes"] = list(source_includes)
        if source_excludes:
            params["source_excludes"] = list(source_excludes)
        with translate_errors(self._session.client, f"get {mapping.name} {doc_id!r}"):
            response = await self._session.lenient.get(**params)
        body = response.body
        if not body.get("found"):
            _raise_if_index_missing(body, mapping)
            return None
        entity = self._session.hydrate(mapping, body, routing=routing, source_filter=wanted)
        return await self._with_relations(plan, entity)

    @operation
    async def get_many(
        self,
        ids: Iterable[str],
        *,
        routing: str | Sequence[str | None] | None = None,
        load: Sequence[str] | None = None,
        depth: int | None = None,
    ) -> Found[E]:
        """Load many entities with one `mget`; order kept, missing ids reported, not raised.

        Args:
            routing: one routing value for all ids, or one per id.
            load, depth: relations to load for all of them at once, as for `get`.
        """
        mapping = self._mapping
        plan = plan_relations(self._session.registry, mapping, load, depth)
        id_list = [str(i) for i in ids]
        routings = _routings(routing, len(id_list))
        by_id: dict[str, E | None] = {}
        docs: list[dict[str, Any]] = []
        for doc_id, doc_routing in zip(id_list, routings, strict=True):
            if doc_id in by_id:
                continue
            entry = self._entry(doc_id)
            by_id[doc_id] = None
            if entry is not None and entry.state is State.REMOVED:
                continue  # removed in this unit: missing, without asking the server
            if entry is not None and not entry.source_filtered:
                by_id[doc_id] = entry.entity  # type: ignore[assignment]
                continue
            doc: dict[str, Any] = {"_index": mapping.index, "_id": doc_id}
            doc_routing = self._routing_for(doc_id, doc_routing)
            if doc_routing is not None:
                doc["routing"] = doc_routing
            docs.append(doc)
        if docs:
            with translate_errors(self._session.client, f"mget {mapping.name}"):
                response = await self._session.client.mget(docs=docs)
            for doc, hit in zip(docs, response.body["docs"], strict=True):
                if hit.get("found"):
                    by_id[hit["_id"]] = self._session.hydrate(
                        mapping, hit, routing=doc.get("routing")
                    )
                elif "error" in hit:
                    _raise_if_index_missing(hit, mapping)
                    raise EsormError(f"mget {mapping.name} {hit['_id']!r}: {hit['error']}")
        result: Found[E] = Found()
        for doc_id in id_list:
            entity = by_id[doc_id]
            if entity is None:
                result.missing.append(doc_id)
            else:
                result.entities.append(entity)
        if plan is not None:
            await plan.load(self._session, result.entities)
        return result

    @operation
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
        plan = plan_relations(self._session.registry, self._mapping, paths, depth)
        if plan is not None:
            await plan.load(self._session, items)
        return items

    @operation
    async def exists(self, doc_id: str, *, routing: str | None = None) -> bool:
        """Whether the document exists, as this unit of work sees it (pending adds count)."""
        doc_id = str(doc_id)
        entry = self._session.identity.get((self._mapping.entity, self._mapping.index, doc_id))
        if entry is not None:
            return entry.state is not State.REMOVED
        routing = self._routing_for(doc_id, routing)
        with translate_errors(self._session.client, f"exists {self.mapping.name}"):
            response = await self._session.lenient.exists(
                index=self._mapping.index, id=doc_id, routing=routing
            )
            if not response and not await self._session.client.indices.exists(
                index=self._mapping.index
            ):
                # a HEAD answer has no body: tell "no such document" from "no such index"
                _raise_if_index_missing(
                    {"error": {"type": "index_not_found_exception"}}, self._mapping
                )
        return bool(response)

    # -- registering changes (written by the unit of work's commit) -------------------------

    def add(self, entity: E) -> E:
        """Track a new entity (validated now; written as `create` on commit) and return it."""
        self._session.guard()
        self._session.track_new(self._mapping, entity)
        return entity

    def put(self, entity: E) -> E:
        """Track an entity to be written whether or not its document exists (last write wins).

        Committed as an `index` without version guards, for imports and other writes
        that own the document outright; `add` is the safe default, refusing to overwrite.
        """
        self._session.guard()
        self._session.track_new(self._mapping, entity, overwrite=True)
        return entity

    def add_all(self, entities: Iterable[E]) -> list[E]:
        """Track several new entities (each validated now; written as `create` on commit)."""
        self._session.guard()
        track_new, mapping = self._session.track_new, self._mapping
        added = list(entities)
        for entity in added:
            track_new(mapping, entity)
        return added

    def remove(self, entity: E) -> None:
        """Schedule a tracked entity's deletion, guarded by its loaded version, on commit."""
        self._session.guard()
        self._session.mark_removed(self._mapping, entity)

    def id_of(self, entity: E) -> str:
        """The document id of a tracked entity (also for ids esorm generated)."""
        entry = self._session.identity.entry_of(entity)
        if entry is not None:
            return entry.id
        doc_id = self._mapping.id_of(entity)
        if doc_id is None:
            raise InvalidEntityError(f"this {self._mapping.name} has no id and is not tracked")
        return doc_id

    # -- helpers ----------------------------------------------------------------------------

    async def _with_relations(self, plan: RelationPlan | None, entity: E) -> E:
        if plan is not None:
            await plan.load(self._session, [entity])
        return entity

    def _entry(self, doc_id: str) -> Entry | None:
        return self._session.identity.get((self._mapping.entity, self._mapping.index, doc_id))

    def _routing_for(self, doc_id: str, routing: str | None) -> str | None:
        """The routing of a read by id: as given, else from the id, else refused if routed."""
        if routing is not None:
            return routing
        mapping = self._mapping
        if mapping.routing_for_id is not None:
            return mapping.routing_for_id(doc_id)
        if mapping.routing is not None:
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


def _raise_if_index_missing(body: Any, mapping: EntityMapping[Any]) -> None:
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("type") == "index_not_found_exception":
        raise IndexMissingError(
            f"index {mapping.index!r} of {mapping.name} does not exist; create it with "
            f"IndexManager(client, registry).create_all()"
        )
