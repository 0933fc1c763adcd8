"""What the in-memory store refuses, and the error bodies Elasticsearch would answer."""

from __future__ import annotations

from typing import Any


class Refused(Exception):
    """A request the in-memory store cannot answer exactly; never answered approximately.

    The store turns it into a `QueryError` naming the clause and what to do instead.
    """


class BadRequest(Exception):
    """A request Elasticsearch itself refuses (HTTP 400), with the error object it sends."""

    def __init__(self, error_type: str, reason: str, status: int = 400) -> None:
        self.status = status
        self.error: dict[str, Any] = {"type": error_type, "reason": reason}
        super().__init__(f"{error_type}: {reason}")


class Rejected(Exception):
    """A document Elasticsearch would not index: the bulk item's status and error object."""

    def __init__(self, error_type: str, reason: str, status: int = 400) -> None:
        self.status = status
        self.error: dict[str, Any] = {"type": error_type, "reason": reason}
        super().__init__(f"{error_type}: {reason}")


def refuse(clause: str, why: str, instead: str = "") -> Refused:
    """The refusal of one clause: what it is, why it cannot be decided, and what to do."""
    hint = f"; {instead}" if instead else ""
    return Refused(f"{clause}: {why}{hint}")


def index_missing(index: str) -> dict[str, Any]:
    """The error object of a request naming an index that does not exist."""
    return {
        "type": "index_not_found_exception",
        "reason": f"no such index [{index}]",
        "index": index,
        "index_uuid": "_na_",
        "resource.id": index,
        "resource.type": "index_or_alias",
    }


def routing_missing(index: str, doc_id: str) -> dict[str, Any]:
    """The error object of an unrouted request to an index that requires routing."""
    return {
        "type": "routing_missing_exception",
        "reason": f"routing is required for [{index}]/[{doc_id}]",
        "index": index,
        "index_uuid": "_na_",
    }


def conflict(reason: str) -> Rejected:
    """A version conflict (409) with Elasticsearch's reason text."""
    return Rejected("version_conflict_engine_exception", reason, 409)
