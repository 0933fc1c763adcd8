"""One task at a time: the guard every repository operation and commit runs under."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from esorm.errors import UnitOfWorkStateError

P = ParamSpec("P")
R = TypeVar("R")

_INSIDE: ContextVar[TaskGuard | None] = ContextVar("esorm_operation", default=None)
"""The guard whose operation the current context runs in (inherited by child tasks)."""


class TaskGuard:
    """Refuses use outside the unit's block, and overlapping use from two tasks.

    `check_state` (the unit of work's lifecycle check) runs before every operation.
    Operations refuse to overlap with one running in another task (`asyncio.gather`
    over one unit), while handing the unit from task to task (a fixture,
    `asyncio.wait_for`) works. Tasks an operation starts itself (relations loading
    concurrently) inherit its context and pass.
    """

    __slots__ = ("_busy", "_check_state", "_depth")

    def __init__(self, check_state: Callable[[], None] = lambda: None) -> None:
        self._check_state = check_state
        self._busy: asyncio.Task[Any] | None = None
        self._depth = 0

    def check(self) -> None:
        """Raise `UnitOfWorkStateError` unless this task may use the unit now."""
        self._check_state()
        busy = self._busy
        if busy is not None and busy is not asyncio.current_task() and _INSIDE.get() is not self:
            raise UnitOfWorkStateError(
                f"this unit of work is in use by task {busy.get_name()!r} at the same time; "
                f"a unit of work serves one task at a time: create one per task"
            )

    @contextmanager
    def operation(self) -> Iterator[None]:
        """Mark an async operation in progress (re-entrant within its task)."""
        self.check()
        if self._busy is None:
            self._busy = asyncio.current_task()
        self._depth += 1
        token = _INSIDE.set(self)
        try:
            yield
        finally:
            _INSIDE.reset(token)
            self._depth -= 1
            if not self._depth:
                self._busy = None


def guarded(method: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Run a repository method as one operation of its unit of work (`TaskGuard.operation`)."""

    @functools.wraps(method)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with args[0]._context.guard.operation():  # type: ignore[attr-defined]
            return await method(*args, **kwargs)

    return run
