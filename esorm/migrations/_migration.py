"""A migration of one entity's index: copy into a new index, catch up, switch, keep the old.

`run()`: record the migration (the lock), create the next versioned index from the
entity's current mapping, copy every document (client-side, through a point in time and
a transform; or the server's `_reindex`), catch up with the writes made meanwhile, then
the final step: block writes on the old index, copy what is left, move the alias in one
request. The old index stays, retired, until `cleanup()`; `rollback()` moves the alias
back with the same catch-up in the other direction.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass
from typing import Any, Literal

from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel

from esorm.indices import IndexManager, Layout, LayoutKind, PlanStatus, concrete_name, layout_of
from esorm.mapping import Registry
from esorm.migrations._carry import Carrier, OnInvalid, Transform
from esorm.migrations._errors import DocumentRefusedError, MigrationError
from esorm.migrations._progress import MigrationProgress, ProgressCallback
from esorm.migrations._reindex import server_copy
from esorm.migrations._scan import WriteMark, count, write_mark
from esorm.migrations._state import LEASE, MigrationState, Phase, StateBook, holder_name
from esorm.migrations._switch import Stopwatch, block_writes, move_alias
from esorm.migrations._sync import catch_up, copy_all
from esorm.store import ElasticsearchStore
from esorm.telemetry import logger

CopyMode = Literal["client", "server"]


@dataclass(frozen=True, slots=True)
class MigrationReport:
    """What a migration did."""

    name: str
    source: str
    target: str
    phase: Phase
    copied: int = 0
    deleted: int = 0
    passes: int = 0
    write_pause_ms: float | None = None
    seconds: float = 0.0
    skipped: tuple[str, ...] = ()

    def __str__(self) -> str:
        pause = f", writes paused {self.write_pause_ms:.0f} ms" if self.write_pause_ms else ""
        return (
            f"{self.name}: {self.source} -> {self.target} {self.phase}: {self.copied} copied, "
            f"{self.deleted} deleted, {self.passes} catch-up passes in {self.seconds:.1f} s"
            f"{pause}"
        )


class Migration:
    """Moves an entity's documents into a new index built from its current mapping.

    Args:
        copy: "client" (point in time + bulk, validated, with `transform`) or "server"
            (`_reindex`, sliced; no transform).
        transform: upcasts each stored document to the new entity's shape.
        on_invalid: "stop" at the first document that cannot be carried (naming it), or
            "skip" it and list it in the report.
        reverse: the transform back, for `rollback()` (documents go back as they are
            without one).
        settle_below: catch up while a pass changes more documents than this, then
            switch; the write pause covers one pass of that size.
        max_passes: catch-up passes before switching anyway.
        force: migrate even when the live index already matches the entity (to apply a
            transform, or change settings).
        lease: how long this migration may go without recording progress before another
            process may `resume` it (it records after every catch-up pass and phase).
    """

    def __init__(
        self,
        client: AsyncElasticsearch,
        registry: Registry,
        entity: type[BaseModel],
        *,
        copy: CopyMode = "client",
        transform: Transform | None = None,
        reverse: Transform | None = None,
        on_invalid: OnInvalid = "stop",
        slices: int | None = None,
        settle_below: int = 100,
        max_passes: int = 5,
        force: bool = False,
        lease: datetime.timedelta = LEASE,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        if copy == "server" and transform is not None:
            raise MigrationError("a server-side copy (_reindex) cannot run a Python transform")
        self._client = client
        self._registry = registry
        self._mapping = registry.mapping_for(entity)
        self._store = ElasticsearchStore(client)
        self._book = StateBook(client, registry, lease)
        self._copy, self._transform, self._reverse = copy, transform, reverse
        self._on_invalid, self._slices, self._force = on_invalid, slices, force
        self._settle_below, self._max_passes = settle_below, max_passes
        self._on_progress = on_progress
        self._holder = holder_name()
        self._skipped: list[str] = []

    @property
    def name(self) -> str:
        """The index name (alias) being migrated."""
        return self._mapping.index

    async def status(self) -> MigrationState | None:
        """What the server records of this index's latest migration."""
        return await self._book.get(self.name)

    # -- run --------------------------------------------------------------------------------

    async def run(self) -> MigrationReport:
        """Migrate now; see the module docstring. Raises `MigrationInProgressError` while
        another migration holds the index, `DocumentRefusedError` naming a document that
        cannot be carried (the old index keeps serving, the new one is deleted)."""
        layout = await self._layout_to_migrate()
        state = MigrationState(
            id=self.name,
            entity=self._mapping.name,
            source=str(layout.write_index),
            target=concrete_name(self.name, layout.version + 1),
            phase=Phase.COPYING,
            copy_mode=self._copy,
            adopting=layout.kind is LayoutKind.INDEX,
            holder=self._holder,
        )
        await self._book.start(state)
        started = time.perf_counter()
        await self._guarded(state, self._copy_and_switch(state, fresh=True))
        return self._report(state, started)

    async def resume(self) -> MigrationReport:
        """Go on with an unfinished migration (its holder crashed or the server went away):
        catch-up passes copy whatever the new index lacks, then the switch."""
        state = await self._book.take_over(self.name, self._holder)
        started = time.perf_counter()
        if state.phase is Phase.ROLLING_BACK:
            await self._guarded(state, self._roll_back(state))
        elif await self._switched(state):
            await self._done(state, state.write_pause_ms)
        else:
            exists = await self._client.indices.exists(index=state.target)
            await self._guarded(state, self._copy_and_switch(state, fresh=not exists))
        return self._report(state, started)

    async def _layout_to_migrate(self) -> Layout:
        plan = await IndexManager(self._client, self._registry).plan_for(self._mapping.entity)
        layout = await layout_of(self._client, self.name)
        if plan.status is PlanStatus.MISSING or layout.write_index is None:
            raise MigrationError(
                f"{self._mapping.name}: index {self.name!r} does not exist: nothing to "
                f"migrate; create it with IndexManager(client, registry).create_all()"
            )
        current = plan.status is PlanStatus.UP_TO_DATE and layout.kind is LayoutKind.ALIAS
        if current and not self._force:
            raise MigrationError(
                f"{self._mapping.name}: {self.name!r} ({layout.write_index}) already matches the "
                f"entity: nothing to migrate (force=True migrates anyway, e.g. for a transform)"
            )
        return layout

    async def _copy_and_switch(self, state: MigrationState, *, fresh: bool) -> None:
        carrier = self._carrier(state.target)
        mark = None  # unknown: a resumed copy catches up over everything
        if fresh:
            await self._create_target(state.target)
            state.phase, state.total = Phase.COPYING, await count(self._client, state.source)
            await self._book.save(state)
            mark = await write_mark(self._client, state.source)
            state.copied = await self._copy_documents(state, carrier)
            await self._book.save(state)
        mark = await self._catch_up(state, carrier, mark)
        await self._switch(state, carrier, mark)

    async def _copy_documents(self, state: MigrationState, carrier: Carrier) -> int:
        tick = self._ticker("copying", state.total)
        if self._copy == "server":
            copied = await server_copy(self._client, state.source, state.target, self._slices, tick)
            return copied
        return await copy_all(self._client, carrier, state.source, tick)

    async def _catch_up(
        self, state: MigrationState, carrier: Carrier, mark: WriteMark | None
    ) -> WriteMark | None:
        """Passes while writers change the source; returns where its writes stood when the
        last pass began (the target holds everything written before that)."""
        state.phase = Phase.CATCHING_UP
        tick = self._ticker("catching up")
        for _ in range(self._max_passes):
            now = await write_mark(self._client, state.source)
            if now == mark:
                break  # nothing was written since the copy or the last pass began
            result = await catch_up(self._client, carrier, state.source, tick)
            state.passes += 1
            state.copied += result.copied
            state.deleted += result.deleted
            await self._book.save(state)
            mark = now
            if result.changes <= self._settle_below:
                break
        return mark

    async def _switch(
        self, state: MigrationState, carrier: Carrier, mark: WriteMark | None
    ) -> None:
        state.phase = Phase.SWITCHING
        await self._book.save(state)
        # searches through the alias must see every copy the moment it moves
        await self._client.indices.refresh(index=state.target)
        watch = Stopwatch()
        await block_writes(self._client, state.source)
        try:
            # the source no longer changes: one pass leaves nothing, none if nothing moved
            if await write_mark(self._client, state.source) != mark:
                result = await catch_up(self._client, carrier, state.source)
                state.copied += result.copied
                state.deleted += result.deleted
                await self._client.indices.refresh(index=state.target)
            await move_alias(
                self._client, self.name, state.source, state.target, adopting=state.adopting
            )
        except BaseException:
            await block_writes(self._client, state.source, blocked=False)
            raise
        await self._done(state, watch.ms)

    async def _done(self, state: MigrationState, pause: float | None) -> None:
        state.phase, state.write_pause_ms, state.error = Phase.DONE, pause, None
        state.skipped = list(self._skipped)
        await self._book.save(state)
        logger.info(
            "migration %s: %s -> %s done, writes paused %.0f ms",
            self.name,
            state.source,
            state.target,
            pause or 0.0,
        )

    # -- rollback, cleanup ----------------------------------------------------------------

    async def rollback(self) -> MigrationReport:
        """Undo a migration before `cleanup()`: an unfinished one is abandoned (the old
        index never stopped serving); a finished one has the alias moved back, with the
        writes made to the new index meanwhile copied back first."""
        state = await self._book.take_over(self.name, self._holder, finished_ok=True)
        started = time.perf_counter()
        if state.phase is Phase.DONE or state.phase is Phase.ROLLING_BACK:
            if state.adopting:
                raise MigrationError(
                    f"{self.name!r} was adopted from an index of the same name, which the "
                    f"switch removed: there is nothing to roll back to"
                )
            await self._guarded(state, self._roll_back(state))
        else:
            await self._abandon(state)
        return self._report(state, started)

    async def _roll_back(self, state: MigrationState) -> None:
        state.phase = Phase.ROLLING_BACK
        await self._book.save(state)
        back = Carrier(self._store, self._mapping, state.source, self._reverse, validate=False)
        # the old index takes the copies back while the alias still serves the new one
        await block_writes(self._client, state.source, blocked=False)
        result = await catch_up(self._client, back, state.target, self._ticker("rolling back"))
        watch = Stopwatch()
        await block_writes(self._client, state.target)
        try:
            result = await catch_up(self._client, back, state.target)
            await move_alias(self._client, self.name, state.target, state.source)
        except BaseException:
            await block_writes(self._client, state.source)
            await block_writes(self._client, state.target, blocked=False)
            raise
        state.phase, state.write_pause_ms = Phase.ROLLED_BACK, watch.ms
        state.copied, state.deleted = result.copied, result.deleted
        await self._book.save(state)

    async def _abandon(self, state: MigrationState) -> None:
        """Stop an unfinished migration: writes never left the old index."""
        await self._client.options(ignore_status=404).indices.delete(index=state.target)
        if await self._client.indices.exists(index=state.source):
            await block_writes(self._client, state.source, blocked=False)
        state.phase = Phase.ROLLED_BACK
        await self._book.save(state)

    async def cleanup(self) -> MigrationReport:
        """Delete the index a finished migration left behind: the retired old one after
        it was done, the abandoned new one after a rollback."""
        state = await self._book.get(self.name)
        if state is None or state.phase not in (Phase.DONE, Phase.ROLLED_BACK):
            shown = state.phase if state is not None else "none recorded"
            raise MigrationError(
                f"{self.name!r}: only a done or rolled back migration can be cleaned up "
                f"(this one: {shown})"
            )
        left = state.source if state.phase is Phase.DONE else state.target
        await self._client.options(ignore_status=404).indices.delete(index=left)
        state.phase, state.holder = Phase.CLEANED, self._holder
        await self._book.save(state, take=True)
        return self._report(state, time.perf_counter())

    # -- helpers ---------------------------------------------------------------------------

    async def _guarded(self, state: MigrationState, work: Any) -> None:
        """Run a step; record how it ended so a later `resume` or `rollback` knows."""
        try:
            await work
        except DocumentRefusedError as exc:
            state.phase, state.error = Phase.REFUSED, str(exc)
            await self._client.options(ignore_status=404).indices.delete(index=state.target)
            await self._client.indices.put_settings(
                index=state.source, settings={"index.blocks.write": False}
            )
            await self._book.save(state)
            raise
        except BaseException as exc:
            state.phase, state.error = Phase.FAILED, f"{type(exc).__name__}: {exc}"
            try:
                await self._book.save(state)
            except Exception:  # the server may be gone: the lease expires, resume then
                logger.warning("migration %s: could not record the failure", self.name)
            raise

    async def _create_target(self, target: str) -> None:
        await self._client.options(ignore_status=404).indices.delete(index=target)
        body = self._mapping.index_body()
        await self._client.indices.create(
            index=target, mappings=body.get("mappings"), settings=body.get("settings")
        )

    async def _switched(self, state: MigrationState) -> bool:
        layout = await layout_of(self._client, self.name)
        return layout.write_index == state.target

    def _carrier(self, target: str) -> Carrier:
        carrier = Carrier(self._store, self._mapping, target, self._transform, self._on_invalid)
        self._skipped = carrier.skipped
        return carrier

    def _ticker(self, phase: str, total: int = 0) -> Any:
        callback, started = self._on_progress, time.perf_counter()
        if callback is None:
            return None
        return lambda done: callback(
            MigrationProgress(phase, done, total, time.perf_counter() - started)
        )

    def _report(self, state: MigrationState, started: float) -> MigrationReport:
        return MigrationReport(
            self.name,
            state.source,
            state.target,
            state.phase,
            state.copied,
            state.deleted,
            state.passes,
            state.write_pause_ms,
            time.perf_counter() - started,
            tuple(state.skipped),
        )
