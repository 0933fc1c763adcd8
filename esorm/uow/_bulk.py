"""Sending a flush's operations through `_bulk`, and settling every outcome exactly.

Only esorm sends a bulk request again (the store sends each one once). An item or a
whole request refused as overloaded (429) is sent again after a backoff. A request
whose answer is lost, late, unreadable or a 5xx is settled by reading its documents
back (`read_back`, `judge`): applied writes are applied, the others sent again with the
same guard and write id, so a copy that lands twice is recognised as our own.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from esorm.errors import ConnectionFailedError, OutcomeUnknownError, TransportFailedError
from esorm.repository import Doubt, IdentityMap
from esorm.store import DocumentStore, Hit, ItemResult, Refresh
from esorm.uow._blocks import is_write_block, retired_item
from esorm.uow._outcome import (
    REJECTED,
    Operation,
    Outcome,
    Retry,
    Status,
    apply_result,
    fail,
    failures_of,
)
from esorm.uow._reconcile import Verdict, judge, settled_item
from esorm.uow._writes import render

_DISPUTED = (404, 409)
"""Answers that an earlier send of the same operation may have caused."""


@dataclass(frozen=True, slots=True)
class BulkSettings:
    """How a commit talks to `_bulk`: chunk limits, refresh policy, and how often (and after
    how long) it sends again what the server refused as overloaded or left in doubt.

    Defaults match `helpers.async_bulk`'s 500 items and stay far below the 100 MB
    request limit of Elasticsearch.
    """

    chunk_size: int = 500
    chunk_bytes: int = 10 * 1024 * 1024
    concurrency: int = 2
    """Bulk requests of one commit in flight at once: with two, esorm serializes the next
    chunk while the server indexes the last (1 sends them strictly one after another)."""
    refresh: Refresh = False
    rejected_retries: int = 3
    rejected_backoff: float = 0.5
    unknown_retries: int = 3
    """How many rounds a write whose answer was lost is sent again (after reading back
    that it was not applied) before the commit gives up with `TransportFailedError`."""
    blocked_wait: float = 30.0
    """How long (seconds) writes into an index blocked for writing are sent again: the
    final step of a migration blocks the old index for a moment, then moves the alias."""

    def __post_init__(self) -> None:
        if self.chunk_size < 1 or self.chunk_bytes < 1 or self.concurrency < 1:
            raise ValueError("chunk_size, chunk_bytes and concurrency must be positive")


class Sender:
    """Sends one flush's operations until each has a known outcome (or the server is gone)."""

    def __init__(
        self,
        store: DocumentStore,
        identity: IdentityMap,
        settings: BulkSettings,
        refresh: Refresh,
        outcome: Outcome,
    ) -> None:
        self._store = store
        self._identity = identity
        self._settings = settings
        self._refresh = refresh
        self._outcome = outcome
        self._operations: Sequence[Operation] = ()

    async def send(self, operations: Sequence[Operation]) -> None:
        """Send every operation, apply each outcome to its entry, collect the failures.

        Raises:
            TransportFailedError: the server could not be reached (or kept losing
                answers); what was confirmed is applied, writes whose outcome stays
                unknown are settled by the next commit, the rest stay pending.
        """
        self._operations = operations
        queue = list(operations)
        rounds: Counter[Retry] = Counter()
        started = time.monotonic()
        while queue:
            try:
                again = await self._send_round(queue)
            except TransportFailedError:
                raise
            except ConnectionFailedError as exc:
                raise self._interrupted(exc) from exc
            except asyncio.CancelledError:  # writes cut off in flight: read back next commit
                self._record_doubts()
                raise
            rounds.update({op.retry for op in again if op.retry is not None})
            again = self._within_limits(again, rounds, time.monotonic() - started)
            if again:
                await asyncio.sleep(self._backoff(again, rounds))
            queue = again
        self._outcome.failures = failures_of(operations)

    def _within_limits(
        self, again: list[Operation], rounds: Counter[Retry], waited: float
    ) -> list[Operation]:
        """The operations still worth sending again; the others fail (or stop the flush)."""
        settings = self._settings
        kept: list[Operation] = []
        for operation in again:
            retry = operation.retry
            if retry is Retry.OVERLOADED and rounds[retry] > settings.rejected_retries:
                fail(operation, operation.result or _overloaded(operation))
            elif retry is Retry.BLOCKED and waited > settings.blocked_wait:
                fail(operation, operation.result or {"status": 403})
            else:
                kept.append(operation)
        in_doubt = [op for op in kept if op.retry is Retry.IN_DOUBT]
        if in_doubt and rounds[Retry.IN_DOUBT] > settings.unknown_retries:
            raise self._gave_up(in_doubt)
        return kept

    async def _send_round(self, queue: list[Operation]) -> list[Operation]:
        """Every queued operation sent once; returns those to send again.

        Up to `concurrency` requests are in flight, so the next chunk is serialized while
        the server indexes the last one. A chunk that writes a document an unanswered
        request also writes waits for it: writes of one document keep their order. When
        a request fails, no further chunk is sent and the ones in flight are answered
        (and applied) before the failure is raised.
        """
        settings = self._settings
        if settings.concurrency == 1:
            again: list[Operation] = []
            for batch in chunk(queue, settings):
                again.extend(await self._send_batch(batch))
            return again
        return await _Flights(self._send_batch, settings.concurrency).run(chunk(queue, settings))

    async def _send_batch(self, batch: list[Operation]) -> list[Operation]:
        """One bulk request; returns the operations to send again.

        Raises:
            ConnectionFailedError: the server could not be reached (`send` turns it into
                the commit's `TransportFailedError` once nothing else is in flight).
        """
        self._outcome.requests += 1
        try:
            items = await self._store.bulk(batch, refresh=self._refresh)
        except OutcomeUnknownError:
            for operation in batch:
                operation.status, operation.doubtful = Status.UNKNOWN, True
            return await self._settle(batch)
        except asyncio.CancelledError:  # the request may have gone out and been applied
            for operation in batch:
                operation.status, operation.doubtful = Status.UNKNOWN, True
            raise
        again: list[Operation] = []
        disputed: list[Operation] = []
        blocked: list[Operation] = []
        for operation, item in zip(batch, items, strict=True):
            status = item.get("status", 0)
            operation.retry = None
            if status == REJECTED:
                operation.result, operation.retry = item, Retry.OVERLOADED
                again.append(operation)
            elif operation.doubtful and status in _DISPUTED:
                disputed.append(operation)
            elif is_write_block(item):
                operation.result = item
                blocked.append(operation)
            else:
                apply_result(self._identity, operation, item, self._outcome)
        if disputed:
            again.extend(await self._settle(disputed))
        if blocked:
            again.extend(await self._blocked(blocked))
        for operation in batch:
            operation.release()
        return again

    async def _blocked(self, operations: list[Operation]) -> list[Operation]:
        """Writes into a blocked index: sent again while the block is a migration's final
        step; a conflict once that index was retired (the entity must be loaded again)."""
        current: dict[str, str] = {}
        again: list[Operation] = []
        for operation in operations:
            entry = operation.entry
            if entry is not None and operation.index != entry.mapping.index:
                name = entry.mapping.index
                if name not in current:
                    current[name] = await self._store.write_index(entry.mapping)
                if current[name] != operation.index:
                    item = retired_item(operation, current[name])
                    apply_result(self._identity, operation, item, self._outcome)
                    continue
            operation.retry = Retry.BLOCKED
            again.append(operation)
        return again

    async def _settle(self, operations: list[Operation]) -> list[Operation]:
        """Read back the documents of operations in doubt and apply what they say."""
        hits = await self._store.read_back(operations)
        again: list[Operation] = []
        for operation, hit in zip(operations, hits, strict=True):
            if self._apply_verdict(operation, hit) is Verdict.NOT_APPLIED:
                operation.retry = Retry.IN_DOUBT
                again.append(operation)
        return again

    def _apply_verdict(self, operation: Operation, hit: Hit | None) -> Verdict:
        verdict = judge(operation.write, hit)
        if verdict is Verdict.NOT_APPLIED:
            operation.status = Status.PLANNED
        else:
            item = settled_item(operation.write, verdict, hit)
            apply_result(self._identity, operation, item, self._outcome)
        return verdict

    def _interrupted(self, exc: ConnectionFailedError) -> TransportFailedError:
        """The error that stops the flush; writes left in doubt are settled next commit."""
        self._record_doubts()
        written = self._outcome.written
        return TransportFailedError(
            f"commit interrupted: {exc}. {written} of {len(self._operations)} operations were "
            f"confirmed and are applied; writes whose outcome is unknown are read back by "
            f"the next commit, the others keep their pre-commit state and are sent by it",
            confirmed=written,
        )

    def _gave_up(self, operations: list[Operation]) -> TransportFailedError:
        for operation in operations:
            operation.status = Status.UNKNOWN
        return self._interrupted(
            ConnectionFailedError(
                f"the server kept losing the answers to {len(operations)} writes, "
                f"{self._settings.unknown_retries} times"
            )
        )

    def _record_doubts(self) -> None:
        for operation in self._operations:
            entry = operation.entry
            if entry is not None and operation.status is Status.UNKNOWN:
                entry.doubt = Doubt(operation.write, operation.snapshot, operation.writes)
                self._identity.doubtful[id(entry)] = entry

    def _backoff(self, again: list[Operation], rounds: Counter[Retry]) -> float:
        """How long to wait before the next round: the longest any waiting reason asks."""
        base = self._settings.rejected_backoff
        delays = {
            Retry.OVERLOADED: base * 2 ** (rounds[Retry.OVERLOADED] - 1),
            Retry.IN_DOUBT: base / 5 * 2 ** (rounds[Retry.IN_DOUBT] - 1),
            Retry.BLOCKED: min(1.0, 0.05 * 2 ** (rounds[Retry.BLOCKED] - 1)),
        }
        longest = max(delays[op.retry] for op in again if op.retry is not None)
        return float(longest * random.uniform(0.5, 1.0))


class _Flights:
    """Bulk requests in flight at once, at most `limit`, none writing a document another
    unanswered one writes."""

    def __init__(
        self, send: Callable[[list[Operation]], Coroutine[Any, Any, list[Operation]]], limit: int
    ) -> None:
        self._send = send
        self._limit = limit
        self._flying: dict[asyncio.Task[list[Operation]], set[str]] = {}
        self._again: list[Operation] = []

    async def run(self, batches: Iterator[list[Operation]]) -> list[Operation]:
        try:
            for batch in batches:
                # by id alone: one document may be named by its alias and by its concrete
                # index in one commit, and waiting for an unrelated id only costs time
                keys = {op.write.id for op in batch}
                while self._flying and (
                    len(self._flying) >= self._limit
                    or any(not keys.isdisjoint(other) for other in self._flying.values())
                ):
                    await self._land(asyncio.FIRST_COMPLETED)
                self._flying[asyncio.create_task(self._send(batch))] = keys
                await asyncio.sleep(0)  # it starts sending before the next chunk is built
            await self._land(asyncio.ALL_COMPLETED)
        except asyncio.CancelledError:
            await self._drain(cancel=True)
            raise
        except BaseException:
            await self._drain(cancel=False)
            raise
        return self._again

    async def _land(self, when: str) -> None:
        """Wait for requests to be answered; their operations to send again are kept, and
        the first failure is raised."""
        done, _ = await asyncio.wait(self._flying, return_when=when)
        failures: list[BaseException] = []
        for task in done:
            del self._flying[task]
            failure = task.exception()
            if failure is None:
                self._again.extend(task.result())
            else:
                failures.append(failure)
        if failures:
            raise failures[0]

    async def _drain(self, *, cancel: bool) -> None:
        """After a failure the requests still in flight are answered and applied; when the
        commit itself is cancelled, they are cancelled too (as one request alone would be)."""
        tasks = list(self._flying)
        self._flying.clear()
        if cancel:
            for task in tasks:
                task.cancel()
        try:
            await asyncio.shield(asyncio.gather(*tasks, return_exceptions=True))
        except asyncio.CancelledError:  # the commit is cancelled while they are answered
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise


def _overloaded(operation: Operation) -> ItemResult:
    return {
        "_index": operation.write.index,
        "_id": operation.write.id,
        "status": REJECTED,
        "error": {"type": "es_rejected_execution_exception", "reason": "node overloaded"},
    }


def chunk(operations: Iterable[Operation], settings: BulkSettings) -> Iterator[list[Operation]]:
    """Split operations into bulk requests bounded by item count and by request bytes,
    serializing deferred documents as they come (so only one chunk's are held)."""
    max_count, max_bytes = settings.chunk_size, settings.chunk_bytes
    current: list[Operation] = []
    size = 0
    for operation in operations:
        if operation.deferred:
            render(operation)
        weight = operation.write.size
        if current and (len(current) >= max_count or size + weight > max_bytes):
            yield current
            current, size = [], 0
        current.append(operation)
        size += weight
    if current:
        yield current
