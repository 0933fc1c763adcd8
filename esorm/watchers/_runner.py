"""`WatchRunner`: runs `Watch` values in-process where Elasticsearch's Watcher is missing.

One scheduler task computes each watch's next trigger and sleeps until the soonest; each
due trigger becomes an execution task of its own, so a slow watch never delays another.
A trigger runs only if this runner takes the watch's lease for it (see `_lease`), so
several application instances execute it once between them. Stopping ends the scheduler
and waits for running executions, which finish and are recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Self

import aiohttp
from elasticsearch import AsyncElasticsearch

from esorm.errors import ConfigurationError
from esorm.mapping import Registry
from esorm.watchers import _checks
from esorm.watchers._clock import Clock, Sleep, system_clock, system_sleep
from esorm.watchers._compile import LocalWatch, compile_watch
from esorm.watchers._errors import WatchBusyError, WatchDefinitionError, WatchNotFoundError
from esorm.watchers._execute import Firing, abandoned_record, execute
from esorm.watchers._history import WatchHistory, WatchRecord
from esorm.watchers._lease import Lease, LeaseStore, Skip
from esorm.watchers._perform import ActionEnv
from esorm.watchers._status import WatchState
from esorm.watchers._store import ensure_indices, store_registry
from esorm.watchers._timevalues import duration
from esorm.watchers._watch import Watch

_log = logging.getLogger("esorm.watchers")


class WatchRunner:
    """Runs watches locally: schedules, inputs, conditions, throttling, acks and actions as
    Watcher defines them, with a lease per watch and an execution history index.

    Args:
        client: the client inputs and actions use.
        registry: gives the prefix of the watch ids and of the runner's own indices
            (`<prefix>watcher-state`, `<prefix>watcher-history`).
        watches: the watches to run; inactive ones are not scheduled but can be executed.
        node: this runner's name in leases and history (default `host-pid`).
        clock, sleep: the time source and the wait between triggers (inject both in tests).
        lease_ttl: how long a runner that stopped answering blocks a watch.
        history_retention: how long history records are kept (None keeps them all).
        default_throttle_period: the throttle of actions that set none (Watcher: 5s).
        max_sleep: the longest single wait, so a clock change is noticed.

    Raises:
        NotRunnableLocallyError: a watch uses what only Watcher can run; names it.
    """

    def __init__(
        self,
        client: AsyncElasticsearch,
        registry: Registry,
        watches: Iterable[Watch],
        *,
        node: str | None = None,
        clock: Clock = system_clock,
        sleep: Sleep = system_sleep,
        lease_ttl: str | timedelta = "5m",
        history_retention: str | timedelta | None = "7d",
        default_throttle_period: str | timedelta = "5s",
        max_sleep: float = 60.0,
    ) -> None:
        self._client = client
        self._prefix = registry.prefix
        self._locals: dict[str, LocalWatch] = {}
        for watch in watches:
            if not isinstance(watch, Watch):
                raise WatchDefinitionError(f"expected Watch values, got {watch!r}")
            if watch.name in self._locals:
                raise WatchDefinitionError(f"two watches are named {watch.name!r}")
            watch_id = registry.prefix + _checks.check_name(watch.name)
            self._locals[watch.name] = compile_watch(watch, watch_id)
        self.node = node or f"{socket.gethostname()}-{os.getpid()}"
        self._clock = clock
        self._sleep = sleep
        self._max_sleep = max_sleep
        self._default_throttle = duration(default_throttle_period, "default_throttle_period")
        store = store_registry(registry.prefix)
        self._store = store
        ttl = duration(lease_ttl, "lease_ttl")
        self._leases = LeaseStore(client, store, node=self.node, clock=clock, ttl=ttl)
        retention = (
            None if history_retention is None else duration(history_retention, "history_retention")
        )
        self.history = WatchHistory(client, store, retention=retention)
        self._scheduler: asyncio.Task[None] | None = None
        self._executions: set[asyncio.Task[None]] = set()
        self._running: set[str] = set()
        self._http: aiohttp.ClientSession | None = None
        self._stopped = asyncio.Event()

    # -- what it runs ----------------------------------------------------------------------

    @property
    def watches(self) -> list[str]:
        """The names of the watches this runner knows."""
        return list(self._locals)

    @property
    def running(self) -> bool:
        """True between `start()` and `stop()`."""
        return self._scheduler is not None and not self._scheduler.done()

    def watch_id(self, name: str) -> str:
        """The stored id of a watch: the registry prefix, then the name."""
        return self._local(name).id

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Create the runner's indices, trim the history and start scheduling."""
        if self.running:
            return
        if self._clock().tzinfo is None:
            raise ConfigurationError(
                "the runner's clock returned a naive datetime; return aware UTC times, "
                "e.g. datetime.now(UTC)"
            )
        await ensure_indices(self._client, self._store)
        await self.history.purge(self._clock(), force=True)
        self._stopped.clear()
        self._scheduler = asyncio.create_task(self._schedule(), name="esorm-watch-scheduler")
        scheduled = [w for w in self._locals.values() if w.watch.active]
        _log.info(
            "esorm watch runner %s started: %d watches scheduled (%s)",
            self.node,
            len(scheduled),
            ", ".join(w.id for w in scheduled) or "none",
        )

    async def stop(self, *, grace: float | None = None) -> None:
        """Stop scheduling and let running executions finish (and be recorded).

        Args:
            grace: seconds to wait for running executions before cancelling them; None
                waits for them to finish.
        """
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await scheduler
        if self._executions:
            _log.info("waiting for %d running watch executions", len(self._executions))
            _, pending = await asyncio.wait(set(self._executions), timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        if self._http is not None:
            await self._http.close()
            self._http = None
        self._stopped.set()
        _log.info("esorm watch runner %s stopped", self.node)

    async def wait_stopped(self) -> None:
        """Wait until `stop()` has finished."""
        await self._stopped.wait()

    async def wait_idle(self) -> None:
        """Wait until no execution is running (new ones may start afterwards)."""
        while self._executions:
            await asyncio.wait(set(self._executions))

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- working with watches --------------------------------------------------------------

    async def execute(self, name: str, *, ignore_condition: bool = False) -> WatchRecord:
        """Run a watch now (a manual trigger), with its lease, throttles and history.

        Raises:
            WatchBusyError: the watch is executing (here or on another runner).
        """
        local = self._local(name)
        await ensure_indices(self._client, self._store)
        lease = await self._leases.acquire(local.id, None)
        if isinstance(lease, Skip):
            raise WatchBusyError(f"watch {local.id!r} cannot run now: {lease.reason}")
        now = self._clock()
        firing = Firing("manual", None, now, lease.run_id)
        return await self._run_leased(local, lease, firing, ignore_condition=ignore_condition)

    async def ack(self, name: str, actions: Sequence[str] | None = None) -> list[str]:
        """Acknowledge actions (all when None): they are throttled until the condition
        next fails. Returns the named actions acked after the call (only actions that ran
        successfully since the condition last failed can be acked)."""
        local = self._local(name)
        known = [a.name for a in local.actions]
        chosen = list(actions) if actions is not None else known
        unknown = [a for a in chosen if a not in known]
        if unknown:
            raise WatchDefinitionError(
                f"watch {local.id!r} has no action {unknown[0]!r}; its actions are {known}"
            )
        await ensure_indices(self._client, self._store)
        return await self._leases.acknowledge(local.id, chosen)

    async def state(self, name: str) -> WatchState | None:
        """The stored state of a watch (lease, ack and throttle status); None before it ran."""
        return await self._leases.read(self._local(name).id)

    # -- scheduling ------------------------------------------------------------------------

    async def _schedule(self) -> None:
        scheduled = [w for w in self._locals.values() if w.watch.active]
        start = self._clock()
        due: dict[str, datetime | None] = {w.name: w.trigger.next_after(start) for w in scheduled}
        while True:
            pending = {name: when for name, when in due.items() if when is not None}
            if not pending:
                await asyncio.Event().wait()  # nothing fires again; wait to be stopped
            now = self._clock()
            soonest = min(pending.values())
            delay = (soonest - now).total_seconds()
            if delay > 0:
                await self._sleep(min(delay, self._max_sleep))
                continue
            for name, when in pending.items():
                if when <= now:
                    local = self._locals[name]
                    self._fire(local, when, now)
                    due[name] = local.trigger.next_after(now)

    def _fire(self, local: LocalWatch, scheduled: datetime, now: datetime) -> None:
        if local.name in self._running:
            _log.info("watch %r: skipping trigger %s, still executing", local.id, scheduled)
            return
        self._running.add(local.name)
        task = asyncio.create_task(self._triggered(local, scheduled, now))
        self._executions.add(task)

        def finished(done: asyncio.Task[None]) -> None:
            self._executions.discard(done)
            self._running.discard(local.name)

        task.add_done_callback(finished)

    async def _triggered(self, local: LocalWatch, scheduled: datetime, now: datetime) -> None:
        try:
            lease = await self._leases.acquire(local.id, scheduled)
            if isinstance(lease, Skip):
                _log.debug("watch %r: not running %s: %s", local.id, scheduled, lease.reason)
                return
            await self._run_leased(local, lease, Firing("schedule", scheduled, now, lease.run_id))
            await self.history.purge(self._clock())
        except Exception:
            _log.exception("watch %r: trigger %s could not run", local.id, scheduled)

    async def _run_leased(
        self, local: LocalWatch, lease: Lease, firing: Firing, *, ignore_condition: bool = False
    ) -> WatchRecord:
        if lease.abandoned is not None:
            _log.warning(
                "watch %r: %s stopped before finishing trigger %s; taking over",
                local.id,
                lease.abandoned.holder,
                lease.abandoned.trigger,
            )
            await self.history.record(abandoned_record(lease.abandoned, self.node, self._clock()))
        heartbeat = asyncio.create_task(self._heartbeat(lease))
        change = None
        try:
            env = ActionEnv(self._client, self._session, self._clock())
            record, change = await execute(
                local,
                firing,
                env=env,
                clock=self._clock,
                node=self.node,
                state=lease.state,
                default_throttle=self._default_throttle,
                ignore_condition=ignore_condition,
            )
            await self.history.record(record)
        finally:
            heartbeat.cancel()
            if not await self._leases.release(lease, change):
                _log.warning("watch %r: the lease was taken over before this run ended", local.id)
        _log.info(
            "watch %r: %s (%s) in %d ms%s",
            local.id,
            record.state,
            firing.kind,
            record.duration_ms,
            "".join(f", {a.id}: {a.status}" for a in record.actions),
        )
        return record

    async def _heartbeat(self, lease: Lease) -> None:
        """Renew the lease while the execution runs (on the event loop's own time)."""
        every = max(self._leases.ttl.total_seconds() / 3, 0.1)
        while True:
            await asyncio.sleep(every)
            try:
                if not await self._leases.renew(lease):
                    _log.warning("watch %r: lost the lease during the execution", lease.watch_id)
                    return
            except Exception:
                _log.exception("watch %r: renewing the lease failed", lease.watch_id)

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession()
        return self._http

    def _local(self, name: str) -> LocalWatch:
        local = self._locals.get(name)
        if local is None:
            raise WatchNotFoundError(self._prefix + name, "running a watch locally")
        return local
