"""Watches as part of an application's lifespan (FastAPI/Starlette's `lifespan=`, or any).

Nothing here imports FastAPI: a lifespan is an async context manager taking the app, and
the one built here yields `{"watchers": service}` as lifespan state, so request handlers
find the running service as `request.state.watchers`.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeAlias

from esorm.watchers._manager import WatcherManager
from esorm.watchers._service import WatchService
from esorm.watchers._watch import Watch

ManagerSource: TypeAlias = (
    WatcherManager | Callable[[], WatcherManager] | Callable[[], Awaitable[WatcherManager]]
)


@asynccontextmanager
async def running_watches(
    manager: WatcherManager, watches: Iterable[Watch], **runner_options: Any
) -> AsyncIterator[WatchService]:
    """Start the watches on entry (Watcher or local, as the manager's mode says) and stop
    them on exit, letting running executions finish; for use inside your own lifespan."""
    service = WatchService(manager, watches, **runner_options)
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


def watchers_lifespan(
    watches: Iterable[Watch], *, manager: ManagerSource, **runner_options: Any
) -> Callable[[Any], AbstractAsyncContextManager[dict[str, Any]]]:
    """A lifespan running the watches while the application runs.

    Example:
        app = FastAPI(lifespan=watchers_lifespan(
            watches, manager=lambda: WatcherManager(container.client(), registry)))

    Args:
        manager: the manager, or a function making it at startup (when the client is
            only available then); async functions are awaited.
        runner_options: passed to `WatchRunner` when the watches run locally.
    """
    listed = list(watches)

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[dict[str, Any]]:
        made: Any = manager() if callable(manager) else manager
        if inspect.isawaitable(made):
            made = await made
        async with running_watches(made, listed, **runner_options) as service:
            yield {"watchers": service}

    return lifespan
