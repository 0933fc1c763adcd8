"""Recording what repositories and units of work ask a document store, whichever store it is."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from esorm.mapping import EntityMapping
from esorm.query import SourceFilter
from esorm.store import DocRef, DocumentStore, Hit, ItemResult, Refresh, SearchResponse, Write


@dataclass(frozen=True, slots=True)
class StoreCall:
    """One call to a document store: the method and its arguments (a bulk's `writes`)."""

    method: str
    arguments: Mapping[str, Any] = field(default_factory=dict)

    @property
    def writes(self) -> list[Write]:
        """The writes of a `bulk` call (empty for other calls)."""
        return list(self.arguments.get("writes") or ())


class RecordingStore:
    """A `DocumentStore` that passes every call on to `store` and records it in `calls`.

    The same assertions then hold on any store: `UnitOfWork(RecordingStore(store), registry)`,
    then `recorder.methods() == ["bulk"]` (one bulk request), `recorder.to("mget")`.
    """

    def __init__(self, store: DocumentStore) -> None:
        self.store = store
        self.calls: list[StoreCall] = []

    def __repr__(self) -> str:
        return f"RecordingStore({self.store!r}, {len(self.calls)} calls)"

    def methods(self) -> list[str]:
        """The methods called, in order."""
        return [call.method for call in self.calls]

    def to(self, method: str) -> list[StoreCall]:
        """The calls of one method, e.g. `recorder.to("bulk")`."""
        return [call for call in self.calls if call.method == method]

    def clear(self) -> None:
        """Forget the calls recorded so far."""
        self.calls.clear()

    def _record(self, method: str, **arguments: Any) -> None:
        self.calls.append(StoreCall(method, arguments))

    def write_target(self, mapping: EntityMapping[Any]) -> str:
        return self.store.write_target(mapping)

    async def write_index(self, mapping: EntityMapping[Any]) -> str:
        self._record("write_index", mapping=mapping)
        return await self.store.write_index(mapping)

    async def get(
        self,
        mapping: EntityMapping[Any],
        doc_id: str,
        *,
        routing: str | None = None,
        source: SourceFilter | None = None,
    ) -> Hit | None:
        self._record("get", mapping=mapping, id=doc_id, routing=routing, source=source)
        return await self.store.get(mapping, doc_id, routing=routing, source=source)

    async def mget(
        self,
        mapping: EntityMapping[Any],
        refs: Sequence[DocRef],
        *,
        source: SourceFilter | None = None,
    ) -> list[Hit | None]:
        self._record("mget", mapping=mapping, refs=list(refs), source=source)
        return await self.store.mget(mapping, refs, source=source)

    async def exists(
        self, mapping: EntityMapping[Any], doc_id: str, *, routing: str | None = None
    ) -> bool:
        self._record("exists", mapping=mapping, id=doc_id, routing=routing)
        return await self.store.exists(mapping, doc_id, routing=routing)

    async def search(
        self,
        mapping: EntityMapping[Any],
        body: Mapping[str, Any],
        *,
        routing: str | None = None,
    ) -> SearchResponse:
        self._record("search", mapping=mapping, body=body, routing=routing)
        return await self.store.search(mapping, body, routing=routing)

    async def count(
        self,
        mapping: EntityMapping[Any],
        query: Mapping[str, Any] | None = None,
        *,
        routing: str | None = None,
    ) -> int:
        self._record("count", mapping=mapping, query=query, routing=routing)
        return await self.store.count(mapping, query, routing=routing)

    async def open_point_in_time(
        self, mapping: EntityMapping[Any], *, keep_alive: str, routing: str | None = None
    ) -> str:
        self._record("open_point_in_time", mapping=mapping, keep_alive=keep_alive, routing=routing)
        return await self.store.open_point_in_time(mapping, keep_alive=keep_alive, routing=routing)

    async def search_point_in_time(
        self, mapping: EntityMapping[Any], body: Mapping[str, Any]
    ) -> SearchResponse:
        self._record("search_point_in_time", mapping=mapping, body=body)
        return await self.store.search_point_in_time(mapping, body)

    async def close_point_in_time(self, pit_id: str) -> None:
        self._record("close_point_in_time", pit_id=pit_id)
        await self.store.close_point_in_time(pit_id)

    async def bulk(self, writes: Sequence[Write], *, refresh: Refresh = False) -> list[ItemResult]:
        self._record("bulk", writes=list(writes), refresh=refresh)
        return await self.store.bulk(writes, refresh=refresh)

    async def read_back(self, writes: Sequence[Write]) -> list[Hit | None]:
        self._record("read_back", writes=list(writes))
        return await self.store.read_back(writes)

    async def refresh(self, mapping: EntityMapping[Any]) -> None:
        self._record("refresh", mapping=mapping)
        await self.store.refresh(mapping)
