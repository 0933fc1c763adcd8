"""A migration's state, kept on the server so a crashed one can be resumed or rolled back.

One document per migrated index name in `<prefix>esorm_migrations`, written through
esorm's own unit of work: creating it is the lock (a second migration of the same index
meets "already exists"), every change is guarded by its version, and a lease says how
long the holder may be silent before another process may take over.
"""

from __future__ import annotations

import datetime
import enum
import os
import socket
import uuid
from typing import Literal

from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel, Field

from esorm.errors import ConflictError
from esorm.indices import IndexManager
from esorm.mapping import Registry
from esorm.migrations._errors import MigrationInProgressError
from esorm.uow import UnitOfWork

LEASE = datetime.timedelta(minutes=2)
"""How long a migration may go without writing its state before others may take over."""


class Phase(enum.StrEnum):
    """Where a migration stands; the first five are unfinished."""

    COPYING = "copying"
    CATCHING_UP = "catching up"
    SWITCHING = "switching"
    ROLLING_BACK = "rolling back"
    FAILED = "failed"
    """Stopped by a fault it may continue after: `resume` (or `rollback`)."""
    DONE = "done"
    """The alias serves the new index; the old one is kept, retired, until `cleanup`."""
    REFUSED = "refused"
    """Stopped by a document it could not carry; the old index serves as before."""
    ROLLED_BACK = "rolled back"
    CLEANED = "cleaned"


FINISHED = frozenset({Phase.DONE, Phase.REFUSED, Phase.ROLLED_BACK, Phase.CLEANED})


class MigrationState(BaseModel):
    """What the server records of one migration of one index name."""

    id: str
    entity: str
    source: str
    target: str
    phase: Phase
    copy_mode: Literal["client", "server"] = "client"
    adopting: bool = False
    """The source is an index under the name itself (from before aliases): the switch
    removes it, so no rollback is possible after it."""
    holder: str = ""
    lease_until: datetime.datetime | None = None
    started_at: datetime.datetime | None = None
    updated_at: datetime.datetime | None = None
    copied: int = 0
    deleted: int = 0
    total: int = 0
    passes: int = 0
    write_pause_ms: float | None = None
    error: str | None = None
    skipped: list[str] = Field(default_factory=list)


def holder_name() -> str:
    """Who runs a migration: host, process and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class StateBook:
    """Reads and writes migration states, creating their index on first use."""

    def __init__(
        self, client: AsyncElasticsearch, registry: Registry, lease: datetime.timedelta = LEASE
    ) -> None:
        self._client = client
        self._lease = lease
        self._registry = Registry(prefix=registry.prefix)
        self._registry.register(MigrationState, index="esorm_migrations")
        self._ready = False

    async def _unit(self) -> UnitOfWork:
        if not self._ready:
            await IndexManager(self._client, self._registry).create_all()
            self._ready = True
        return UnitOfWork(self._client, self._registry)  # reads by id are realtime

    async def get(self, name: str) -> MigrationState | None:
        """The state recorded for an index name, if any."""
        async with await self._unit() as uow:
            return await uow.repository(MigrationState).find(name)

    async def start(self, state: MigrationState) -> MigrationState:
        """Record a new migration, refused while an unfinished one holds the name."""
        state.started_at = state.updated_at = _now()
        state.lease_until = _now() + self._lease
        async with await self._unit() as uow:
            repo = uow.repository(MigrationState)
            existing = await repo.find(state.id)
            if existing is None:
                repo.add(state)
            elif existing.phase in FINISHED:  # a new migration replaces the record, guarded
                for name in type(state).model_fields:
                    setattr(existing, name, getattr(state, name))
            else:
                raise _in_progress(existing)
            try:
                await uow.commit()
            except ConflictError:
                raise MigrationInProgressError(
                    f"another migration of {state.id!r} started at the same moment; "
                    f"see `esorm migrate status`"
                ) from None
        return state

    async def save(self, state: MigrationState, *, take: bool = False) -> None:
        """Write the state back (renewing the lease); refused if another holder took it,
        unless `take` (a finished migration's record, which nobody holds any more)."""
        state.updated_at = _now()
        state.lease_until = _now() + self._lease
        async with await self._unit() as uow:
            repo = uow.repository(MigrationState)
            stored = await repo.get(state.id)
            if stored.holder != state.holder and not take:
                raise MigrationInProgressError(
                    f"migration of {state.id!r} was taken over by {stored.holder}; stopping"
                )
            for name in type(state).model_fields:
                setattr(stored, name, getattr(state, name))
            await uow.commit()

    async def take_over(
        self, name: str, holder: str, *, finished_ok: bool = False
    ) -> MigrationState:
        """Take an unfinished migration whose holder went silent (lease expired), or a
        done one (`finished_ok`, to roll it back)."""
        async with await self._unit() as uow:
            state = await uow.repository(MigrationState).find(name)
            done = state is not None and state.phase is Phase.DONE and finished_ok
            if state is None or (state.phase in FINISHED and not done):
                shown = state.phase if state is not None else "none recorded"
                raise MigrationInProgressError(
                    f"no unfinished migration of {name!r} to take on (latest: {shown})"
                )
            alive = state.lease_until is not None and state.lease_until > _now()
            if alive and not done and state.holder != holder and state.phase is not Phase.FAILED:
                raise _in_progress(state)
            state.holder = holder
            state.lease_until = _now() + self._lease
            await uow.commit()
            return state


def _in_progress(state: MigrationState) -> MigrationInProgressError:
    return MigrationInProgressError(
        f"a migration of {state.id!r} ({state.source} -> {state.target}) is {state.phase}, "
        f"held by {state.holder} until {state.lease_until}; resume it or roll it back first"
    )
