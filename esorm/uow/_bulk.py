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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from esorm.errors import ConnectionFailedError, OutcomeUnknownError, TransportFailedError
from esorm.repository import Doubt, IdentityMap
from esorm.store import DocumentStore, Hit, ItemResult, Refresh
from esorm.uow._outcome import (
    REJECTED,
    Operation,
    Outcome,
    Status,
    apply_result,
    fail,
    failures_of,
)
from esorm.uow._reconcile import Verdict, judge, settled_item

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
    refresh: Refresh = False
    rejected_retries: int = 3
    rejected_backoff: float = 0.5
    unknown_retries: int = 3
    """How many rounds a write whose answer was lost is sent again (after reading back
    that it was not applied) before the commit gives up with `TransportFailedError`."""

    def __post_init__(self) -> None:
        if self.chunk_size < 1 or self.chunk_bytes < 1:
            raise ValueError("chunk_size and chunk_bytes must be positive")


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
        queue, rejected_rounds, unknown_rounds = list(operations), 0, 0
        while queue:
            again: list[Operation] = []
            for batch in chunk(queue, self._settings):
                again.extend(await self._send_batch(batch))
            overloaded = [op for op in again if not op.doubtful]
            rejected_rounds += bool(overloaded)
            unknown_rounds += len(overloaded) < len(again)
            if overloaded and rejected_rounds > self._settings.rejected_retries:
                for operation in overloaded:
                    fail(operation, operation.result or _overloaded(operation))
                again = [op for op in again if op.doubtful]
            if again and unknown_rounds > self._settings.unknown_retries:
                raise self._gave_up(again)
            if again:
                await asyncio.sleep(self._backoff(max(rejected_rounds, unknown_rounds)))
            queue = again
        self._outcome.failures = failures_of(operations)

    async def _send_batch(self, batch: list[Operation]) -> list[Operation]:
        """One bulk request; returns the operations to send again."""
        self._outcome.requests += 1
        try:
            items = await self._store.bulk(batch, refresh=self._refresh)
        except OutcomeUnknownError:
            for operation in batch:
                operation.status, operation.doubtful = Status.UNKNOWN, True
            return await self._settle(batch)
        except ConnectionFailedError as exc:
            raise self._interrupted(exc) from exc
        again: list[Operation] = []
        disputed: list[Operation] = []
        for operation, item in zip(batch, items, strict=True):
            status = item.get("status", 0)
            if status == REJECTED:
                operation.result = item
                again.append(operation)
            elif operation.doubtful and status in _DISPUTED:
                disputed.append(operation)
            else:
                apply_result(self._identity, operation, item, self._outcome)
        if disputed:
            again.extend(await self._settle(disputed))
        return again

    async def _settle(self, operations: list[Operation]) -> list[Operation]:
        """Read back the documents of operations in doubt and apply what they say."""
        try:
            hits = await self._store.read_back(operations)
        except ConnectionFailedError as exc:
            raise self._interrupted(exc) from exc
        again: list[Operation] = []
        for operation, hit in zip(operations, hits, strict=True):
            if self._apply_verdict(operation, hit) is Verdict.NOT_APPLIED:
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

    def _backoff(self, rounds: int) -> float:
        base = self._settings.rejected_backoff
        return float(base * 2 ** (rounds - 1) * random.uniform(0.5, 1.0))


def _overloaded(operation: Operation) -> ItemResult:
    return {
        "_index": operation.write.index,
        "_id": operation.write.id,
        "status": REJECTED,
        "error": {"type": "es_rejected_execution_exception", "reason": "node overloaded"},
    }


def chunk(operations: Iterable[Operation], settings: BulkSettings) -> Iterator[list[Operation]]:
    """Split operations into bulk requests bounded by item count and by request bytes."""
    max_count, max_bytes = settings.chunk_size, settings.chunk_bytes
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
