"""The requests behind relation loading: one `mget`, one `terms` search, one search per query."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine, Iterable, Mapping
from typing import Any

from pydantic import BaseModel

from esorm.domain import Many, One, Related
from esorm.errors import InvalidEntityError
from esorm.mapping import ByQuery, EntityMapping, Relation, ToMany, ToOne
from esorm.query import Query, SearchRequest, to_query_dict
from esorm.repository._context import RepositoryContext
from esorm.repository._hydration import hydrate
from esorm.repository._identity import State
from esorm.repository._results import read_result
from esorm.repository._stream import HitStream
from esorm.store import DocRef

MAX_TERMS = 65_536
"""Elasticsearch's default `index.max_terms_count`: the most ids one `terms` query may hold."""

_STREAM_PAGE = 1000


async def run_all(coroutines: Iterable[Coroutine[Any, Any, None]]) -> None:
    """Run coroutines concurrently; on a failure cancel the rest and raise the first error."""
    pending = list(coroutines)
    if len(pending) <= 1:
        for coroutine in pending:
            await coroutine
        return
    try:
        async with asyncio.TaskGroup() as group:
            for coroutine in pending:
                group.create_task(coroutine)
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None


class Fetcher:
    """Loads one relation for a batch of owners and sets the lazy values on them.

    Every request waits for a slot of the unit's relation concurrency limit.
    """

    def __init__(self, context: RepositoryContext, track: bool) -> None:
        self._context = context
        self._track = track
        self._slots = asyncio.Semaphore(context.relation_concurrency)

    async def fetch(
        self,
        mapping: EntityMapping[Any],
        name: str,
        spec: Relation[Any],
        owners: list[BaseModel],
    ) -> None:
        """Load relation `name` of `owners` (entities of `mapping`)."""
        if not owners:
            return
        target = self._context.registry.mapping_for(spec.target)
        if isinstance(spec, ToOne):
            await self._to_one(mapping, name, spec, target, owners)
        elif isinstance(spec, ToMany):
            await self._to_many(mapping, name, spec, target, owners)
        elif isinstance(spec, ByQuery):
            await self._by_query(name, spec, target, owners)
        else:  # pragma: no cover - the registry accepts only the kinds above
            raise TypeError(f"unknown relation kind {type(spec).__name__}")

    # -- to-one: one mget for every distinct id the identity map cannot answer --------------

    async def _to_one(
        self,
        mapping: EntityMapping[Any],
        name: str,
        spec: ToOne[Any],
        target: EntityMapping[Any],
        owners: list[BaseModel],
    ) -> None:
        wanted: dict[tuple[str, str | None], list[BaseModel]] = {}
        for owner in owners:
            raw = getattr(owner, spec.key)
            if raw is None or raw == "":
                _assign(owner, name, One(None))
                continue
            routing = None
            if target.routed:
                routing = spec.routing(owner) if spec.routing is not None else None
                if routing is None:
                    raise InvalidEntityError(
                        f"{mapping.name}.{name}: {target.name} documents are routed, but the "
                        f"relation gave no routing for {target.name} {str(raw)!r}; give the "
                        f"relation routing=lambda owner: ..."
                    )
            wanted.setdefault((str(raw), routing), []).append(owner)
        found: dict[DocRef, BaseModel | None] = {}
        refs: list[DocRef] = []
        identity = self._context.identity
        for doc_id, routing in wanted:
            entry = identity.get((target.entity, target.index, doc_id))
            if entry is not None and entry.source_filter is None:
                found[doc_id, routing] = None if entry.state is State.REMOVED else entry.entity
                continue
            # not tracked, or held only in part: fetched (a partial one is completed)
            refs.append((doc_id, routing))
        if refs:
            found.update(await self._mget(target, refs))
        for key, group in wanted.items():
            for owner in group:
                _assign(owner, name, One(found.get(key)))

    async def _mget(
        self, target: EntityMapping[Any], refs: list[DocRef]
    ) -> dict[DocRef, BaseModel | None]:
        context = self._context
        async with self._slots:
            hits = await context.store.mget(target, refs)
        found: dict[DocRef, BaseModel | None] = {}
        for ref, hit in zip(refs, hits, strict=True):
            # a missing target reads as None; the batch goes on
            found[ref] = (
                None
                if hit is None
                else hydrate(context.identity, target, hit, routing=ref[1], track=self._track)
            )
        return found

    # -- to-many: one terms search over every owner's id, split back per owner --------------

    async def _to_many(
        self,
        mapping: EntityMapping[Any],
        name: str,
        spec: ToMany[Any],
        target: EntityMapping[Any],
        owners: list[BaseModel],
    ) -> None:
        identity = self._context.identity
        by_id: dict[str, list[BaseModel]] = {}
        for owner in owners:
            entry = identity.entry_of(owner)
            owner_id = entry.id if entry is not None else mapping.id_of(owner)
            if owner_id is None:
                _assign(owner, name, Many([]))  # never written, so nothing points at it
            else:
                by_id.setdefault(owner_id, []).append(owner)
        results: dict[str, list[BaseModel]] = {owner_id: [] for owner_id in by_id}
        field = target.stored_names[spec.key]
        ids = list(by_id)
        for start in range(0, len(ids), MAX_TERMS):
            query = {"terms": {field: ids[start : start + MAX_TERMS]}}
            for related in await self._search_all(target, query, spec.sort, None):
                for value in _values(getattr(related, spec.key)):
                    bucket = results.get(str(value))
                    if bucket is not None and (not bucket or bucket[-1] is not related):
                        bucket.append(related)
        # tracked targets point at their owners too: added ones not written yet, and ones
        # written by this unit that a search may not see yet (near-real-time refresh)
        listed = {owner_id: {id(item) for item in items} for owner_id, items in results.items()}
        for entry in identity.entries_in(target.entity, target.index):
            if entry.state is State.REMOVED:
                continue
            for value in _values(getattr(entry.entity, spec.key)):
                owner_id = str(value)
                seen = listed.get(owner_id)
                if seen is not None and id(entry.entity) not in seen:
                    seen.add(id(entry.entity))
                    results[owner_id].append(entry.entity)
        for owner_id, group in by_id.items():
            for owner in group:
                _assign(owner, name, Many(results[owner_id]))

    # -- query-defined: one search per distinct query, concurrently --------------------------

    async def _by_query(
        self, name: str, spec: ByQuery[Any], target: EntityMapping[Any], owners: list[BaseModel]
    ) -> None:
        queries: dict[str, tuple[dict[str, Any], list[BaseModel]]] = {}
        for owner in owners:
            query = _query_body(spec.query(owner))
            if query is None:
                _assign(owner, name, Many([]))
                continue
            key = json.dumps(query, sort_keys=True, default=str)
            queries.setdefault(key, (query, []))[1].append(owner)

        async def one(query: dict[str, Any], group: list[BaseModel]) -> None:
            found = await self._search_all(target, query, spec.sort, spec.size)
            for owner in group:
                _assign(owner, name, Many(found))

        await run_all(one(query, group) for query, group in queries.values())

    # -- searching every match: one search up to the window, else a point in time ----------

    async def _search_all(
        self, target: EntityMapping[Any], query: dict[str, Any], sort: Any, size: int | None
    ) -> list[BaseModel]:
        context = self._context
        window = target.max_result_window
        first = min(size or window, window)
        more_wanted = size is None or size > first
        request = SearchRequest(
            query, sort=sort, size=first, track_total_hits=first if more_wanted else False
        )
        async with self._slots:
            response = await context.store.search(target, request.body(target))
        result = read_result(
            context.identity, target, response, source_filter=None, track=self._track
        )
        items: list[BaseModel] = result.items
        more_found = not result.total_is_exact or result.total > first
        if more_wanted and len(items) >= first and more_found:
            items = await self._stream(target, request, size)
        return [item for item in items if not self._removed(item)]

    async def _stream(
        self, target: EntityMapping[Any], request: SearchRequest, size: int | None
    ) -> list[BaseModel]:
        page = min(_STREAM_PAGE, target.max_result_window)
        stream = HitStream(
            self._context,
            target,
            request.replace(size=None, track_total_hits=False, track=self._track),
            page_size=page,
            keep_alive="1m",
        )
        items: list[BaseModel] = []
        async with self._slots, stream:
            async for entity in stream:
                items.append(entity)
                if size is not None and len(items) >= size:
                    break
        return items

    def _removed(self, entity: BaseModel) -> bool:
        entry = self._context.identity.entry_of(entity)
        return entry is not None and entry.state is State.REMOVED


def _assign(owner: BaseModel, name: str, value: Related[Any]) -> None:
    """Set a loaded relation without validation or change tracking (it is never stored)."""
    owner.__dict__[name] = value
    owner.__pydantic_fields_set__.add(name)


def _query_body(value: Any) -> dict[str, Any] | None:
    """A relation's query as DSL: a query value, a raw dict, or anything with `to_dict()`."""
    if value is not None and not isinstance(value, Mapping):
        to_dict = getattr(value, "to_dict", None)
        if callable(to_dict) and not isinstance(value, Query):
            value = to_dict()
    return to_query_dict(value)


def _values(value: Any) -> Iterable[Any]:
    if isinstance(value, list | tuple | set | frozenset):
        return value
    return () if value is None else (value,)
