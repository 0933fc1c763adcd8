"""Lifecycle hooks: per entity type before each write, per unit of work around each commit."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from esorm.errors import InvalidEntityError
from esorm.uow._flush import Flush

CommitHook = Callable[[Any], Awaitable[None] | None]
"""Called with the unit of work at the start of each `commit()` (`before_commit`)."""

AfterCommitHook = Callable[[Any, Any], Awaitable[None] | None]
"""Called with the unit of work and the `CommitResult` after each commit that wrote
everything it planned (`after_commit`)."""


class BeforeWriteHook:
    """A flush hook calling each planned entity's `before_write` (the registry's, per type).

    It runs after the timestamps and the unit of work's own hooks, before anything is
    serialized: one that raises refuses the whole commit with nothing sent.
    """

    __slots__ = ()

    def before_flush(self, flush: Flush) -> None:
        for entry, kind in flush.changes:
            check = entry.mapping.before_write
            if check is None or kind == "delete":
                continue
            try:
                check(entry.entity)
            except Exception as exc:
                hook = getattr(check, "__qualname__", repr(check))
                raise InvalidEntityError(
                    f"{entry.mapping.name} {entry.id!r} was refused by its before_write hook "
                    f"({hook}): {exc}. Nothing was sent."
                ) from exc

    def after_flush(self, flush: Flush) -> None:
        return None


async def call_hook(hook: Callable[..., Awaitable[None] | None], *args: Any) -> None:
    """Call a hook that may be a plain function or a coroutine function."""
    result = hook(*args)
    if inspect.isawaitable(result):
        await result
