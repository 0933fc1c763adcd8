"""Carrying documents into the new index: transform, validate, serialize, and write with the
source's version, so a later pass never overwrites newer data with older.

Every copy is written with `version_type: external` and the source document's `_version`:
the new index refuses a copy older than what it holds, so passes can repeat and overlap
freely. Copies go through the unit of work's flush, with its exact-outcome handling.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from esorm.errors import InvalidEntityError
from esorm.mapping import OUTBOX_FIELD, WRITES_FIELD, EntityMapping
from esorm.migrations._errors import DocumentRefusedError, MigrationError
from esorm.repository import IdentityMap
from esorm.store import DocumentStore, Write
from esorm.uow import BulkSettings, Flush, Operation, Status, document_json

COPY_BULK = BulkSettings(chunk_size=2500)
"""Copies go in larger requests than commits: fewer round trips for the same documents."""

Transform = Callable[[dict[str, Any]], dict[str, Any]]
"""Upcasts one stored `_source` (without esorm's write ids) to the new entity's shape."""

OnInvalid = Literal["stop", "skip"]


@dataclass(slots=True)
class Carrier:
    """Turns source hits into writes of the target index and sends them.

    Attributes:
        validate: validate each document as the (new) entity; off only for a rollback,
            whose documents go back to an older entity the code no longer has.
        skipped: ids left out under `on_invalid="skip"`, with why.
    """

    store: DocumentStore
    mapping: EntityMapping[Any]
    target: str
    transform: Transform | None = None
    on_invalid: OnInvalid = "stop"
    validate: bool = True
    skipped: list[str] = field(default_factory=list)

    async def carry(self, hits: Sequence[dict[str, Any]]) -> int:
        """Write every hit (with `_source`, `_version`) into the target; returns how many
        the target took (copies older than what it holds are left out silently)."""
        flush = Flush(self.store, IdentityMap(), settings=COPY_BULK)
        for hit in hits:
            write = self._write(hit)
            if write is not None:
                flush.add(write)
        await flush.run(False)
        taken = 0
        for operation in flush.operations:
            if operation.status is Status.CONFIRMED:
                taken += 1
            elif not _newer_exists(operation.result):
                raise DocumentRefusedError(
                    operation.id,
                    f"document {operation.id!r} could not be written into {self.target!r}: "
                    f"{operation.result}; the old index keeps serving",
                )
        return taken

    async def delete(self, ids: Sequence[tuple[str, str | None]]) -> int:
        """Delete documents from the target (gone from the source); returns how many."""
        flush = Flush(self.store, IdentityMap())
        for doc_id, routing in ids:
            flush.add(Write("delete", self.target, doc_id, None, routing))
        await flush.run(False)
        return sum(1 for op in flush.operations if op.status is Status.CONFIRMED)

    def _write(self, hit: dict[str, Any]) -> Write | None:
        doc_id = hit["_id"]
        source = dict(hit.get("_source") or {})
        writes = source.pop(WRITES_FIELD, None) or []
        outbox = source.pop(OUTBOX_FIELD, None)  # undelivered events travel with the document
        try:
            body, routing = self._document(doc_id, source, writes, hit.get("_routing"))
            if outbox is not None:
                body = _with_field(body, OUTBOX_FIELD, outbox)
        except DocumentRefusedError as exc:
            if self.on_invalid == "stop":
                raise
            self.skipped.append(f"{doc_id}: {exc}")
            return None
        return Operation(
            "index",
            self.target,
            doc_id,
            body,
            routing,
            version=int(hit["_version"]),
            version_type="external",
        )

    def _document(
        self, doc_id: str, source: dict[str, Any], writes: list[str], routing: str | None
    ) -> tuple[bytes, str | None]:
        mapping = self.mapping
        try:
            if self.transform is not None:
                source = self.transform(source)
            if not self.validate:
                body = document_json_raw(source, writes)
                return body, routing
            entity = mapping.from_source(source, doc_id)
            body = document_json(mapping, entity, writes)
        except (ValidationError, InvalidEntityError) as exc:
            raise DocumentRefusedError(
                doc_id,
                f"document {doc_id!r} does not validate as {mapping.name} after the "
                f"transform: {exc}; the old index keeps serving",
            ) from exc
        except MigrationError:
            raise
        except Exception as exc:
            raise DocumentRefusedError(
                doc_id,
                f"the transform raised on document {doc_id!r}: {type(exc).__name__}: {exc}; "
                f"the old index keeps serving",
            ) from exc
        if routing is None and mapping.routed:
            routing = mapping.routing_of(entity)
        return body, routing


def document_json_raw(source: dict[str, Any], writes: list[str]) -> bytes:
    """A document as it is, with its write ids (for rollbacks, which do not validate)."""
    body = {**source, WRITES_FIELD: writes} if writes else source
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _with_field(body: bytes, name: str, value: Any) -> bytes:
    """A JSON document with one more top-level field, added as its last."""
    added = json.dumps({name: value}, ensure_ascii=False, separators=(",", ":")).encode()
    return added if body == b"{}" else body[:-1] + b"," + added[1:]


def _newer_exists(result: Any) -> bool:
    """The target refused a copy because it holds this document at a higher version."""
    return (
        isinstance(result, dict)
        and result.get("status") == 409
        and "version_conflict" in str((result.get("error") or {}).get("type", ""))
    )
