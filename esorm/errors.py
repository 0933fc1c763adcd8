"""One tree of errors with a single root, so callers can catch esorm's failures precisely."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

__all__ = [
    "ClusterAccessError",
    "CommitError",
    "ConfigurationError",
    "ConflictError",
    "ConnectionFailedError",
    "EsormError",
    "IndexMappingConflictError",
    "IndexMissingError",
    "InvalidETagError",
    "InvalidEntityError",
    "MappingError",
    "NotFoundError",
    "NotRegisteredError",
    "OutcomeUnknownError",
    "PreconditionFailedError",
    "QueryError",
    "RelationNotLoadedError",
    "ServerError",
    "TransportFailedError",
    "UnitOfWorkStateError",
    "UnreadableDocumentError",
    "VersionMismatchError",
    "WriteFailure",
]


class EsormError(Exception):
    """Root of every error esorm raises."""


class ConfigurationError(EsormError):
    """Settings that cannot work: a bad URL, conflicting credentials, a bad chunk size."""


class MappingError(EsormError):
    """An entity cannot be mapped: unsupported field type, bad index name, clashing registration."""


class NotRegisteredError(MappingError):
    """An entity type was used that the registry does not know."""


class ConnectionFailedError(EsormError):
    """The cluster cannot be used right now: unreachable, no answer in time, refusing
    esorm's credentials, or failing itself. Never carries credentials."""


class ClusterAccessError(ConnectionFailedError):
    """The cluster refused esorm's credentials (401) or what they may do (403).

    A problem of the application's configuration, not of its callers: an API answers it
    as unavailable (503), never as the caller's 401.
    """


class ServerError(ConnectionFailedError):
    """The cluster answered a request with a failure of its own (5xx)."""

    def __init__(self, message: str, *, status: int) -> None:
        self.status = status
        super().__init__(message)


class OutcomeUnknownError(ConnectionFailedError):
    """A write request went out, but its answer was lost, late or unreadable: the server
    may or may not have applied it. The unit of work reads the documents back to decide."""


class VersionMismatchError(EsormError):
    """The server's major version does not match the installed elasticsearch client."""


class IndexMappingConflictError(EsormError):
    """An existing index maps fields with other types than the entity now declares.

    `field`, `old_type` and `new_type` are the first; `conflicts` holds every one (each
    with `path`, `old_type`, `new_type`).
    """

    def __init__(
        self,
        index: str,
        field: str,
        old_type: str,
        new_type: str,
        conflicts: Sequence[Any] = (),
    ) -> None:
        self.index = index
        self.field = field
        self.old_type = old_type
        self.new_type = new_type
        self.conflicts = tuple(conflicts)
        others = [f"{c.path!r} ({c.old_type} -> {c.new_type})" for c in self.conflicts[1:]]
        more = f"; also {', '.join(others)}" if others else ""
        super().__init__(
            f"index {index!r}: field {field!r} is mapped as {old_type!r} but the entity now "
            f"declares {new_type!r}{more}; Elasticsearch cannot change a field's type in "
            f"place: migrate the index (esorm.migrations.Migration, or `esorm migrate run`)"
        )


class NotFoundError(EsormError):
    """A document that was asked for by id does not exist."""

    def __init__(self, entity: type[Any], index: str, doc_id: str) -> None:
        self.entity = entity
        self.index = index
        self.id = doc_id
        super().__init__(f"{entity.__name__} {doc_id!r} not found in index {index!r}")


class IndexMissingError(EsormError):
    """An entity's index does not exist yet; create it through the index manager."""

    @classmethod
    def of(cls, index: str, *, entity: str | None = None, action: str | None = None) -> Self:
        """The error for a missing index, named (with its entity) and with what to do."""
        owner = f" of {entity}" if entity else ""
        prefix = f"{action}: " if action else ""
        return cls(
            f"{prefix}index {index!r}{owner} does not exist; create it with "
            f"IndexManager(client, registry).create_all()"
        )


class InvalidEntityError(EsormError):
    """An entity failed validation or cannot be stored; raised before anything is sent."""


class UnreadableDocumentError(EsormError):
    """A stored document does not validate as its entity: the data is wrong, not the request.

    Names the index, the id and every field that fails (`fields`), so it can be repaired.
    """

    def __init__(self, entity: type[Any], index: str, doc_id: str, cause: Exception) -> None:
        self.entity = entity
        self.index = index
        self.id = doc_id
        errors = getattr(cause, "errors", None)
        details = errors(include_url=False) if callable(errors) else []
        self.fields: tuple[str, ...] = tuple(
            ".".join(str(part) for part in detail.get("loc", ())) for detail in details
        )
        problems = "; ".join(
            f"{'.'.join(str(p) for p in d.get('loc', ())) or '(document)'}: {d.get('msg')}"
            for d in details
        )
        super().__init__(
            f"{entity.__name__} {doc_id!r} in index {index!r} cannot be loaded: its "
            f"stored document does not validate as {entity.__name__}: {problems or cause}"
        )


class UnitOfWorkStateError(EsormError):
    """A unit of work was used where its state forbids it (not entered, closed, other task)."""


class QueryError(EsormError):
    """A query cannot be built: unknown field, wrong value type, bad pagination."""


class InvalidETagError(EsormError):
    """An `If-Match`/`If-None-Match` header or an ETag that cannot be read, or one esorm made
    for another entity type: the caller's mistake, not a stale version (HTTP 400)."""


class RelationNotLoadedError(EsormError):
    """A relation was read before the repository loaded it."""


@dataclass(frozen=True, slots=True, eq=False)
class WriteFailure:
    """One bulk item the server refused, tied back to the entity it was for."""

    entity: Any
    operation: str
    index: str
    id: str
    status: int
    error_type: str
    reason: str

    @property
    def is_conflict(self) -> bool:
        """True for version conflicts and already-existing documents (409)."""
        return self.status == 409

    @property
    def is_missing(self) -> bool:
        """True when the document to change or delete does not exist (404)."""
        return self.status == 404

    def __str__(self) -> str:
        return (
            f"{type(self.entity).__name__} {self.id!r} in {self.index!r}: {self.operation} "
            f"failed with {self.status} {self.error_type}: {self.reason}"
        )


class CommitError(EsormError):
    """Some operations of a commit failed; every failure is listed, the rest were written."""

    def __init__(
        self, failures: Sequence[WriteFailure], written: int = 0, written_before: int = 0
    ) -> None:
        self.failures: tuple[WriteFailure, ...] = tuple(failures)
        self.written = written
        self.written_before = written_before
        """Operations earlier commits of the same `async with` block wrote."""
        lines = "\n".join(f"  - {f}" for f in self.failures)
        super().__init__(
            f"{len(self.failures)} of {len(self.failures) + written} operations failed "
            f"(the others were written; failed entities stay pending):\n{lines}"
        )

    @property
    def entities(self) -> list[Any]:
        """The entities whose write failed, in the order they were sent."""
        return [f.entity for f in self.failures]


class ConflictError(CommitError):
    """A commit failed only because of version conflicts or already-existing documents."""


class PreconditionFailedError(ConflictError):
    """The version a client expected is not the document's current one (`If-Match`), or a
    create-only write met an existing document (`If-None-Match: *`): HTTP 412.

    Raised when an entity is pinned to a version it no longer has, and by the commit whose
    pinned write the server refused. `current_etag` is the document's ETag as far as it is
    known (None: it does not exist, or could not be read), for the client to start over
    from. Retry helpers never re-run it: the client has to read again first.
    """

    def __init__(
        self,
        failures: Sequence[WriteFailure],
        written: int = 0,
        written_before: int = 0,
        *,
        current_etag: str | None = None,
    ) -> None:
        super().__init__(failures, written, written_before)
        self.current_etag = current_etag
        first = self.failures[0] if self.failures else None
        if first is None:
            what = "the document is not as the client expected"
        elif first.status == 412:  # refused before writing: the reason says why
            what = f"{type(first.entity).__name__} {first.id!r}: {first.reason}"
        else:
            done = "created" if first.operation == "create" else "changed or deleted"
            what = (
                f"{type(first.entity).__name__} {first.id!r} was {done} by another write "
                f"after the version the client expected"
            )
        lines = "\n".join(f"  - {f}" for f in self.failures)
        self.args = (f"precondition failed: {what}\n{lines}",)


class TransportFailedError(ConnectionFailedError):
    """The connection failed during a commit; unconfirmed writes stay pending for a later commit."""

    def __init__(self, message: str, *, confirmed: int = 0) -> None:
        self.confirmed = confirmed
        super().__init__(message)
