"""Copy, then catch up: bring the new index level with the old one while writers go on.

A catch-up pass compares versions, not contents: every document of the source whose
`_version` is above the target's (or that the target lacks) is copied again; every
document the target holds and the source no longer has is deleted. Copies carry the
source's version (`external`), so a pass that overlaps a writer never puts older data
over newer. Once the source is blocked for writing, one pass leaves nothing behind.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from elasticsearch import AsyncElasticsearch

from esorm.mapping import EntityMapping
from esorm.migrations._carry import Carrier
from esorm.migrations._scan import ID_PAGE, PAGE, pages

COPY_PAGE = 5000
"""Documents per page of the first copy."""

WRITERS = 2
"""Pages of the first copy written at the same time."""

Tick = Callable[[int], None]
"""Told the running count after every batch."""


@dataclass(frozen=True, slots=True)
class PassResult:
    """What one catch-up pass did."""

    copied: int = 0
    deleted: int = 0

    @property
    def changes(self) -> int:
        """Documents the pass had to copy or delete."""
        return self.copied + self.deleted


async def copy_all(
    client: AsyncElasticsearch, carrier: Carrier, source: str, tick: Tick | None = None
) -> int:
    """Copy every document of `source` into the carrier's target; returns how many.

    Reading goes on while earlier pages are written, `WRITERS` of them at once (copies
    commute: each carries its source version).
    """
    copied = 0
    running: set[asyncio.Task[int]] = set()

    async def settle(until: int) -> None:
        nonlocal copied
        while len(running) > until:
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                running.discard(task)
                copied += task.result()
            if tick is not None:
                tick(copied)

    try:
        async for hits in pages(client, source, page=COPY_PAGE):
            running.add(asyncio.create_task(carrier.carry(hits)))
            await settle(WRITERS - 1)
        await settle(0)
    finally:
        for task in running:
            task.cancel()
    return copied


async def catch_up(
    client: AsyncElasticsearch, carrier: Carrier, source: str, tick: Tick | None = None
) -> PassResult:
    """One pass: copy what changed in `source` since its copy, delete what it lost.

    Both indices are walked at once (ids and versions only); the documents the source
    lacks are the target's ids the source walk never met.
    """
    seen: set[str] = set()
    copy, held = await asyncio.gather(
        _copy_newer(client, carrier, source, seen, tick), _target_ids(client, carrier)
    )
    gone = [ref for ref in held if ref[0] not in seen]
    if gone:
        gone = await _still_gone(client, source, gone)
    deleted = await carrier.delete(gone) if gone else 0
    return PassResult(copy, deleted)


async def _copy_newer(
    client: AsyncElasticsearch,
    carrier: Carrier,
    source: str,
    seen: set[str],
    tick: Tick | None,
) -> int:
    copied = 0
    async for hits in pages(client, source, source=carrier.mapping.routed, page=ID_PAGE):
        refs = [_ref(hit, carrier) for hit in hits]
        seen.update(ref[0] for ref in refs)
        held = await _versions(client, carrier.target, refs)
        newer = [
            ref
            for hit, ref, have in zip(hits, refs, held, strict=True)
            if have is None or have < hit["_version"]
        ]
        for start in range(0, len(newer), PAGE):
            copied += await carrier.carry(
                await _documents(client, source, newer[start : start + PAGE])
            )
            if tick is not None:
                tick(copied)
    return copied


async def _target_ids(client: AsyncElasticsearch, carrier: Carrier) -> list[tuple[str, str | None]]:
    refs: list[tuple[str, str | None]] = []
    routed = carrier.mapping.routed
    async for hits in pages(client, carrier.target, source=routed, page=ID_PAGE):
        refs.extend(_ref(hit, carrier, transformed=True) for hit in hits)
    return refs


async def _still_gone(
    client: AsyncElasticsearch, source: str, refs: list[tuple[str, str | None]]
) -> list[tuple[str, str | None]]:
    """Of documents the source walk did not meet, those the source really lacks now (a
    document created after the walk began is not a deletion)."""
    present = await _versions(client, source, refs)
    return [ref for ref, have in zip(refs, present, strict=True) if have is None]


def _ref(
    hit: dict[str, Any], carrier: Carrier, transformed: bool = False
) -> tuple[str, str | None]:
    """A hit's id and routing: as the server says, else from the entity it holds."""
    routing = hit.get("_routing")
    mapping: EntityMapping[Any] = carrier.mapping
    if routing is None and mapping.routed and hit.get("_source") is not None:
        source = dict(hit["_source"])
        if not transformed and carrier.transform is not None:
            source = carrier.transform(source)
        routing = mapping.routing_of(mapping.from_source(source, hit["_id"]))
    return hit["_id"], routing


async def _versions(
    client: AsyncElasticsearch, index: str, refs: Sequence[tuple[str, str | None]]
) -> list[int | None]:
    """The `_version` each document has in `index` (None: it has none), realtime."""
    docs = [_doc(doc_id, routing) for doc_id, routing in refs]
    response = await client.mget(index=index, docs=docs, source=False)
    return [hit.get("_version") if hit.get("found") else None for hit in response["docs"]]


async def _documents(
    client: AsyncElasticsearch, index: str, refs: Sequence[tuple[str, str | None]]
) -> list[dict[str, Any]]:
    """The current documents (source and version) of `refs` in `index`, realtime."""
    docs = [_doc(doc_id, routing) for doc_id, routing in refs]
    response = await client.mget(index=index, docs=docs)
    return [hit for hit in response["docs"] if hit.get("found")]


def _doc(doc_id: str, routing: str | None) -> dict[str, Any]:
    doc: dict[str, Any] = {"_id": doc_id}
    if routing is not None:
        doc["routing"] = routing
    return doc
