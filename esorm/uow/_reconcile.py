"""Deciding, from what the server holds now, what became of a write whose answer was lost.

Compared, per write: whether the document exists, the write ids it carries (its own id
among them: applied), and its `_seq_no`/`_primary_term` against the write's guard (equal:
not applied). What cannot be told apart: a write applied and then written over by more
than `RECENT_WRITES - 1` others before the read, or by a writer that drops the ids (not
esorm), reads as a conflict; a document that was created by this write and then deleted
by someone else reads as not applied, and is created again.
"""

from __future__ import annotations

import enum

from esorm.mapping import WRITES_FIELD
from esorm.store import Hit, ItemResult, Write


class Verdict(enum.Enum):
    """What became of a write whose outcome was unknown."""

    APPLIED = "applied"
    """The server applied it, and it is the document's latest write."""
    SUPERSEDED = "superseded"
    """The server applied it, and another writer has written the document since."""
    NOT_APPLIED = "not applied"
    """The server did not apply it: sending it again, as it is, is safe."""
    CONFLICT = "conflict"
    """Another writer's write decided the document; this one was refused or undone."""


def judge(write: Write, hit: Hit | None) -> Verdict:
    """The verdict on `write`, given what the server holds for its document now."""
    if write.version is not None:  # external versioning: the version is the write's own
        stored = hit["_version"] if hit is not None and "_version" in hit else None
        if stored is None or stored < write.version:
            return Verdict.NOT_APPLIED
        return Verdict.APPLIED if stored == write.version else Verdict.CONFLICT
    if hit is None:
        if write.action == "delete":
            return Verdict.APPLIED
        if write.action == "create" or write.if_seq_no is None:
            return Verdict.NOT_APPLIED
        return Verdict.CONFLICT  # a guarded change of a document someone deleted
    if write.marker is not None:
        writes = (hit.get("_source") or {}).get(WRITES_FIELD) or []
        if write.marker in writes:
            return Verdict.APPLIED if writes[0] == write.marker else Verdict.SUPERSEDED
    if write.if_seq_no is None:  # unguarded: a create meets a document not written by it
        return Verdict.CONFLICT if write.action == "create" else Verdict.NOT_APPLIED
    untouched = (hit.get("_seq_no"), hit.get("_primary_term")) == (
        write.if_seq_no,
        write.if_primary_term,
    )
    return Verdict.NOT_APPLIED if untouched else Verdict.CONFLICT


def settled_item(write: Write, verdict: Verdict, hit: Hit | None) -> ItemResult:
    """The bulk item the server would have answered, as far as the verdict knows it."""
    if verdict is Verdict.CONFLICT:
        if write.action == "create":
            reason = f"[{write.id}]: version conflict, document already exists (not written by us)"
        else:
            reason = (
                f"[{write.id}]: version conflict, the document was changed or deleted by "
                f"another writer while the outcome of this write was unknown"
            )
        error = {"type": "version_conflict_engine_exception", "reason": reason}
        return {"_index": write.index, "_id": write.id, "status": 409, "error": error}
    item: dict[str, object] = {"_index": write.index, "_id": write.id, "status": 200}
    if hit is not None:
        seq_no, term = hit.get("_seq_no", 0), hit.get("_primary_term", 0)
        if verdict is Verdict.SUPERSEDED:
            seq_no -= 1  # never the current version: the next guarded write must conflict
        item.update(_index=hit.get("_index", write.index), _seq_no=seq_no, _primary_term=term)
    return item
