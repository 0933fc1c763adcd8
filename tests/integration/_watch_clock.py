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
    """A clock (`clock()`), and the sleep the runners are given (`clock.sleep`).

    Shared by `runners` runners, time advances only once every one of them is asleep
    (each after its own executions settled), to the earliest time any of them asked for,
    so concurrent runners see the same triggers at the same virtual moment.
    """

    def __init__(
        self, start: datetime = START, *, until: datetime | None = None, runners: int = 1
    ) -> None:
        self.now = start
        self.until = until if until is not None else start
        self.runners = runners
        self.reached = asyncio.Event()
        self.settles: list[Callable[[], Awaitable[None]]] = []
        self._sleepers: list[tuple[datetime, asyncio.Future[None]]] = []

    def __call__(self) -> datetime:
        return self.now

    @property
    def settle(self) -> Callable[[], Awaitable[None]] | None:
        return self.settles[0] if self.settles else None

    @settle.setter
    def settle(self, value: Callable[[], Awaitable[None]]) -> None:
        self.settles.append(value)

    def run_for(self, seconds: float) -> None:
        """Let time go on for `seconds` more before stopping again."""
        self.until = self.now + timedelta(seconds=seconds)
        self.reached.clear()
        self._sleepers = [(t, f) for t, f in self._sleepers if not f.done()]

    async def sleep(self, seconds: float) -> None:
        for settle in self.settles:
            await settle()
        wake = asyncio.get_running_loop().create_future()
        entry = (self.now + timedelta(seconds=seconds), wake)
        self._sleepers.append(entry)
        try:
            if len(self._sleepers) >= self.runners:
                self._advance()
            await wake
        finally:
            if entry in self._sleepers:
                self._sleepers.remove(entry)

    def _advance(self) -> None:
        soonest = min(t for t, _ in self._sleepers)
        if soonest > self.until:
            self.now = self.until
            self.reached.set()  # every sleeper waits until its runner is stopped
            return
        self.now = soonest
        for entry in [e for e in self._sleepers if e[0] <= soonest]:
            self._sleepers.remove(entry)
            entry[1].set_result(None)
