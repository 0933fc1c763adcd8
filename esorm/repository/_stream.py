"""Deep iteration: every match, page by page, through a point in time and `search_after`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from pydantic import BaseModel

from esorm.errors import QueryError
from esorm.mapping import EntityMapping
from esorm.query import SearchRequest, source_body, to_sort_list
from esorm.repository._context import RepositoryContext
from esorm.repository._hydration import hydrate_all

E = TypeVar("E", bound=BaseModel)

TIE_BREAKER: dict[str, Any] = {"_shard_doc": "asc"}
"""Unique per document within a point in time, so `search_after` never skips or repeats."""

PageHook = Callable[[list[Any]], Awaitable[None]]
"""Runs on every page of entities before the stream yields them (relation loading)."""


class HitStream(Generic[E]):
    """Every match, page by page, through a point in time and `search_after`.

    Memory stays bounded by the page size (entities are not tracked unless asked).
    The point in time is closed when the stream ends, fails, or is closed early, and at
    the latest when the unit of work that opened it ends; `async with` closes it right
    after a `break`.
    """

    def __init__(
        self,
        context: RepositoryContext,
        mapping: EntityMapping[E],
        request: SearchRequest,
        *,
        page_size: int,
        keep_alive: str,
        on_page: PageHook | None = None,
    ) -> None:
        if page_size < 1:
            raise QueryError(f"page_size must be at least 1, got {page_size}")
        self._context = context
        self._mapping = mapping
        self._request = request
        self._page_size = page_size
        self._keep_alive = keep_alive
        self._on_page = on_page
        self._body = self._base_body()
        self._pit_id: str | None = None
        self._buffer: list[E] = []
        self._exhausted = False
        self._closed = False
        self.pages = 0
        context.streams.add(self)

    def _base_body(self) -> dict[str, Any]:
        request, mapping = self._request, self._mapping
        sort = request.sort if request.sort is not None else mapping.default_sort
        body: dict[str, Any] = {
            "size": self._page_size,
            "sort": [*(to_sort_list(sort, on=mapping) or []), TIE_BREAKER],
            "seq_no_primary_term": True,
            "track_total_hits": False,
        }
        if request.query is not None:
            body["query"] = request.query.to_dict()
        source = source_body(request.source_filter)
        if source is not None:
            body["_source"] = source
        return body

    @property
    def pit_id(self) -> str | None:
        """The point in time currently open, if any."""
        return self._pit_id

    def __aiter__(self) -> AsyncIterator[E]:
        return self

    async def __anext__(self) -> E:
        self._context.guard.check()  # a stream must not outlive its unit of work
        while not self._buffer:  # a page may hold only entities removed in this unit
            if self._exhausted or self._closed:
                await self.aclose()  # the last page was short: done, free the point in time
                raise StopAsyncIteration
            try:
                with self._context.guard.operation():
                    await self._fetch_page()
            except BaseException:
                await self.aclose()
                raise
        return self._buffer.pop()

    async def _fetch_page(self) -> None:
        store, mapping, request = self._context.store, self._mapping, self._request
        if self._pit_id is None:
            self._pit_id = await store.open_point_in_time(
                mapping, keep_alive=self._keep_alive, routing=request.routing
            )
        body = {**self._body, "pit": {"id": self._pit_id, "keep_alive": self._keep_alive}}
        response = await store.search_point_in_time(mapping, body)
        self.pages += 1
        self._pit_id = response.get("pit_id", self._pit_id)
        hits = response["hits"]["hits"]
        if len(hits) < self._page_size:
            self._exhausted = True
        if hits:
            self._body["search_after"] = hits[-1]["sort"]
        entities = hydrate_all(
            self._context.identity,
            mapping,
            hits,
            source_filter=request.source_filter,
            track=request.track,
        )
        if self._on_page is not None:
            await self._on_page(entities)
        entities.reverse()  # popped from the end
        self._buffer = entities

    async def aclose(self) -> None:
        """Close the point in time (idempotent); the stream yields nothing more."""
        self._closed = True
        self._buffer = []
        pit_id, self._pit_id = self._pit_id, None
        if pit_id is not None:
            with contextlib.suppress(Exception):
                await self._context.store.close_point_in_time(pit_id)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __del__(self) -> None:
        # a stream abandoned after `break` still frees its point in time, as async generators do
        if self._pit_id is not None:
            with contextlib.suppress(RuntimeError):
                task = asyncio.get_running_loop().create_task(self.aclose())
                _closing.add(task)
                task.add_done_callback(_closing.discard)


_closing: set[asyncio.Task[None]] = set()


async def close_streams(context: RepositoryContext) -> None:
    """Close every stream opened through `context` that is still open (its unit ends)."""
    for stream in list(context.streams):
        await stream.aclose()
