"""Bulk items applied to in-memory indices with Elasticsearch's semantics, one at a time.

`create` refuses an existing id; `index` writes whatever is there; both may be guarded
by `if_seq_no`/`if_primary_term` or carry an external `version`. `update` takes esorm's
own partial-update script or a `doc` to merge (a merge that changes nothing is a
`noop`). `delete` of a missing document answers 404 `not_found`. Every applied
operation takes the next sequence number of its index; every item answers as the
server's bulk item would, failures included.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from esorm.store import ItemResult, Write
from esorm.testing.memory._errors import Rejected, conflict, index_missing, refuse, routing_missing
from esorm.testing.memory._index import PRIMARY_TERM, Document, Index
from esorm.testing.memory._parse import index_document
from esorm.testing.memory._types import JsonFloat
from esorm.uow import PARTIAL_UPDATE_SCRIPT

_SHARDS = {"total": 2, "successful": 1, "failed": 0}
_UPDATE_KEYS = frozenset({"doc", "script", "detect_noop"})


@dataclass(frozen=True, slots=True)
class Prepared:
    """A write with its body decoded: checked before any write of the request is applied."""

    write: Write
    body: Any


def prepare(write: Write) -> Prepared:
    """Decode a write's body; refuse what the store cannot apply exactly, before anything is.

    Raises:
        Refused: an update with a script other than esorm's partial update, or an upsert.
    """
    if write.source is None:
        return Prepared(write, None)
    try:
        body = json.loads(write.source, parse_float=JsonFloat)
    except ValueError:
        body = _UNPARSEABLE
    if write.action == "update" and isinstance(body, Mapping):
        _check_update(write, body)
    return Prepared(write, body)


_UNPARSEABLE = object()


def _check_update(write: Write, body: Mapping[str, Any]) -> None:
    unknown = sorted(set(body) - _UPDATE_KEYS)
    if unknown:
        raise refuse(
            f"update {write.id!r} with {unknown}",
            "the in-memory store applies esorm's partial-update script and `doc` merges only",
        )
    script = body.get("script")
    if script is None:
        return
    if (
        not isinstance(script, Mapping)
        or script.get("source") != PARTIAL_UPDATE_SCRIPT
        or script.get("lang", "painless") != "painless"
        or set(script) - {"source", "lang", "params"}
        or not isinstance((script.get("params") or {}).get("doc"), Mapping)
    ):
        raise refuse(
            f"update script of {write.id!r}",
            "the in-memory store runs no Painless; it applies only esorm's own partial-update "
            "script (esorm.uow.PARTIAL_UPDATE_SCRIPT)",
            "use the embedded server for other scripts",
        )


def apply(index: Index | None, prepared: Prepared, create_index: Callable[[], Index]) -> ItemResult:
    """Apply one bulk item and answer as Elasticsearch does for it."""
    write = prepared.write
    if index is None:
        if write.action in ("delete", "update"):
            return _failed(write.index, write, 404, index_missing(write.index))
        index = create_index()  # auto-created, as a cluster does on the first write
    if index.catalog.routing_required and write.routing is None:
        return _failed(index.name, write, 400, routing_missing(index.name, write.id))
    try:
        return _APPLY[write.action](index, prepared)
    except Rejected as rejected:
        return _failed(index.name, write, rejected.status, rejected.error)


def _failed(index: str, write: Write, status: int, error: Mapping[str, Any]) -> ItemResult:
    return {"_index": index, "_id": write.id, "status": status, "error": dict(error)}


def _answer(index: Index, document: Document, result: str, status: int) -> ItemResult:
    return {
        "_index": index.name,
        "_id": document.id,
        "_version": document.version,
        "result": result,
        "_shards": dict(_SHARDS),
        "_seq_no": document.seq_no,
        "_primary_term": PRIMARY_TERM,
        "status": status,
    }


def _create(index: Index, prepared: Prepared) -> ItemResult:
    write = prepared.write
    current = index.docs.get(write.id)
    if write.if_seq_no is not None:
        raise Rejected(
            "action_request_validation_exception",
            "Validation Failed: 1: create operations do not support compare and set. use "
            "index instead;",
        )
    if current is not None:
        raise conflict(
            f"[{write.id}]: version conflict, document already exists (current version "
            f"[{current.version}])"
        )
    return _put(index, prepared, None)


def _index(index: Index, prepared: Prepared) -> ItemResult:
    write = prepared.write
    current = index.docs.get(write.id)
    _check_guard(write, current)
    return _put(index, prepared, current)


def _put(index: Index, prepared: Prepared, current: Document | None) -> ItemResult:
    write = prepared.write
    source = _document_body(write, prepared.body)
    values = index_document(index.catalog, source, write.id)
    version = _next_version(write, current)
    stored = index.store(write.id, write.source or b"{}", version, write.routing, values)
    created = current is None
    return _answer(index, stored, "created" if created else "updated", 201 if created else 200)


def _document_body(write: Write, body: Any) -> Mapping[str, Any]:
    if body is _UNPARSEABLE or not isinstance(body, Mapping):
        raise Rejected(
            "document_parsing_exception",
            f"failed to parse: the document of {write.id!r} is not a JSON object",
        )
    return body


def _delete(index: Index, prepared: Prepared) -> ItemResult:
    write = prepared.write
    current = index.docs.get(write.id)
    _check_guard(write, current)
    if current is None:
        # a delete of nothing is still an operation: it takes a sequence number
        return {
            "_index": index.name,
            "_id": write.id,
            "_version": 1,
            "result": "not_found",
            "_shards": dict(_SHARDS),
            "_seq_no": index.take_seq_no(),
            "_primary_term": PRIMARY_TERM,
            "status": 404,
        }
    del index.docs[write.id]
    gone = Document(write.id, b"", index.take_seq_no(), _next_version(write, current), None, -1, {})
    return _answer(index, gone, "deleted", 200)


def _update(index: Index, prepared: Prepared) -> ItemResult:
    write = prepared.write
    current = index.docs.get(write.id)
    if current is None:
        raise Rejected("document_missing_exception", f"[{write.id}]: document missing", status=404)
    _check_guard(write, current)
    body = prepared.body
    source = current.parsed_with_numbers()
    if "script" in body:
        params = body["script"].get("params") or {}
        for key, value in params["doc"].items():
            source[key] = value
        for key in params.get("remove") or ():
            source.pop(key, None)
    else:
        merged = _merge(source, body.get("doc") or {})
        if merged == source and body.get("detect_noop", True) is not False:
            return _answer(index, current, "noop", 200)
        source = merged
    values = index_document(index.catalog, source, write.id)
    raw = json.dumps(source, ensure_ascii=False, separators=(",", ":")).encode()
    stored = index.store(write.id, raw, current.version + 1, current.routing, values)
    return _answer(index, stored, "updated", 200)


def _merge(source: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(source)
    for key, value in changes.items():
        old = merged.get(key)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            merged[key] = _merge(old, value)
        else:
            merged[key] = value
    return merged


def _check_guard(write: Write, current: Document | None) -> None:
    """Refuse a write whose version guard does not hold (409, Elasticsearch's reasons)."""
    if write.if_seq_no is not None:
        wanted = f"required seqNo [{write.if_seq_no}], primary term [{write.if_primary_term}]"
        if current is None:
            raise conflict(f"[{write.id}]: version conflict, {wanted} but no document was found")
        if (current.seq_no, PRIMARY_TERM) != (write.if_seq_no, write.if_primary_term):
            raise conflict(
                f"[{write.id}]: version conflict, {wanted}. current document has seqNo "
                f"[{current.seq_no}] and primary term [{PRIMARY_TERM}]"
            )
    if write.version is not None and current is not None:
        stale = (
            write.version < current.version
            if write.version_type == "external_gte"
            else write.version <= current.version
        )
        if stale:
            raise conflict(
                f"[{write.id}]: version conflict, current version [{current.version}] is "
                f"higher or equal to the one provided [{write.version}]"
            )


def _next_version(write: Write, current: Document | None) -> int:
    if write.version is not None:
        return write.version
    return 1 if current is None else current.version + 1


_APPLY: dict[str, Callable[[Index, Prepared], ItemResult]] = {
    "create": _create,
    "index": _index,
    "update": _update,
    "delete": _delete,
}
