"""The time the local runner lives by: a clock and a sleep, both injectable for tests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""Returns the current time as an aware datetime (UTC)."""

Sleep = Callable[[float], Awaitable[None]]
"""Waits the given number of seconds."""


def system_clock() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


async def system_sleep(seconds: float) -> None:
    """`asyncio.sleep`."""
    await asyncio.sleep(seconds)
