"""The public unit of work: repositories over one identity map, one commit through `_bulk`."""

from __future__ import annotations

import asyncio
import datetime
import enum
import time
import typing
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self, TypeVar

from pydantic import BaseModel

from esorm.errors import CommitError, ConflictError, EsormError, UnitOfWorkStateError
from esorm.events import DispatchReport, MessageBus, StoredEvent
from esorm.mapping import Registry
from esorm.repository import (
    Entry,
    Expected,
    IdentityMap,
    Repository,
    RepositoryContext,
    ScopeMark,
    TaskGuard,
    close_streams,
    entry_etag,
    pending_changes,
)
from esorm.store import DocumentStore, Refresh, as_store
from esorm.telemetry import span
from esorm.uow._bulk import BulkSettings
from esorm.uow._dispatch import dispatch_confirmed
from esorm.uow._doubts import settle_doubts
from esorm.uow._events import EventsHook
from esorm.uow._flush import Flush, FlushHook
from esorm.uow._lifecycle import AfterCommitHook, BeforeWriteHook, CommitHook, call_hook
from esorm.uow._outbox import Rewrite, rewrite_outboxes
from esorm.uow._outcome import Outcome
from esorm.uow._preconditions import refusal_of
from esorm.uow._recorded import drop_recorded_events, with_recorded_events
from esorm.uow._report import report_commit
from esorm.uow._retry import run_with_retry
from esorm.uow._timestamps import TimestampHook

if typing.TYPE_CHECKING:
    from elasticsearch import AsyncElasticsearch

E = TypeVar("E", bound=BaseModel)
T = TypeVar("T")


class Phase(enum.Enum):
    """Lifecycle of a unit of work: idle until entered, active inside `async with`."""

    IDLE = "idle"
    ACTIVE = "active"
    COMMITTING = "committing"


@dataclass(frozen=True, slots=True)
class CommitResult:
    """What a successful commit wrote, how many bulk requests it took, and what became of
    the events its entities recorded (`dispatched`)."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    requests: int = 0
    dispatched: DispatchReport = field(default_factory=DispatchReport)

    @property
    def written(self) -> int:
        """Operations confirmed by the server."""
        return self.created + self.updated + self.deleted


class UnitOfWork:
    """Tracks loaded and added entities and writes every change in one `commit()`.

    Use one per task, inside `async with`; leaving the block without `commit()`
    discards pending work. Two tasks using it at the same time (`asyncio.gather` over
    one unit) fail clearly; handing it from one task to the next works. Entering it
    again while it is active (a use case called with a request's open unit) joins it:
    see `__aenter__`.
    Declare repositories as annotated attributes on a subclass
    (`users: Repository[User]`) or ask for them with `repository(User)`.

    Args:
        client: where documents live: an `AsyncElasticsearch` client (wrapped in an
            `ElasticsearchStore`), or any `DocumentStore`.
        bulk_concurrency: bulk requests of one commit in flight at once (2: the next
            chunk is serialized while the server indexes the last; 1: one after another).
        hooks: flush hooks run around every commit's flush, after the built-in
            timestamps hook.
        bus: where the events of entities whose write a commit confirmed go
            (`esorm.events.MessageBus`); without one, only outbox entities may record
            events (the relay delivers them).
        before_commit: called with the unit of work when `commit()` starts, before
            anything is planned; may change and add entities; raising refuses the commit.
        after_commit: called with the unit of work and the `CommitResult` after each
            commit that wrote everything it planned, once its events were handled.
    """

    def __init__(
        self,
        client: AsyncElasticsearch | DocumentStore,
        registry: Registry,
        *,
        refresh: Refresh = False,
        chunk_size: int = 500,
        chunk_bytes: int = 10 * 1024 * 1024,
        bulk_concurrency: int = 2,
        rejected_retries: int = 3,
        rejected_backoff: float = 0.5,
        blocked_wait: float = 30.0,
        relation_concurrency: int = 16,
        hooks: typing.Sequence[FlushHook] = (),
        bus: MessageBus | None = None,
        before_commit: Sequence[CommitHook] = (),
        after_commit: Sequence[AfterCommitHook] = (),
    ) -> None:
        self._bulk = BulkSettings(
            chunk_size=chunk_size,
            chunk_bytes=chunk_bytes,
            concurrency=bulk_concurrency,
            refresh=refresh,
            rejected_retries=rejected_retries,
            rejected_backoff=rejected_backoff,
            blocked_wait=blocked_wait,
        )
        self._registry = registry
        self._context = RepositoryContext(
            as_store(client),
            registry,
            guard=TaskGuard(self._check_usable),
            relation_concurrency=relation_concurrency,
        )
        self._timestamps = TimestampHook()
        self._hooks: tuple[FlushHook, ...] = tuple(hooks)
        self._bus = bus
        self._before_commit = tuple(before_commit)
        self._after_commit = tuple(after_commit)
        self._phase = Phase.IDLE
        self._written = 0  # operations confirmed since the (innermost) block was entered
        self._scopes: list[ScopeMark] = []  # joined blocks, innermost last
        self._owner: asyncio.Task[Any] | None = None
        self._repositories: dict[type[BaseModel], Repository[Any]] = {}
        for name, (repository_class, entity) in _declared_repositories(type(self)).items():
            repository = repository_class(self._context, entity)
            self._repositories.setdefault(entity, repository)
            setattr(self, name, repository)

    # -- lifecycle --------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        """Enter the unit; entering it again from the task using it joins it.

        A joined block is a scope of the outer one: its `commit()` writes everything
        pending in the unit, and when it ends, what it did not commit is undone (entities
        it began tracking are forgotten, entities it found are put back as it found them);
        ending with an error, it also forgets what it loaded and reloads the entities it
        found that conflicted, so a retry starts fresh. Only the outermost exit ends the
        unit. Another task cannot enter it while the task that entered it still runs.
        """
        if self._phase is Phase.IDLE:
            self._phase = Phase.ACTIVE
            self._written = 0
            self._owner = asyncio.current_task()
            return self
        self._join()
        return self

    def _join(self) -> None:
        task, owner = asyncio.current_task(), self._owner
        if self._phase is Phase.COMMITTING or (
            owner is not None and owner is not task and not owner.done()
        ):
            holder = f" by task {owner.get_name()!r}" if owner is not None else ""
            raise UnitOfWorkStateError(
                f"{type(self).__name__} is already in use{holder}; create one unit of work "
                f"per task (the task that entered it may enter it again, joining it)"
            )
        self._context.guard.check()
        self._owner = task
        self._scopes.append(ScopeMark.take(self._context, self._written))
        self._written = 0

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._scopes:
            await self._leave_scope(exc)
            return
        try:
            await close_streams(self._context)
        finally:
            self._forget()
            self._phase = Phase.IDLE
            self._owner = None

    async def _leave_scope(self, error: BaseException | None) -> None:
        """End a joined block: undo what it did not commit; after an error, start fresh."""
        scope = self._scopes.pop()
        with self._context.guard.operation():
            scope.undo(self._context, forget_loaded=error is not None)
            if error is not None:
                await scope.reload_conflicts(self._context, error)
        self._written += scope.written_before

    def _forget(self) -> None:
        """Discard what is tracked, and the events its entities recorded."""
        sources = self._registry.event_sources
        if sources:
            drop_recorded_events(self._context.identity, sources)
        self._context.identity.clear()

    @property
    def store(self) -> DocumentStore:
        """Where this unit of work reads and writes documents."""
        return self._context.store

    @property
    def registry(self) -> Registry:
        """The registry that maps this unit's entities."""
        return self._registry

    @property
    def bus(self) -> MessageBus | None:
        """Where the events of confirmed entities go after each commit."""
        return self._bus

    @bus.setter
    def bus(self, bus: MessageBus | None) -> None:
        if self._phase is not Phase.IDLE:
            raise UnitOfWorkStateError(
                f"{type(self).__name__} is in use; give it its bus before `async with`"
            )
        self._bus = bus

    @property
    def identity_map(self) -> IdentityMap:
        """The entities this unit tracks, with what the server knows of each."""
        return self._context.identity

    # -- repositories -----------------------------------------------------------------------

    def repository(self, entity: type[E]) -> Repository[E]:
        """The repository for an entity type (the declared one, if the subclass has it)."""
        repository = self._repositories.get(entity)
        if repository is None:
            repository = Repository(self._context, entity)
            self._repositories[entity] = repository
        return repository

    def add(self, entity: E) -> E:
        """Track a new entity of any registered type."""
        return self.repository(type(entity)).add(entity)

    def remove(self, entity: E) -> None:
        """Schedule deletion of a tracked entity of any registered type."""
        self.repository(type(entity)).remove(entity)

    def pin(self, entity: E, expected: Expected) -> E:
        """Pin a tracked entity of any registered type to the version a client expects
        (see `Repository.pin`): its next write is guarded by the client's version."""
        return self.repository(type(entity)).pin(entity, expected)

    def etag_of(self, entity: BaseModel) -> str | None:
        """The strong ETag of the version the server last confirmed for a tracked entity;
        None for one this unit does not track or that was never stored."""
        entry = self._context.identity.entry_of(entity)
        return None if entry is None else entry_etag(entry)

    def version_of(self, entity: BaseModel) -> tuple[int, int] | None:
        """The (`_seq_no`, `_primary_term`) the server last confirmed for a tracked entity."""
        entry = self._context.identity.entry_of(entity)
        if entry is None or entry.seq_no is None or entry.primary_term is None:
            return None
        return (entry.seq_no, entry.primary_term)

    # -- writing ----------------------------------------------------------------------------

    async def commit(self, *, refresh: Refresh | None = None) -> CommitResult:
        """Write every change through `_bulk`; nothing is sent when nothing changed. Then
        hand the events of the entities whose write was confirmed to the bus.

        Raises:
            ConflictError: some items failed with 409 (stale version, already exists);
                every other item was written, the failed ones stay pending (and keep
                their events).
            PreconditionFailedError: the server refused the write of an entity pinned to
                a client's version (`pin`), carrying the document's current ETag.
            CommitError: some items failed for other reasons (missing, rejected, mapping).
            TransportFailedError: the connection failed; unconfirmed items stay pending.
            InvalidEntityError: an entity cannot be serialized, or a `before_write` hook
                refused it; nothing was sent.
            EventChainError: handled events led to further events past the bus's bound;
                the commit was written.
        """
        with self._context.guard.operation():
            for hook in self._before_commit:
                await call_hook(hook, self)
            if refresh is None:
                refresh = self._bulk.refresh
            events = EventsHook(self._bus) if self._registry.event_sources else None
            try:
                flush = await self._traced_flush(refresh, events)
            except EsormError:
                # a transport failure after some chunks were confirmed: theirs go out
                await self._dispatch(events, refresh)
                raise
            dispatched = await self._dispatch(events, refresh)
            await self._refuse_stale_pins(flush)
            result = self._result(flush, dispatched)
            for after in self._after_commit:
                await call_hook(after, self, result)
            return result

    async def _traced_flush(self, refresh: Refresh, events: EventsHook | None) -> Flush | None:
        with span("esorm.commit") as current:
            started, flush, error = time.perf_counter(), None, None
            try:
                flush = await self._flush(refresh, events)
            except BaseException as exc:
                error = exc
                raise
            finally:
                report_commit(flush, time.perf_counter() - started, current, error)
        return flush

    async def _dispatch(self, events: EventsHook | None, refresh: Refresh) -> DispatchReport:
        if events is None or not events.messages:
            return DispatchReport()
        return await dispatch_confirmed(self._bus, events, self._rewriter(refresh))

    async def _refuse_stale_pins(self, flush: Flush | None) -> None:
        """A refused write of an entity pinned to a client's version is a failed precondition
        (`PreconditionFailedError`, with the current ETag), not a plain conflict."""
        if flush is None or not flush.outcome.failures:
            return
        context = self._context
        written_before = self._written - flush.outcome.written
        refusal = await refusal_of(context.store, context.identity, flush, written_before)
        if refusal is not None:
            raise refusal

    def _result(self, flush: Flush | None, dispatched: DispatchReport) -> CommitResult:
        if flush is None:
            return CommitResult(dispatched=dispatched)
        outcome = flush.outcome
        if outcome.failures:
            error_class = (
                ConflictError if all(f.is_conflict for f in outcome.failures) else CommitError
            )
            raise error_class(
                outcome.failures,
                written=outcome.written,
                written_before=self._written - outcome.written,
            )
        return CommitResult(
            outcome.created, outcome.updated, outcome.deleted, outcome.requests, dispatched
        )

    async def _flush(self, refresh: Refresh, events: EventsHook | None) -> Flush | None:
        """Settle earlier doubts, then plan, send and apply this commit's writes."""
        identity = self._context.identity
        settled = Outcome()
        await settle_doubts(self._context.store, identity, settled)
        changes = pending_changes(identity)
        sources = self._registry.event_sources
        if sources:
            changes = with_recorded_events(identity, sources, changes)
        flush = Flush(
            self._context.store,
            identity,
            changes,
            settings=self._bulk,
            now=_utcnow(),
            hooks=self._flush_hooks(events),
            outcome=settled,
        )
        if not changes:
            self._written += settled.written
            return flush if settled.written else None
        self._phase = Phase.COMMITTING
        try:
            await flush.run(refresh)
        finally:
            self._phase = Phase.ACTIVE
            self._written += flush.outcome.written
            if self._context.identity.pins:
                self._context.identity.release_pins()
        return flush

    def _flush_hooks(self, events: EventsHook | None) -> tuple[FlushHook, ...]:
        """Timestamps, the unit's own hooks, the registry's `before_write` checks, events."""
        hooks: tuple[FlushHook, ...] = (self._timestamps, *self._hooks)
        if self._registry.write_checks:
            hooks = (*hooks, BeforeWriteHook())
        if events is not None:
            hooks = (*hooks, events)
        return hooks

    # -- the outbox -------------------------------------------------------------------------

    async def rewrite_outbox(
        self, rewrites: Sequence[tuple[BaseModel, Rewrite]]
    ) -> list[tuple[StoredEvent, ...] | None]:
        """Replace the undelivered events of tracked outbox entities' documents, and nothing
        else, each with a guarded update sent as a commit sends its writes (what the
        outbox relay claims and clears with).

        Returns the events each document holds afterwards (None: it is gone, or kept
        changing under the rewrite).
        """
        with self._context.guard.operation():
            entries: list[tuple[Entry, Rewrite]] = []
            for entity, rewrite in rewrites:
                entry = self._context.identity.entry_of(entity)
                if entry is None or not entry.mapping.outbox:
                    raise UnitOfWorkStateError(
                        f"rewrite_outbox takes entities this unit of work tracks, of types "
                        f"registered with outbox=True; got a {type(entity).__name__} that is "
                        f"{'not tracked' if entry is None else 'registered without outbox'}"
                    )
                entries.append((entry, rewrite))
            return await self._rewriter(self._bulk.refresh)(entries)

    def _rewriter(
        self, refresh: Refresh
    ) -> Callable[
        [Sequence[tuple[Entry, Rewrite]]], Awaitable[list[tuple[StoredEvent, ...] | None]]
    ]:
        store, identity, settings = self._context.store, self._context.identity, self._bulk

        async def rewrite(
            targets: Sequence[tuple[Entry, Rewrite]],
        ) -> list[tuple[StoredEvent, ...] | None]:
            return await rewrite_outboxes(
                store, identity, targets, settings=settings, refresh=refresh
            )

        return rewrite

    async def rollback(self) -> None:
        """Discard every pending change and forget every tracked entity (in a joined block:
        what the block did, as its end would)."""
        self._context.guard.check()
        if self._scopes:
            self._scopes[-1].undo(self._context, forget_loaded=True)
            return
        self._forget()

    async def run(
        self,
        work: Callable[[Self], Awaitable[T]],
        *,
        attempts: int = 5,
        base_delay: float = 0.05,
        max_delay: float = 2.0,
    ) -> T:
        """Run `work` in this unit and commit, again from fresh loads after a conflict."""

        async def once() -> T:
            async with self:
                result = await work(self)
                await self.commit()
                return result

        return await run_with_retry(
            once, attempts=attempts, base_delay=base_delay, max_delay=max_delay
        )

    # -- guards -----------------------------------------------------------------------------

    def _check_usable(self) -> None:
        if self._phase is Phase.IDLE:
            raise UnitOfWorkStateError(
                f"{type(self).__name__} is not active; use it inside `async with uow:`"
            )
        if self._phase is Phase.COMMITTING:
            raise UnitOfWorkStateError(f"{type(self).__name__} is committing; await commit()")


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _declared_repositories(
    cls: type[UnitOfWork],
) -> dict[str, tuple[type[Repository[Any]], type[BaseModel]]]:
    """Repository attributes a subclass declares, e.g. `users: Repository[User]`."""
    cached: dict[str, tuple[type[Repository[Any]], type[BaseModel]]] | None = cls.__dict__.get(
        "_esorm_repositories"
    )
    if cached is not None:
        return cached
    found: dict[str, tuple[type[Repository[Any]], type[BaseModel]]] = {}
    for name, hint in typing.get_type_hints(cls).items():
        spec = _repository_spec(hint)
        if spec is not None:
            found[name] = spec
    cls._esorm_repositories = found  # type: ignore[attr-defined]
    return found


def _repository_spec(hint: Any) -> tuple[type[Repository[Any]], type[BaseModel]] | None:
    origin = typing.get_origin(hint)
    if origin is not None and isinstance(origin, type) and issubclass(origin, Repository):
        (entity,) = typing.get_args(hint)
        return origin, entity
    if isinstance(hint, type) and issubclass(hint, Repository):
        for base in getattr(hint, "__orig_bases__", ()):
            base_origin = typing.get_origin(base)
            if isinstance(base_origin, type) and issubclass(base_origin, Repository):
                args = typing.get_args(base)
                if args and isinstance(args[0], type):
                    return hint, args[0]
    return None
