"""The document store over `AsyncElasticsearch`: the only code that sends document requests."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
from elasticsearch import ApiError, AsyncElasticsearch, ConnectionTimeout, SerializationError

from esorm.client import (
    client_hosts,
    client_secrets,
    error_reason,
    error_type,
    is_compat_header_rejection,
    translate_errors,
)
from esorm.errors import (
    ClusterAccessError,
    ConfigurationError,
    ConnectionFailedError,
    EsormError,
    IndexMissingError,
    OutcomeUnknownError,
    QueryError,
    ServerError,
    VersionMismatchError,
)
from esorm.mapping import WRITES_FIELD, EntityMapping
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
        # only esorm decides what to send again: no transport retries, and POST, which
        # aiohttp never re-sends on its own (it does re-send a PUT after a dropped line)
        self._once = client.options(max_retries=0, retry_on_status=(), retry_on_timeout=False)
        self._hosts = client_hosts(client)
        self._secrets = client_secrets(client)

    def __repr__(self) -> str:
        return f"ElasticsearchStore({', '.join(self._hosts)})"

    def write_target(self, mapping: EntityMapping[Any]) -> str:
        """The name new documents go to: the entity's index name (an alias)."""
        return mapping.index

    async def write_index(self, mapping: EntityMapping[Any]) -> str:
        with self._boundary(f"resolve alias {mapping.index}"):
            response = await self._lenient.indices.get_alias(name=mapping.index)
        found: dict[str, Any] = response.body
        for index, info in found.items():
            if ((info or {}).get("aliases", {}).get(mapping.index) or {}).get("is_write_index"):
                return index
        names = [name for name in found if name not in ("error", "status")]
        return names[0] if len(names) == 1 else mapping.index  # a plain index: its own name

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
        filtered = source_body(source)
        if filtered is not None:
            if filtered.get("includes"):
                params["source_includes"] = filtered["includes"]
            if filtered.get("excludes"):
                params["source_excludes"] = filtered["excludes"]
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
        action = f"search {mapping.name}"
        try:
            with self._boundary(action):
                response = await self.client.search(body=dict(body))
        except ApiError as exc:
            if exc.meta.status != 404:
                raise
            raise QueryError(point_in_time_gone(action, error_reason(exc))) from exc
        return response.body  # type: ignore[no-any-return]

    async def close_point_in_time(self, pit_id: str) -> None:
        with self._boundary("close point in time"):
            await self._lenient.close_point_in_time(id=pit_id)

    # -- writes -----------------------------------------------------------------------------

    async def bulk(self, writes: Sequence[Write], *, refresh: Refresh = False) -> list[ItemResult]:
        body = b"".join([line for write in writes for line in write.lines()])
        params = (
            {} if refresh is False else {"refresh": "wait_for" if refresh == "wait_for" else "true"}
        )
        try:
            with self._boundary("bulk"):
                try:
                    response = await self._once.perform_request(
                        "POST",
                        "/_bulk",
                        params=params,
                        headers=_NDJSON,
                        body=body,
                        endpoint_id="bulk",
                        path_parts={},
                    )
                except ApiError as exc:
                    refused = _refused(exc, len(writes))
                    if refused is None:
                        raise
                    return refused
        except (ClusterAccessError, VersionMismatchError):
            raise  # refused before anything was applied
        except ServerError as exc:  # a 5xx may come from a proxy after the server applied it
            raise OutcomeUnknownError(str(exc)) from exc
        except ConnectionFailedError as exc:
            if _never_sent(exc):
                raise
            raise OutcomeUnknownError(_unknown(exc)) from exc
        return _items(response.body, len(writes))

    async def read_back(self, writes: Sequence[Write]) -> list[Hit | None]:
        docs: list[dict[str, Any]] = []
        for write in writes:
            doc: dict[str, Any] = {"_index": write.index, "_id": write.id, "_source": _WRITES}
            if write.routing is not None:
                doc["routing"] = write.routing
            docs.append(doc)
        with self._boundary("read back written documents"):
            response = await self.client.mget(docs=docs)
        return [hit if hit.get("found") else None for hit in response.body["docs"]]

    async def refresh(self, mapping: EntityMapping[Any]) -> None:
        with self._boundary(f"refresh {mapping.index}"):
            await self.client.indices.refresh(index=mapping.index)

    # -- errors -----------------------------------------------------------------------------

    def _boundary(self, action: str) -> contextlib.AbstractContextManager[None]:
        return translate_errors(action, self._hosts, self._secrets)

    @staticmethod
    def _raise_if_index_missing(body: Mapping[str, Any], mapping: EntityMapping[Any]) -> None:
        if error_type(body) == _INDEX_MISSING:
            raise IndexMissingError.of(mapping.index, entity=mapping.name)


_NDJSON = {"accept": "application/json", "content-type": "application/x-ndjson"}
_WRITES = {"includes": [WRITES_FIELD]}


def _refused(exc: ApiError, count: int) -> list[ItemResult] | None:
    """A bulk request refused as a whole, as one refusal per write (429 backs off like an
    item's); None for answers that say more as an error (auth, 5xx, headers)."""
    status = exc.meta.status
    if status in (401, 403) or status >= 500 or is_compat_header_rejection(exc):
        return None
    error = exc.body.get("error") if isinstance(exc.body, dict) else None
    return [{"status": status, "error": error or {"type": str(exc.message)}}] * count


def _items(body: Any, count: int) -> list[ItemResult]:
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or len(items) != count:
        got = len(items) if isinstance(items, list) else "no"
        raise OutcomeUnknownError(
            f"bulk: the answer lists {got} items for {count} writes; which of them the "
            f"server applied is unknown"
        )
    return [next(iter(item.values())) for item in items]


def _never_sent(exc: ConnectionFailedError) -> bool:
    """True when the connection could not even be opened, so nothing reached the server."""
    cause: BaseException | None = exc.__cause__
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError | aiohttp.ClientConnectorError):
            return True
        errors = getattr(cause, "errors", ())
        cause = errors[0] if errors else cause.__cause__
    return False


def _unknown(exc: ConnectionFailedError) -> str:
    cause = exc.__cause__
    if isinstance(cause, SerializationError):
        return (
            "bulk: the server's answer could not be read (it is not the JSON Elasticsearch "
            "sends); which writes it applied is unknown"
        )
    if isinstance(cause, ConnectionTimeout):
        return "bulk: no answer before the request timeout; which writes were applied is unknown"
    return f"{exc}; which writes the server applied is unknown"


_STORE_TYPES: set[type] = {ElasticsearchStore}
"""Classes known to implement `DocumentStore` (a unit of work is made per request)."""


def point_in_time_gone(action: str, reason: str) -> str:
    """The message of a search on a point in time that was closed or expired (a 404)."""
    return (
        f"{action}: the point in time is gone (closed, or unused for longer than its "
        f"keep_alive): {reason}"
    )


def as_store(backend: AsyncElasticsearch | DocumentStore) -> DocumentStore:
    """The document store for a client (wrapped) or a store (as it is)."""
    if type(backend) in _STORE_TYPES:
        return backend  # type: ignore[return-value]
    if isinstance(backend, AsyncElasticsearch):
        return ElasticsearchStore(backend)
    if isinstance(backend, DocumentStore):  # a structural check: slow, so done once per type
        _STORE_TYPES.add(type(backend))
        return backend
    raise ConfigurationError(
        f"expected an AsyncElasticsearch client or a DocumentStore, got {type(backend).__name__}"
    )
