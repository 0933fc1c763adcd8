"""Virtual time for the local watch runner: the clock moves only when the runner sleeps.

Before each sleep the clock waits for the runner's executions (`settle`), then jumps by
the requested seconds, so triggers fire at exact times without any test sleeping. When a
sleep would pass `until`, the clock stops there, sets `reached` and blocks the sleeper
until the runner is stopped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

START = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)  # a Monday


class VirtualClock:
    """A clock (`clock()`), and the sleep the runner is given (`clock.sleep`)."""

    def __init__(self, start: datetime = START, *, until: datetime | None = None) -> None:
        self.now = start
        self.until = until if until is not None else start
        self.reached = asyncio.Event()
        self.settle: Callable[[], Awaitable[None]] | None = None
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def run_for(self, seconds: float) -> None:
        """Let time go on for `seconds` more before stopping again."""
        self.until = self.now + timedelta(seconds=seconds)
        self.reached.clear()

    async def sleep(self, seconds: float) -> None:
        if self.settle is not None:
            await self.settle()
        self.slept.append(seconds)
        target = self.now + timedelta(seconds=seconds)
        if target > self.until:
            self.now = self.until
            self.reached.set()
            await asyncio.Event().wait()  # until the runner is stopped
        self.now = target
        await asyncio.sleep(0)
