"""Execution history of locally run watches, in an index under the registry's prefix.

One document per execution (watch id, trigger and execution times, condition result, each
action's outcome, duration), written through a `UnitOfWork`, so "did the purge run last
night" has an answer. Retention is bounded: records older than the retention period are
deleted with `_delete_by_query` when the runner starts and then at most once an hour.
"""

from __future__ import annotations

import operator
from datetime import datetime, timedelta
from functools import reduce
from typing import Annotated, Any

from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel

from esorm.client import client_hosts, translate_transport_errors
from esorm.domain import Text
from esorm.mapping import Registry
from esorm.query import Sort, fields
from esorm.uow import UnitOfWork

PURGE_EVERY = timedelta(hours=1)


class ActionRecord(BaseModel):
    """One action's outcome: `success`, `failure`, `throttled`, `condition_failed`..."""

    id: str
    type: str
    status: str
    reason: Annotated[str, Text()] | None = None
    logged_text: Annotated[str, Text()] | None = None
    status_code: int | None = None
    response_body: Annotated[str, Text()] | None = None
    index: str | None = None
    indexed: int | None = None
    deleted: int | None = None
    version_conflicts: int | None = None


class WatchRecord(BaseModel):
    """One execution of a watch, as the history index keeps it.

    Attributes:
        watch_id: the watch (registry prefix included).
        node: the runner that executed it.
        trigger: `schedule` or `manual`.
        scheduled_time: when the trigger was due (None for manual runs).
        triggered_time: when the runner started it.
        state: `executed`, `execution_not_needed` (condition not met), `throttled` (every
            action throttled) or `failed`; `abandoned` for an execution whose runner
            stopped before finishing (found when another runner took over).
        condition_met: whether the watch's condition held (None when not evaluated).
        duration_ms: how long the execution took.
    """

    id: str
    watch_id: str
    node: str
    trigger: str
    scheduled_time: datetime | None = None
    triggered_time: datetime
    execution_time: datetime
    duration_ms: int = 0
    state: str
    condition_met: bool | None = None
    hits_total: int | None = None
    actions: list[ActionRecord] = []
    messages: list[Annotated[str, Text()]] = []


class WatchHistory:
    """Writes, reads and trims the execution history of one registry's watches."""

    def __init__(
        self,
        client: AsyncElasticsearch,
        registry: Registry,
        *,
        retention: timedelta | None,
    ) -> None:
        self._client = client
        self._registry = registry
        self.retention = retention
        self._purged_at: datetime | None = None

    @property
    def index(self) -> str:
        """The history index (registry prefix included)."""
        return self._registry.mapping_for(WatchRecord).index

    async def record(self, record: WatchRecord) -> None:
        """Store one execution record."""
        async with UnitOfWork(self._client, self._registry) as uow:
            uow.add(record)
            await uow.commit()

    async def records(
        self,
        watch_id: str | None = None,
        *,
        since: datetime | None = None,
        state: str | None = None,
        size: int = 100,
        refresh: bool = False,
    ) -> list[WatchRecord]:
        """The latest records, newest first, of one watch or all, since a time, in a state.

        Args:
            refresh: refresh the index first, so records written a moment ago are found.
        """
        if refresh:
            with translate_transport_errors(client_hosts(self._client)):
                await self._client.indices.refresh(index=self.index)
        R = fields(self._registry.mapping_for(WatchRecord))
        clauses: list[Any] = []
        if watch_id is not None:
            clauses.append(R.watch_id == watch_id)
        if since is not None:
            clauses.append(R.execution_time >= since)
        if state is not None:
            clauses.append(R.state == state)
        query = reduce(operator.and_, clauses) if clauses else None
        async with UnitOfWork(self._client, self._registry) as uow:
            found = await uow.repository(WatchRecord).search(
                query, sort=Sort(R.execution_time.desc()), size=size
            )
            return [r.model_copy(deep=True) for r in found.items]

    async def purge(self, now: datetime, *, force: bool = False) -> int:
        """Delete records older than the retention period; at most once an hour unless forced.

        Returns how many records were deleted.
        """
        if self.retention is None:
            return 0
        if not force and self._purged_at is not None and now - self._purged_at < PURGE_EVERY:
            return 0
        self._purged_at = now
        cutoff = now - self.retention
        with translate_transport_errors(client_hosts(self._client)):
            response = await self._client.delete_by_query(
                index=self.index,
                query={"range": {"execution_time": {"lt": cutoff.isoformat()}}},
                conflicts="proceed",
                refresh=True,
            )
        return int(response.body.get("deleted", 0))
