"""Sending a flush's operations through `_bulk`: chunked, with backoff for overloaded nodes."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from esorm.errors import ConnectionFailedError, TransportFailedError
from esorm.repository import IdentityMap
from esorm.store import DocumentStore, ItemResult, Refresh
from esorm.uow._outcome import Operation, Outcome, Status, apply_result, fail, failures_of


@dataclass(frozen=True, slots=True)
class BulkSettings:
    """How a commit talks to `_bulk`: chunk limits, refresh policy and 429 retries.

    Defaults match `helpers.async_bulk`'s 500 items and stay far below the 100 MB
    request limit of Elasticsearch.
    """

    chunk_size: int = 500
    chunk_bytes: int = 10 * 1024 * 1024
    refresh: Refresh = False
    rejected_retries: int = 3
    rejected_backoff: float = 0.5

    def __post_init__(self) -> None:
        if self.chunk_size < 1 or self.chunk_bytes < 1:
            raise ValueError("chunk_size and chunk_bytes must be positive")


async def send(
    store: DocumentStore,
    identity: IdentityMap,
    operations: Sequence[Operation],
    settings: BulkSettings,
    refresh: Refresh,
    outcome: Outcome,
) -> None:
    """Send every operation, apply each answer to its entry, collect the failures.

    Operations the server refuses as overloaded (429, per item or for the whole request)
    are sent again with backoff before being reported. A transport failure stops the
    flush: what was confirmed so far is applied, the batch in flight is marked UNKNOWN,
    the rest stays PLANNED, and `TransportFailedError` says so.
    """
    pending = list(operations)
    for attempt in range(settings.rejected_retries + 1):
        rejected: list[tuple[Operation, ItemResult]] = []
        for batch in chunk(pending, max_count=settings.chunk_size, max_bytes=settings.chunk_bytes):
            items = await _post(store, batch, refresh, outcome, len(operations))
            for operation, item in zip(batch, items, strict=True):
                if apply_result(identity, operation, item, outcome):
                    rejected.append((operation, item))
        if not rejected:
            break
        if attempt == settings.rejected_retries:
            for operation, item in rejected:
                fail(operation, item)
            break
        pending = [operation for operation, _ in rejected]
        await asyncio.sleep(settings.rejected_backoff * 2**attempt * random.uniform(0.5, 1.0))
    outcome.failures = failures_of(operations)


async def _post(
    store: DocumentStore,
    batch: list[Operation],
    refresh: Refresh,
    outcome: Outcome,
    total: int,
) -> list[ItemResult]:
    """Send one bulk request; a dropped connection leaves the batch's outcome unknown."""
    outcome.requests += 1
    try:
        return await store.bulk([operation.write for operation in batch], refresh=refresh)
    except ConnectionFailedError as exc:
        for operation in batch:
            operation.status = Status.UNKNOWN
        raise TransportFailedError(
            f"commit interrupted: {exc}. {outcome.written} of {total} operations were "
            f"confirmed before the failure and are applied; the others keep their "
            f"pre-commit state and will be sent by the next commit",
            confirmed=outcome.written,
        ) from exc


def chunk(
    operations: Iterable[Operation], *, max_count: int, max_bytes: int
) -> Iterator[list[Operation]]:
    """Split operations into bulk requests bounded by item count and by request bytes."""
    current: list[Operation] = []
    size = 0
    for operation in operations:
        weight = operation.write.size
        if current and (len(current) >= max_count or size + weight > max_bytes):
            yield current
            current, size = [], 0
        current.append(operation)
        size += weight
    if current:
        yield current
