"""The server-side copy: Elasticsearch's own `_reindex`, sliced, watched through its task.

Faster than any client for plain copies (the documents never leave the cluster), but it
runs no Python transform and validates nothing; catch-up passes and the switch follow as
for a client-side copy. It writes with `version_type: external`, like every copy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from elasticsearch import ApiError, AsyncElasticsearch

from esorm.migrations._errors import MigrationError

POLL = 0.5
"""Seconds between looks at the task's progress."""


async def server_copy(
    client: AsyncElasticsearch,
    source: str,
    target: str,
    slices: int | None,
    tick: Callable[[int], None] | None = None,
) -> int:
    """Copy `source` into `target` with `_reindex`; returns the documents it wrote."""
    started = await client.reindex(
        source={"index": source},
        dest={"index": target, "version_type": "external"},
        conflicts="proceed",
        slices=slices or 1,
        wait_for_completion=False,
        refresh=True,
    )
    task = str(started["task"])
    while True:
        try:
            progress = await client.tasks.get(task_id=task)
        except ApiError as exc:
            raise MigrationError(
                f"_reindex {source} -> {target}: the cluster cannot tell how task {task} "
                f"goes ({exc.meta.status}: {exc.message}); the old index keeps serving; "
                f"copy client-side instead (copy='client')"
            ) from exc
        status = progress["task"].get("status") or {}
        done = int(status.get("created", 0)) + int(status.get("updated", 0))
        if tick is not None:
            tick(done)
        if progress.get("completed"):
            failures = (progress.get("response") or {}).get("failures") or []
            if failures:
                raise MigrationError(
                    f"_reindex {source} -> {target} failed for {len(failures)} documents, "
                    f"e.g. {failures[0]}; the old index keeps serving"
                )
            return done
        await asyncio.sleep(POLL)
