"""The retry helper: bounded attempts, only on conflicts, last report raised."""

from __future__ import annotations

import pytest

from esorm.errors import CommitError, ConflictError, WriteFailure
from esorm.uow import retry_on_conflict, run_with_retry

pytestmark = pytest.mark.unit


def conflict() -> ConflictError:
    failure = WriteFailure(
        object(), "index", "i", "1", 409, "version_conflict_engine_exception", "stale"
    )
    return ConflictError([failure])


async def test_retries_until_success() -> None:
    calls = 0

    async def work() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise conflict()
        return "done"

    assert await run_with_retry(work, attempts=5, base_delay=0) == "done"
    assert calls == 3


async def test_gives_up_with_the_last_conflict() -> None:
    errors: list[ConflictError] = []

    @retry_on_conflict(attempts=3, base_delay=0)
    async def always_conflicts() -> None:
        errors.append(conflict())
        raise errors[-1]

    with pytest.raises(ConflictError) as caught:
        await always_conflicts()
    assert len(errors) == 3 and caught.value is errors[-1]


async def test_other_commit_errors_are_not_retried() -> None:
    calls = 0

    @retry_on_conflict
    async def fails() -> None:
        nonlocal calls
        calls += 1
        raise CommitError(
            [WriteFailure(object(), "index", "i", "1", 400, "mapper_parsing_exception", "bad")]
        )

    with pytest.raises(CommitError):
        await fails()
    assert calls == 1
