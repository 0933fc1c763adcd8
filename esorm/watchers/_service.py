"""`WatchService`: an application's watches, running wherever the manager's mode says.

With Watcher, starting puts the watches into the cluster (they keep running there after the
application stops); locally, it starts a `WatchRunner`, and stopping lets running
executions finish. Either way the application starts and stops it once, as an async task
of its lifespan.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any, Self

from esorm.watchers._backend import WatchBackend
from esorm.watchers._manager import WatcherManager
from esorm.watchers._results import WatchReport
from esorm.watchers._runner import WatchRunner
from esorm.watchers._watch import Watch


class WatchService:
    """Starts and stops an application's watches on the backend its manager chooses.

    Args:
        manager: the `WatcherManager` (its client, registry and `mode`).
        watches: the application's watches.
        runner_options: passed to `WatchRunner` when they run locally (`node`, `clock`,
            `sleep`, `lease_ttl`, `history_retention`...).
    """

    def __init__(self, manager: WatcherManager, watches: Iterable[Watch], **runner_options: Any):
        self.manager = manager
        self.watches = list(watches)
        self._options = runner_options
        self._runner: WatchRunner | None = None
        self.reports: list[WatchReport] = []

    @property
    def backend(self) -> WatchBackend | None:
        """Where the watches run; None before `start()`."""
        return self.manager.backend

    @property
    def runner(self) -> WatchRunner | None:
        """The local runner, when the watches run locally and the service started."""
        return self._runner

    async def start(self) -> WatchBackend:
        """Choose the backend, then put the watches into Watcher or start the local runner.

        Raises:
            NotRunnableLocallyError: running locally, a watch needs Watcher; names it.
            WatcherUnavailableError: `mode="watcher"` on a cluster without Watcher.
        """
        backend = await self.manager.choose_backend()
        if backend is WatchBackend.WATCHER:
            self.reports = await self.manager.put_all(self.watches)
        elif self._runner is None or not self._runner.running:
            manager = self.manager
            self._runner = WatchRunner(
                manager.client, manager.registry, self.watches, **self._options
            )
            await self._runner.start()
        return backend

    async def ack(self, name: str, actions: Sequence[str] | None = None) -> list[str]:
        """Acknowledge a watch's actions (all when None) wherever the watches run; the
        named actions acked after the call. Watcher and the local runner ack alike."""
        if self._runner is not None:
            return await self._runner.ack(name, actions)
        return await self.manager.ack(name, actions)

    async def stop(self, *, grace: float | None = None) -> None:
        """Stop the local runner (running executions finish first); Watcher keeps its own."""
        if self._runner is not None:
            await self._runner.stop(grace=grace)

    async def wait_stopped(self) -> None:
        """Wait until a local runner has stopped (at once with Watcher)."""
        if self._runner is not None:
            await self._runner.wait_stopped()

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
