"""(g) Migrate an index of 100,000 documents: esorm against `_reindex` and `async_reindex`.

The source is an alias on `...__v1`, as `create_all()` makes it. Every run starts from it
again: the new index, the migration record and the write block of the last run undone.
esorm's row is a whole migration (copy with validation, catch-up pass, switch); the write
pause of its final step is added to its note.
"""

from __future__ import annotations

import statistics
from typing import Any

from elasticsearch import ApiError
from elasticsearch.helpers import async_bulk, async_reindex, async_scan
from pydantic import BaseModel

from benchmarks._context import Bench
from benchmarks._harness import Case, Unavailable
from benchmarks._models import user_sources
from esorm.errors import EsormError
from esorm.indices import IndexManager, concrete_name
from esorm.mapping import Registry
from esorm.migrations import Migration

TIMES = 10
"""Documents migrated per entity of the other workloads (100,000 for 10,000)."""


class Account(BaseModel):
    """The migrated entity: the same five scalar fields as the other workloads' users."""

    id: str
    first_name: str
    last_name: str
    age: int
    region: str


def _registry(bench: Bench) -> Registry:
    registry = Registry(prefix=bench.registry.prefix)
    registry.register(Account, index="accounts")
    return registry


async def prepare(bench: Bench) -> None:
    """The source index behind its alias, filled once."""
    registry = _registry(bench)
    await IndexManager(bench.client, registry).create_all()
    name = registry.mapping_for(Account).index
    sources = user_sources(bench.count * TIMES)
    actions = ({"_index": name, "_id": s["id"], "_source": s} for s in sources)
    await async_bulk(bench.client, actions, chunk_size=2000, refresh="wait_for")


def cases(bench: Bench) -> list[Case]:
    registry = _registry(bench)
    name = registry.mapping_for(Account).index
    old, new = concrete_name(name, 1), concrete_name(name, 2)
    pauses: list[float] = []

    async def reset() -> None:
        """Back to the alias on the filled source, nothing else left."""
        client = bench.client
        await client.options(ignore_status=404).indices.delete(index=new)
        await client.indices.put_settings(index=old, settings={"index.blocks.write": False})
        if not await client.indices.exists_alias(name=name, index=old):
            await client.indices.update_aliases(
                actions=[{"add": {"index": old, "alias": name, "is_write_index": True}}]
            )
        states = registry.prefix + "esorm_migrations"
        await client.options(ignore_status=404).delete_by_query(
            index=states, query={"match_all": {}}, refresh=True
        )

    async def fresh_target() -> None:
        await reset()
        body = registry.mapping_for(Account).index_body()
        await bench.client.indices.create(index=new, **body)

    async def server_reindex(_: Any) -> None:
        await bench.client.reindex(
            source={"index": old},
            dest={"index": new, "version_type": "external"},
            wait_for_completion=True,
            refresh=True,
        )

    async def helper_reindex(_: Any) -> None:
        try:
            await async_reindex(bench.plain, old, new, chunk_size=1000)
        except ApiError as exc:  # it asks for the target's data stream first
            raise Unavailable(f"async_reindex: {exc.message}"[:160]) from exc

    async def scan_and_bulk(_: Any) -> None:
        """What async_reindex does, by hand (it needs the data stream API the embedded
        server lacks): a scan of the source into bulk requests of the target."""
        actions = (
            {"_index": new, "_id": hit["_id"], "_source": hit["_source"]}
            async for hit in async_scan(bench.plain, index=old, size=5000)
        )
        await async_bulk(bench.plain, actions, chunk_size=2500)

    async def esorm_client(_: Any) -> None:
        report = await Migration(bench.client, registry, Account, force=True).run()
        if report.write_pause_ms is not None:
            pauses.append(report.write_pause_ms)

    async def esorm_server(_: Any) -> None:
        try:
            await Migration(bench.client, registry, Account, copy="server", force=True).run()
        except EsormError as exc:
            raise Unavailable(f"the server's _reindex task: {exc}"[:160]) from exc

    async def copied(_: Any) -> None:
        await bench.client.indices.refresh(index=new)
        found = (await bench.client.count(index=new))["count"]
        assert found == bench.count * TIMES, f"{found} documents copied"

    def pause() -> str:
        return f"write pause {statistics.median(pauses):.0f} ms (median)" if pauses else ""

    return [
        Case("server _reindex", "elasticsearch", "baseline", server_reindex, fresh_target,
             note="the cluster copies; no validation, no catch-up", check=copied),
        Case("helpers.async_reindex", "elasticsearch", "info", helper_reindex, fresh_target,
             note="scan + bulk, no versions", check=copied),
        Case("raw async_scan + async_bulk", "elasticsearch", "info", scan_and_bulk, fresh_target,
             note="async_reindex's way, by hand: no validation, no versions", check=copied),
        Case("esorm Migration.run, client copy", "esorm", "target", esorm_client, reset,
             note="copy validated, catch-up, switch", check=copied, describe=pause),
        Case("esorm Migration.run, server copy", "esorm", "info", esorm_server, reset,
             note="_reindex, catch-up, switch", check=copied),
    ]  # fmt: skip
