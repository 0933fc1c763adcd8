"""Run an application's watches until SIGINT or SIGTERM, then stop cleanly (the CLI's loop)."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Iterable, Sequence
from typing import Any

from esorm.watchers._backend import WatchBackend
from esorm.watchers._manager import WatcherManager
from esorm.watchers._service import WatchService
from esorm.watchers._watch import Watch

_log = logging.getLogger("esorm.watchers")
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


async def serve(
    manager: WatcherManager,
    watches: Iterable[Watch],
    *,
    signals: Sequence[signal.Signals] = STOP_SIGNALS,
    **runner_options: Any,
) -> WatchService:
    """Start the watches; run locally until one of `signals`, letting running executions
    finish. With Watcher, put the watches and return at once: the cluster runs them.

    A second signal while stopping is not caught, so it ends the process at once.
    """
    service = WatchService(manager, watches, **runner_options)
    if await service.start() is WatchBackend.WATCHER:
        _log.info("put %d watches into Elasticsearch's Watcher", len(service.reports))
        return service
    loop = asyncio.get_running_loop()
    requested = asyncio.Event()
    for sig in signals:
        loop.add_signal_handler(sig, requested.set)
    try:
        await requested.wait()
        _log.info("stop requested: letting running executions finish (signal again to force)")
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
        await service.stop()
    return service
