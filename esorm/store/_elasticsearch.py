"""The document store over `AsyncElasticsearch`: the only code that sends document requests."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

from elasticsearch import ApiError, AsyncElasticsearch

from esorm.client import client_hosts, error_type, is_compat_header_rejection, translate_errors
from esorm.errors import ConfigurationError, EsormError, IndexMissingError
from esorm.mapping import EntityMapping
from esorm.query import SourceFilter, source_body
from esorm.store._protocol import (
    DocRef,
    DocumentStore,
    Hit,
    ItemResult,
    Refresh,
    SearchResponse,
)
from esorm.store._write import Write

_INDEX_MISSING = "index_not_found_exception"


class ElasticsearchStore:
    """Documents in an Elasticsearch cluster, through one client; errors become esorm's.

    Args:
        client: the client to talk through; the store never closes it.
    """

    def __init__(self, client: AsyncElasticsearch) -> None:
        self.client = client
        self._lenient = client.options(ignore_status=404)
        self._hosts = client_hosts(client)

    def __repr__(self) -> str:
        return f"ElasticsearchStore({', '.join(self._hosts)})"

    def write_target(self, mapping: EntityMapping[Any]) -> str:
        """The index new documents go to: the entity's index name."""
        return mapping.index

    # -- reads ------------------------------------------------------------------------------

    async def get(
        self,
        mapping: EntityMapping[Any],
        doc_id: str,
        *,
        routing: str | None = None,
        source: SourceFilter | None = None,
    ) -> Hit | None:
        params: dict[str, Any] = {"index": mapping.index, "id": doc_id}
        if routing is not None:
            params["routing"] = routing
        if source is not None:
            includes, excludes = source
            if includes:
                params["source_includes"] = list(includes)
            if excludes:
                params["source_excludes"] = list(excludes)
        with self._boundary(f"get {mapping.name} {doc_id!r}"):
            response = await self._lenient.get(**params)
        body: dict[str, Any] = response.body
        if body.get("found"):
            return body  # type: ignore[return-value]
        self._raise_if_index_missing(body, mapping)
        return None

    async def mget(
        self,
        mapping: EntityMapping[Any],
        refs: Sequence[DocRef],
        *,
        source: SourceFilter | None = None,
    ) -> list[Hit | None]:
        docs: list[dict[str, Any]] = []
        filtered = source_body(source)
        for doc_id, routing in refs:
            doc: dict[str, Any] = {"_index": mapping.index, "_id": doc_id}
            if routing is not None:
                doc["routing"] = routing
            if filtered is not None:
                doc["_source"] = filtered
            docs.append(doc)
        with self._boundary(f"mget {mapping.name}"):
            response = await self.client.mget(docs=docs)
        found: list[Hit | None] = []
        for hit in response.body["docs"]:
            if hit.get("found"):
                found.append(hit)
            elif "error" in hit:
                self._raise_if_index_missing(hit, mapping)
                raise EsormError(f"mget {mapping.name} {hit.get('_id')!r}: {hit['error']}")
            else:
                found.append(None)
        return found

    async def exists(
        self, mapping: EntityMapping[Any], doc_id: str, *, routing: str | None = None
    ) -> bool:
        with self._boundary(f"exists {mapping.name}"):
            found = bool(
                await self._lenient.exists(index=mapping.index, id=doc_id, routing=routing)
            )
            # a HEAD answer has no body: tell "no such document" from "no such index"
            if not found and not await self.client.indices.exists(index=mapping.index):
                raise IndexMissingError.of(mapping.index, entity=mapping.name)
        return found

    async def search(
        self,
        mapping: EntityMapping[Any],
        body: Mapping[str, Any],
        *,
        routing: str | None = None,
    ) -> SearchResponse:
        with self._boundary(f"search {mapping.name}"):
            response = await self.client.search(
                index=mapping.index, body=dict(body), routing=routing
            )
        return response.body  # type: ignore[no-any-return]

    async def count(
        self,
        mapping: EntityMapping[Any],
        query: Mapping[str, Any] | None = None,
        *,
        routing: str | None = None,
    ) -> int:
        params: dict[str, Any] = {"index": mapping.index}
        if query is not None:
            params["query"] = dict(query)
        if routing is not None:
            params["routing"] = routing
        with self._boundary(f"count {mapping.name}"):
            response = await self.client.count(**params)
        return int(response.body["count"])

    # -- points in time ---------------------------------------------------------------------

    async def open_point_in_time(
        self, mapping: EntityMapping[Any], *, keep_alive: str, routing: str | None = None
    ) -> str:
        params: dict[str, Any] = {"index": mapping.index, "keep_alive": keep_alive}
        if routing is not None:
            params["routing"] = routing
        with self._boundary(f"open point in time on {mapping.index}"):
            opened = await self.client.open_point_in_time(**params)
        return str(opened.body["id"])

    async def search_point_in_time(
        self, mapping: EntityMapping[Any], body: Mapping[str, Any]
    ) -> SearchResponse:
        with self._boundary(f"search {mapping.name}"):
            response = await self.client.search(body=dict(body))
        return response.body  # type: ignore[no-any-return]

    async def close_point_in_time(self, pit_id: str) -> None:
        with self._boundary("close point in time"):
            await self._lenient.close_point_in_time(id=pit_id)

    # -- writes -----------------------------------------------------------------------------

    async def bulk(self, writes: Sequence[Write], *, refresh: Refresh = False) -> list[ItemResult]:
        body = b"".join([write.ndjson() for write in writes])
        params: dict[str, Any] = {"operations": body}
        if refresh is not False:
            params["refresh"] = "wait_for" if refresh == "wait_for" else "true"
        with self._boundary("bulk"):
            try:
                response = await self.client.bulk(**params)
            except ApiError as exc:
                if is_compat_header_rejection(exc):
                    raise
                # refused as a whole: the same answer for every item, handled like item failures
                error = exc.body.get("error") if isinstance(exc.body, dict) else None
                refused = {"status": exc.meta.status, "error": error or {"type": str(exc.message)}}
                return [refused] * len(writes)
        return [next(iter(item.values())) for item in response.body["items"]]

    async def refresh(self, mapping: EntityMapping[Any]) -> None:
        with self._boundary(f"refresh {mapping.index}"):
            await self.client.indices.refresh(index=mapping.index)

    # -- errors -----------------------------------------------------------------------------

    def _boundary(self, action: str) -> contextlib.AbstractContextManager[None]:
        return translate_errors(action, self._hosts)

    @staticmethod
    def _raise_if_index_missing(body: Mapping[str, Any], mapping: EntityMapping[Any]) -> None:
        if error_type(body) == _INDEX_MISSING:
            raise IndexMissingError.of(mapping.index, entity=mapping.name)


def as_store(backend: AsyncElasticsearch | DocumentStore) -> DocumentStore:
    """The document store for a client (wrapped) or a store (as it is)."""
    if isinstance(backend, AsyncElasticsearch):
        return ElasticsearchStore(backend)
    if isinstance(backend, DocumentStore):
        return backend
    raise ConfigurationError(
        f"expected an AsyncElasticsearch client or a DocumentStore, got {type(backend).__name__}"
    )
