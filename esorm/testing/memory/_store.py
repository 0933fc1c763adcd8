"""`InMemoryStore`: a `DocumentStore` with Elasticsearch's semantics and no server."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from esorm.client import error_reason
from esorm.errors import EsormError, IndexMappingConflictError, IndexMissingError, QueryError
from esorm.indices import concrete_name, diff_mappings
from esorm.mapping import WRITES_FIELD, EntityMapping, Registry
from esorm.query import SourceFilter, source_body
from esorm.store import (
    DocRef,
    Hit,
    ItemResult,
    Refresh,
    SearchResponse,
    Write,
    point_in_time_gone,
)
from esorm.testing.memory import _search
from esorm.testing.memory._bulk import apply, prepare
from esorm.testing.memory._catalog import Catalog
from esorm.testing.memory._errors import BadRequest, Refused, refuse, routing_missing
from esorm.testing.memory._index import PRIMARY_TERM, Document, Index
from esorm.testing.memory._pit import PointsInTime
from esorm.testing.memory._source import SourceFilter as Filter


class InMemoryStore:
    """Documents in memory, answering as an Elasticsearch cluster would; one store is one
    cluster, shared by every unit of work made on it.

    Indices are created from registries (`create_indices`, as `IndexManager.create_all`
    does: a concrete `<name>__v1` behind the alias `<name>`, so hits name the concrete index
    as a cluster's do) or, as a cluster does, automatically by the first `create`/`index` write to a
    name that does not exist (then mapped dynamically from the documents). Reads of an
    index that was never created raise `IndexMissingError`. Every write is visible to
    reads at once (`refresh` does nothing): searches see what Elasticsearch shows only
    after a refresh. Each index is one shard. What the store cannot decide exactly
    (full-text queries, scripts, other aggregations...) raises `QueryError` naming the
    clause, never an approximate answer.

    Args:
        clock: the monotonic clock points in time expire by (`time.monotonic`).
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._indices: dict[str, Index] = {}
        self._aliases: dict[str, str] = {}  # alias -> the concrete index it points to
        self._pits = PointsInTime(clock)

    def __repr__(self) -> str:
        return f"InMemoryStore({len(self._indices)} indices)"

    # -- indices ------------------------------------------------------------------------------

    def create_indices(self, registry: Registry) -> list[str]:
        """Create every index of the registry (with its settings and mapping); an index that
        exists gets the fields it lacks. Returns the names (aliases) of the indices created.

        Raises:
            IndexMappingConflictError: an existing field has another type than now declared.
            QueryError: a mapping the store cannot index exactly (an unsupported date format).
        """
        created = []
        for mapping in registry:
            body = mapping.index_body()
            existing = self._resolve(mapping.index)
            with self._boundary(f"create index {mapping.index}"):
                if existing is None:
                    concrete = concrete_name(mapping.index, 1)
                    self._indices[concrete] = Index.create(
                        concrete, body["mappings"], body.get("settings")
                    )
                    self._aliases[mapping.index] = concrete
                    created.append(mapping.index)
                else:
                    _reconcile(existing, body["mappings"])
        return created

    def delete_indices(self, registry: Registry | None = None) -> list[str]:
        """Delete the registry's indices (every index for None); the names deleted."""
        names = self.indices if registry is None else [m.index for m in registry]
        deleted = []
        for name in names:
            concrete = self._aliases.pop(name, name)
            if self._indices.pop(concrete, None) is not None:
                deleted.append(name)
        return deleted

    @property
    def indices(self) -> list[str]:
        """The names of the indices that exist: aliases (the names entities use), and plain
        indices a first write created."""
        return sorted({*self._indices, *self._aliases} - set(self._aliases.values()))

    def mapping_of(self, index: str) -> dict[str, Any]:
        """The mapping an index has now (dynamically added fields included)."""
        return _mapping_body(self._index(index, f"mapping of {index}"))

    def write_target(self, mapping: EntityMapping[Any]) -> str:
        """The index new documents go to: the entity's index name (its alias)."""
        return mapping.index

    async def write_index(self, mapping: EntityMapping[Any]) -> str:
        """The concrete index behind the entity's alias (its own name for a plain index)."""
        return self._aliases.get(mapping.index, mapping.index)

    # -- reads --------------------------------------------------------------------------------

    async def get(
        self,
        mapping: EntityMapping[Any],
        doc_id: str,
        *,
        routing: str | None = None,
        source: SourceFilter | None = None,
    ) -> Hit | None:
        await asyncio.sleep(0)  # a request is in flight: other tasks run meanwhile
        with self._boundary(f"get {mapping.name} {doc_id!r}"):
            index = self._index(mapping.index, None, entity=mapping.name)
            document = self._lookup(index, doc_id, routing)
            if document is None:
                return None
            return _found(index, document, Filter(source_body(source)))

    async def mget(
        self,
        mapping: EntityMapping[Any],
        refs: Sequence[DocRef],
        *,
        source: SourceFilter | None = None,
    ) -> list[Hit | None]:
        await asyncio.sleep(0)
        with self._boundary(f"mget {mapping.name}"):
            index = self._index(mapping.index, None, entity=mapping.name)
            wanted = Filter(source_body(source))
            found: list[Hit | None] = []
            for doc_id, routing in refs:
                if index.catalog.routing_required and routing is None:
                    raise EsormError(
                        f"mget {mapping.name} {doc_id!r}: {routing_missing(index.name, doc_id)}"
                    )
                document = self._lookup(index, doc_id, routing)
                found.append(None if document is None else _found(index, document, wanted))
            return found

    async def exists(
        self, mapping: EntityMapping[Any], doc_id: str, *, routing: str | None = None
    ) -> bool:
        await asyncio.sleep(0)
        with self._boundary(f"exists {mapping.name}"):
            index = self._index(mapping.index, None, entity=mapping.name)
            return self._lookup(index, doc_id, routing) is not None

    async def search(
        self,
        mapping: EntityMapping[Any],
        body: Mapping[str, Any],
        *,
        routing: str | None = None,
    ) -> SearchResponse:
        await asyncio.sleep(0)
        action = f"search {mapping.name}"
        with self._boundary(action):
            index = self._index(mapping.index, action)
            self._check_routed_read(index, routing)
            return _search.search(index, list(index.docs.values()), body)

    async def count(
        self,
        mapping: EntityMapping[Any],
        query: Mapping[str, Any] | None = None,
        *,
        routing: str | None = None,
    ) -> int:
        await asyncio.sleep(0)
        action = f"count {mapping.name}"
        with self._boundary(action):
            index = self._index(mapping.index, action)
            self._check_routed_read(index, routing)
            return _search.count(index, query)

    # -- points in time -----------------------------------------------------------------------

    async def open_point_in_time(
        self, mapping: EntityMapping[Any], *, keep_alive: str, routing: str | None = None
    ) -> str:
        await asyncio.sleep(0)
        action = f"open point in time on {mapping.index}"
        with self._boundary(action):
            index = self._index(mapping.index, action)
            self._check_routed_read(index, routing)
            return self._pits.open(index, keep_alive)

    async def search_point_in_time(
        self, mapping: EntityMapping[Any], body: Mapping[str, Any]
    ) -> SearchResponse:
        await asyncio.sleep(0)
        with self._boundary(f"search {mapping.name}"):
            pit = body.get("pit")
            if not isinstance(pit, Mapping) or not pit.get("id"):
                raise BadRequest(
                    "action_request_validation_exception", "a point in time id is required"
                )
            opened = self._pits.use(str(pit["id"]), pit.get("keep_alive"))
            response = _search.search(opened.index, opened.documents, body, pit=True)
            response["pit_id"] = pit["id"]
            return response

    async def close_point_in_time(self, pit_id: str) -> None:
        await asyncio.sleep(0)
        self._pits.close(pit_id)

    @property
    def open_points_in_time(self) -> int:
        """How many points in time are open (and not expired)."""
        return len(self._pits)

    # -- writes -------------------------------------------------------------------------------

    async def bulk(self, writes: Sequence[Write], *, refresh: Refresh = False) -> list[ItemResult]:
        await asyncio.sleep(0)
        with self._boundary("bulk"):
            prepared = [prepare(write) for write in writes]  # refusals before any write applies
            for write in writes:
                self._check_routed_write(write)
        return [
            apply(self._resolve(p.write.index), p, self._creator(p.write.index)) for p in prepared
        ]

    async def read_back(self, writes: Sequence[Write]) -> list[Hit | None]:
        await asyncio.sleep(0)
        wanted = Filter({"includes": [WRITES_FIELD]})
        found: list[Hit | None] = []
        for write in writes:
            index = self._resolve(write.index)
            document = index.docs.get(write.id) if index is not None else None
            found.append(
                None if index is None or document is None else _found(index, document, wanted)
            )
        return found

    async def refresh(self, mapping: EntityMapping[Any]) -> None:
        """Nothing to do: every write is visible at once. The index must exist."""
        await asyncio.sleep(0)
        action = f"refresh {mapping.index}"
        with self._boundary(action):
            self._index(mapping.index, action)

    # -- helpers ------------------------------------------------------------------------------

    def _creator(self, name: str) -> Callable[[], Index]:
        def create() -> Index:
            index = self._indices[name] = Index.create(name, {}, {})
            return index

        return create

    def _resolve(self, name: str) -> Index | None:
        """The index a name means: the concrete index behind an alias, or the index itself."""
        return self._indices.get(self._aliases.get(name, name))

    def _index(self, name: str, action: str | None, *, entity: str | None = None) -> Index:
        index = self._resolve(name)
        if index is None:
            raise IndexMissingError.of(name, entity=entity, action=action)
        return index

    def _lookup(self, index: Index, doc_id: str, routing: str | None) -> Document | None:
        if index.catalog.routing_required and routing is None:
            raise BadRequest(
                "routing_missing_exception", routing_missing(index.name, doc_id)["reason"]
            )
        document = index.docs.get(doc_id)
        if document is not None and index.shards > 1 and routing != document.routing:
            raise refuse(
                f"a read of {doc_id!r} with routing {routing!r}",
                f"index {index.name!r} has {index.shards} shards and the document is stored "
                f"with routing {document.routing!r}: which shard the read reaches is not modelled",
            )
        return document

    def _check_routed_read(self, index: Index, routing: str | None) -> None:
        if routing is not None and index.shards > 1:
            raise refuse(
                f"a routed search of {index.name!r}",
                f"with {index.shards} shards, which documents a routing value reaches is not "
                f"modelled (each index is one shard in memory)",
            )

    def _check_routed_write(self, write: Write) -> None:
        index = self._resolve(write.index)
        if index is None or index.shards == 1:
            return
        current = index.docs.get(write.id)
        if current is not None and current.routing != write.routing:
            raise refuse(
                f"a write of {write.id!r} with routing {write.routing!r}",
                f"index {index.name!r} has {index.shards} shards and the document is stored "
                f"with routing {current.routing!r}",
            )

    @contextlib.contextmanager
    def _boundary(self, action: str) -> Iterator[None]:
        """Refusals and server-like errors become esorm's errors, as `ElasticsearchStore`'s
        boundary turns the server's answers into them."""
        try:
            yield
        except Refused as exc:
            raise QueryError(f"{action}: the in-memory store cannot evaluate {exc}") from None
        except BadRequest as exc:
            reason = error_reason(exc.error)
            if exc.status == 404:  # the only one: a point in time that is gone
                raise QueryError(point_in_time_gone(action, reason)) from None
            raise QueryError(f"{action}: the server refused the request: {reason}") from None


def _found(index: Index, document: Document, source: Filter) -> Hit:
    hit: dict[str, Any] = {
        "_index": index.name,
        "_id": document.id,
        "_version": document.version,
        "_seq_no": document.seq_no,
        "_primary_term": PRIMARY_TERM,
        "found": True,
    }
    if document.routing is not None:
        hit["_routing"] = document.routing
    if source.enabled:
        hit["_source"] = source.apply(document.parsed())
    return hit  # type: ignore[return-value]


def _reconcile(index: Index, wanted: Mapping[str, Any]) -> None:
    diff = diff_mappings(_mapping_body(index), wanted)
    if diff.conflicts:
        first = diff.conflicts[0]
        raise IndexMappingConflictError(index.name, first.path, first.old_type, first.new_type)
    if diff.additions:
        index.mappings.setdefault("properties", {}).update(diff.additions)
        index.catalog.add_properties(diff.additions, index.catalog.objects[""])
    templates = list(wanted.get("dynamic_templates") or ())
    for template in templates:
        if template not in index.catalog.templates:
            index.catalog.templates.append(dict(template))
            index.mappings.setdefault("dynamic_templates", []).append(dict(template))


def _mapping_body(index: Index) -> dict[str, Any]:
    """The index's mapping with the fields dynamic mapping added since it was created."""
    body = dict(index.mappings)
    properties: dict[str, Any] = {}
    for path, field in sorted(index.catalog.fields.items()):
        if field.parent is not None:
            continue
        _place(properties, path, {"type": field.type, **field.params}, index.catalog)
    for path, obj in index.catalog.objects.items():
        if path and not any(p.startswith(f"{path}.") for p in index.catalog.fields):
            _place(
                properties, path, {"type": "nested"} if obj.nested == path else {}, index.catalog
            )
    body["properties"] = properties
    return body


def _place(properties: dict[str, Any], path: str, spec: dict[str, Any], catalog: Catalog) -> None:
    parts = path.split(".")
    level = properties
    for depth, part in enumerate(parts[:-1]):
        prefix = ".".join(parts[: depth + 1])
        node = level.setdefault(part, {})
        obj = catalog.objects.get(prefix)
        if obj is not None and obj.nested == prefix:
            node["type"] = "nested"
        level = node.setdefault("properties", {})
    subs = catalog.subs.get(path)
    if subs:
        spec["fields"] = {
            sub.path.rsplit(".", 1)[1]: {"type": sub.type, **sub.params} for sub in subs
        }
    level.setdefault(parts[-1], {}).update(spec)
