"""Run relay passes until SIGINT or SIGTERM, letting the pass under way finish (the CLI's loop)."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Sequence

from esorm.outbox._relay import OutboxRelay

_log = logging.getLogger("esorm.outbox")
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


async def serve_relay(
    relay: OutboxRelay,
    *,
    every: float,
    limit: int = 1000,
    signals: Sequence[signal.Signals] = STOP_SIGNALS,
) -> None:
    """Run passes `every` seconds apart until one of `signals`; a second one is not caught,
    so it ends the process at once."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def requested() -> None:
        _log.info("stop requested: finishing the pass under way (signal again to force)")
        stop.set()
        for sig in signals:
            loop.remove_signal_handler(sig)

    for sig in signals:
        loop.add_signal_handler(sig, requested)
    try:
        await relay.run(every=every, limit=limit, stop=stop)
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
