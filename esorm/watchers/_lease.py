"""Who executes a trigger: a per-watch lease document written with esorm's concurrency guards.

One `WatchState` document per watch holds the scheduled time of the latest trigger taken.
A runner takes trigger T only if that time is older than T and nobody holds an unexpired
lease: the first runner creates the document (`add`, refused when it exists) or changes the
loaded one (an `index` guarded by `if_seq_no`), and a conflict means another runner got
there first, so the decision is made again from a fresh load. Two runners therefore never
execute the same trigger, and one that dies mid-execution only blocks the watch until its
lease expires; the next runner to take over records the abandoned execution. Every read
and write goes through a `UnitOfWork` retried on conflict, so status changes made meanwhile
(an ack) are merged rather than overwritten.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from elasticsearch import AsyncElasticsearch

from esorm.mapping import Registry
from esorm.uow import UnitOfWork
from esorm.watchers import _status
from esorm.watchers._status import StatusChange, WatchState

_ATTEMPTS = 6
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Lease:
    """A trigger this runner took: the state as loaded, and any execution it abandoned."""

    watch_id: str
    run_id: str
    trigger: datetime | None
    state: WatchState
    abandoned: WatchState | None = None


@dataclass(frozen=True, slots=True)
class Skip:
    """A trigger this runner does not execute, and why."""

    reason: str


class LeaseStore:
    """Takes, renews and releases leases for one runner (`node`)."""

    def __init__(
        self,
        client: AsyncElasticsearch,
        registry: Registry,
        *,
        node: str,
        clock: Callable[[], datetime],
        ttl: timedelta,
    ) -> None:
        self._client = client
        self._registry = registry
        self.node = node
        self._clock = clock
        self.ttl = ttl

    async def acquire(self, watch_id: str, trigger: datetime | None) -> Lease | Skip:
        """Take the watch for `trigger` (None: a manual run, which leaves the trigger as is)."""
        run_id = uuid.uuid4().hex

        async def take(uow: UnitOfWork) -> Lease | Skip:
            repo = uow.repository(WatchState)
            now = self._clock()
            state = await repo.find(watch_id)
            if state is None:
                state = repo.add(WatchState(id=watch_id))
            elif trigger is not None and state.trigger is not None and state.trigger >= trigger:
                taken = state.taken_by or "another runner"
                return Skip(f"trigger {trigger.isoformat()} was already taken by {taken}")
            abandoned = None
            if state.holder is not None:
                if state.expires_at is not None and state.expires_at > now:
                    until = state.expires_at.isoformat()
                    return Skip(f"{state.holder} is still executing it (lease until {until})")
                abandoned = state.model_copy(deep=True)
            if trigger is not None:
                state.trigger = trigger
            state.taken_by = self.node
            state.holder, state.run_id = self.node, run_id
            state.expires_at = now + self.ttl
            return Lease(watch_id, run_id, trigger, state.model_copy(deep=True), abandoned)

        return await self._run(take)

    async def renew(self, lease: Lease) -> bool:
        """Push the lease's expiry forward; False when another runner took it over."""

        async def extend(uow: UnitOfWork) -> bool:
            state = await uow.repository(WatchState).find(lease.watch_id)
            if state is None or state.run_id != lease.run_id:
                return False
            state.expires_at = self._clock() + self.ttl
            return True

        return await self._run(extend)

    async def release(self, lease: Lease, change: StatusChange | None) -> bool:
        """Record the execution's status change and free the watch; False if lost meanwhile."""

        async def free(uow: UnitOfWork) -> bool:
            state = await uow.repository(WatchState).find(lease.watch_id)
            if state is None or state.run_id != lease.run_id:
                return False
            if change is not None:
                _status.apply(state, change)
            state.holder = state.run_id = state.expires_at = None
            return True

        return await self._run(free)

    async def acknowledge(self, watch_id: str, actions: list[str]) -> list[str]:
        """Ack the named actions of a watch that are ackable; the ones acked now."""

        async def ack(uow: UnitOfWork) -> list[str]:
            repo = uow.repository(WatchState)
            state = await repo.find(watch_id)
            if state is None:
                return []
            return _status.acknowledge(state, actions, self._clock())

        return await self._run(ack)

    async def read(self, watch_id: str) -> WatchState | None:
        """The stored state of a watch, or None before its first execution."""

        async def load(uow: UnitOfWork) -> WatchState | None:
            state = await uow.repository(WatchState).find(watch_id)
            return None if state is None else state.model_copy(deep=True)

        return await self._run(load)

    async def _run(self, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        """Run `work` in a fresh unit and commit; again from fresh loads after a conflict
        (`ConflictError` once the attempts are used up)."""
        uow = UnitOfWork(self._client, self._registry)
        return await uow.run(work, attempts=_ATTEMPTS, base_delay=0.01, max_delay=0.2)
