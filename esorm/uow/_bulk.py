"""Sending a flush plan through `_bulk` and reading back the outcome of every item."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from elasticsearch import ApiError, AsyncElasticsearch, TransportError

from esorm.client import client_hosts, describe_connection_error
from esorm.errors import TransportFailedError, WriteFailure
from esorm.repository import IdentityMap
from esorm.uow._plan import Operation, chunk

Refresh = bool | Literal["wait_for"]

_REJECTED = 429


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


@dataclass(slots=True)
class Outcome:
    """What one flush achieved: counts per action, requests sent, and the failures."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    requests: int = 0
    failures: list[WriteFailure] = field(default_factory=list)
    confirmed: set[int] = field(default_factory=set)
    """Ids of the operations the server confirmed."""

    @property
    def written(self) -> int:
        """Operations the server confirmed."""
        return self.created + self.updated + self.deleted


async def send(
    client: AsyncElasticsearch,
    identity: IdentityMap,
    operations: Sequence[Operation],
    settings: BulkSettings,
    refresh: Refresh,
    outcome: Outcome,
) -> Outcome:
    """Send every operation, apply each confirmed one to its entry, collect the failures.

    Items the server rejects with 429 are sent again with backoff before being reported.
    A transport failure stops the flush: what was confirmed so far is applied (and in
    `outcome`, which the caller owns), the rest keeps its pre-commit state, and
    `TransportFailedError` says so.
    """
    pending = list(operations)
    for attempt in range(settings.rejected_retries + 1):
        rejected: list[tuple[Operation, dict[str, Any]]] = []
        for batch in chunk(pending, max_count=settings.chunk_size, max_bytes=settings.chunk_bytes):
            items = await _post(client, batch, refresh, outcome, len(operations))
            if items is None:
                continue
            for operation, item in zip(batch, items, strict=True):
                result = _apply(identity, operation, item, outcome)
                if result is not None:
                    rejected.append((operation, result))
        if not rejected:
            break
        if attempt == settings.rejected_retries:
            outcome.failures.extend(_failure(op, item) for op, item in rejected)
            break
        pending = [op for op, _ in rejected]
        await asyncio.sleep(settings.rejected_backoff * 2**attempt * random.uniform(0.5, 1.0))
    if outcome.failures:
        order = {id(op.entry.entity): position for position, op in enumerate(operations)}
        outcome.failures.sort(key=lambda failure: order.get(id(failure.entity), 0))
    return outcome


async def _post(
    client: AsyncElasticsearch,
    batch: list[Operation],
    refresh: Refresh,
    outcome: Outcome,
    total: int,
) -> list[dict[str, Any]] | None:
    """Send one bulk request; a refused request becomes one failure per operation (None)."""
    body = b"".join(op.body for op in batch)
    params: dict[str, Any] = {"operations": body}
    if refresh is not False:
        params["refresh"] = "wait_for" if refresh == "wait_for" else "true"
    try:
        outcome.requests += 1
        response = await client.bulk(**params)
    except TransportError as exc:
        reason = describe_connection_error(exc, client_hosts(client))
        raise TransportFailedError(
            f"commit interrupted: {reason}. {outcome.written} of {total} operations were "
            f"confirmed before the failure and are applied; the others keep their "
            f"pre-commit state and will be sent by the next commit",
            confirmed=outcome.written,
        ) from exc
    except ApiError as exc:
        error = exc.body.get("error") if isinstance(exc.body, dict) else None
        item = {"status": exc.meta.status, "error": error or {"type": str(exc.message)}}
        outcome.failures.extend(_failure(operation, item) for operation in batch)
        return None
    return [next(iter(item.values())) for item in response.body["items"]]


def _apply(
    identity: IdentityMap, operation: Operation, item: dict[str, Any], outcome: Outcome
) -> dict[str, Any] | None:
    """Apply one confirmed item to its entry; returns the item when it was a 429 rejection."""
    status = item.get("status", 0)
    entry = operation.entry
    if status == _REJECTED:
        return item
    if status >= 300 or "error" in item:
        outcome.failures.append(_failure(operation, item))
        return None
    outcome.confirmed.add(id(operation))
    if operation.action == "delete":
        identity.discard(entry)
        outcome.deleted += 1
        return None
    entry.mark_written(item["_seq_no"], item["_primary_term"], operation.snapshot)
    if operation.action == "create":
        outcome.created += 1
    else:
        outcome.updated += 1
    return None


def _failure(operation: Operation, item: dict[str, Any]) -> WriteFailure:
    entry = operation.entry
    status = int(item.get("status", 0))
    error = item.get("error")
    if isinstance(error, dict):
        error_type = str(error.get("type", "unknown"))
        reason = str(error.get("reason", ""))
        cause = error.get("caused_by")
        if isinstance(cause, dict) and cause.get("reason"):
            reason = f"{reason} (caused by {cause.get('type')}: {cause['reason']})"
    elif status == 404:
        error_type, reason = "not_found", "the document does not exist (already deleted?)"
    else:
        error_type, reason = "unknown", str(error or item.get("result", ""))
    return WriteFailure(
        entity=entry.entity,
        operation=operation.action,
        index=entry.index,
        id=entry.id,
        status=status,
        error_type=error_type,
        reason=reason,
    )
