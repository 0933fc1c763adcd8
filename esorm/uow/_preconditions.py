"""A refused commit of entities pinned to a client's version: the client's precondition failed.

Ordinary commits never come here: only a commit that had pins (`IdentityMap.pins`) and
whose writes were refused looks at them.
"""

from __future__ import annotations

from esorm.errors import CommitError, ConflictError, EsormError, PreconditionFailedError
from esorm.etags import EntityVersion
from esorm.repository import IdentityMap
from esorm.store import DocumentStore
from esorm.uow._flush import Flush
from esorm.uow._outcome import Operation, Status

_PRECONDITION_STATUSES = (404, 409)
"""How the server refuses a pinned write: changed (409) or gone (404)."""


async def refusal_of(
    store: DocumentStore, identity: IdentityMap, flush: Flush, written_before: int
) -> CommitError:
    """The error for a commit some of whose writes were refused.

    `PreconditionFailedError` (carrying the document's current ETag, read back with one
    request) when every failure is a conflict or a pinned write refused, and at least one
    is the latter; otherwise `ConflictError` or `CommitError` as for any commit.
    """
    outcome = flush.outcome
    failures = outcome.failures
    pinned = _pinned_refusals(identity, flush) if identity.pins else []
    written = outcome.written
    if pinned:
        failed = {id(operation.entry.entity) for operation in pinned if operation.entry}
        if all(f.is_conflict or id(f.entity) in failed for f in failures):
            current = await _current_etag(store, pinned[0])
            return PreconditionFailedError(failures, written, written_before, current_etag=current)
    error_class = ConflictError if all(f.is_conflict for f in failures) else CommitError
    return error_class(failures, written=written, written_before=written_before)


def _pinned_refusals(identity: IdentityMap, flush: Flush) -> list[Operation]:
    refused = []
    for operation in flush.operations:
        entry, result = operation.entry, operation.result
        if operation.status is not Status.FAILED or entry is None or result is None:
            continue
        if result.get("status") in _PRECONDITION_STATUSES and identity.pin_of(entry):
            refused.append(operation)
    return refused


async def _current_etag(store: DocumentStore, operation: Operation) -> str | None:
    """The ETag of what the server holds now for a refused pinned write (None: nothing)."""
    assert operation.entry is not None
    try:
        (hit,) = await store.read_back([operation])
    except EsormError:
        return None  # the refusal is what matters; the current version stays unknown
    if hit is None or "_seq_no" not in hit or "_primary_term" not in hit:
        return None
    index = hit.get("_index", operation.index)
    name = operation.entry.mapping.name
    return str(EntityVersion.of(name, index, operation.id, hit["_seq_no"], hit["_primary_term"]))
