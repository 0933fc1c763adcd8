"""Walking every document of one concrete index, page by page, through a point in time."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

from elasticsearch import AsyncElasticsearch

PAGE = 1000
"""Documents per page of a copy (full sources)."""

ID_PAGE = 10_000
"""Documents per page of a version scan (ids and versions only): fewer, larger pages cost
far less per document, and 10,000 is the default most a page may hold."""


async def pages(
    client: AsyncElasticsearch,
    index: str,
    *,
    source: bool | Sequence[str] = True,
    page: int = PAGE,
) -> AsyncIterator[list[dict[str, Any]]]:
    """Every document of `index` with `_version` and `_seq_no`, `page` at a time.

    The index is refreshed first, so the walk sees every write made before it started.
    """
    await client.indices.refresh(index=index)
    pit = (await client.open_point_in_time(index=index, keep_alive="2m"))["id"]
    body: dict[str, Any] = {
        "size": page,
        "sort": [{"_shard_doc": "asc"}],
        "version": True,
        "seq_no_primary_term": True,
        "track_total_hits": False,
        "_source": source if isinstance(source, bool) else {"includes": list(source)},
    }
    try:
        after: list[Any] | None = None
        while True:
            request = {**body, "pit": {"id": pit, "keep_alive": "2m"}}
            if after is not None:
                request["search_after"] = after
            response = await client.search(body=request)
            pit = response.get("pit_id", pit)
            hits = response["hits"]["hits"]
            if hits:
                yield hits
            if len(hits) < page:
                return
            after = hits[-1]["sort"]
    finally:
        with contextlib.suppress(Exception):
            await client.close_point_in_time(id=pit)


async def count(client: AsyncElasticsearch, index: str) -> int:
    """How many documents an index holds (refreshed first)."""
    await client.indices.refresh(index=index)
    return int((await client.count(index=index))["count"])


WriteMark = tuple[tuple[str, int], ...]
"""The highest sequence number of every primary shard: it moves with every write."""


async def write_mark(client: AsyncElasticsearch, index: str) -> WriteMark:
    """Where an index's writes stand now. Equal marks mean no write happened in between
    (sequence numbers never go back), so a pass over an unchanged index can be skipped."""
    stats = await client.indices.stats(index=index, level="shards", metric="docs")
    shards = stats["indices"][index]["shards"]
    mark: list[tuple[str, int]] = []
    for number, copies in shards.items():
        for copy in copies:
            if (copy.get("routing") or {}).get("primary", True):
                mark.append((number, int((copy.get("seq_no") or {}).get("max_seq_no", -1))))
    return tuple(sorted(mark))
