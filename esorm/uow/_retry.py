"""Re-running a whole unit of work after a version conflict: bounded, with jittered backoff."""

from __future__ import annotations

import asyncio
import functools
import random
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar, overload

from esorm.errors import ConflictError, PreconditionFailedError

P = ParamSpec("P")
T = TypeVar("T")


async def run_with_retry(
    work: Callable[[], Awaitable[T]],
    *,
    attempts: int = 5,
    base_delay: float = 0.05,
    max_delay: float = 2.0,
) -> T:
    """Await `work()` until it succeeds without a `ConflictError`, at most `attempts` times.

    `work` must load what it changes afresh on every call (a new `async with uow:`
    block does). A conflict after anything of the attempt was written (by the failing
    commit or an earlier one in the same block) is raised at once: running the work
    again would write that twice. Waits a random time up to
    `base_delay * 2**attempt` (capped at `max_delay`) between attempts: full jitter,
    so contending tasks spread out.
    The last `ConflictError` is raised when every attempt conflicted. A
    `PreconditionFailedError` is raised at once: the version the client expects is stale,
    and fresh loads would pin the same one again.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    for attempt in range(attempts):
        try:
            return await work()
        except ConflictError as conflict:
            # a commit that wrote part of its operations cannot be re-run without
            # writing that part twice
            if attempt == attempts - 1 or conflict.written or conflict.written_before:
                raise
            if isinstance(conflict, PreconditionFailedError):
                raise
            await asyncio.sleep(random.uniform(0, min(max_delay, base_delay * 2**attempt)))
    raise AssertionError("unreachable")  # pragma: no cover


@overload
def retry_on_conflict(
    function: Callable[P, Awaitable[T]],
) -> Callable[P, Awaitable[T]]: ...


@overload
def retry_on_conflict(
    *, attempts: int = 5, base_delay: float = 0.05, max_delay: float = 2.0
) -> Callable[[Callable[P, Awaitable[T]]], Callable[P, Awaitable[T]]]: ...


def retry_on_conflict(
    function: Callable[P, Awaitable[T]] | None = None,
    *,
    attempts: int = 5,
    base_delay: float = 0.05,
    max_delay: float = 2.0,
) -> Callable[P, Awaitable[T]] | Callable[[Callable[P, Awaitable[T]]], Callable[P, Awaitable[T]]]:
    """Decorate a use case that opens its own `async with uow:` to retry it on conflict."""

    def decorate(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
        @functools.wraps(fn)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            return await run_with_retry(
                lambda: fn(*args, **kwargs),
                attempts=attempts,
                base_delay=base_delay,
                max_delay=max_delay,
            )

        return wrapper

    if function is not None:
        return decorate(function)
    return decorate
