"""esorm's errors as HTTP answers, so endpoints need no try/except for the common cases."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from esorm.errors import (
    CommitError,
    ConflictError,
    ConnectionFailedError,
    InvalidEntityError,
    InvalidETagError,
    NotFoundError,
    PreconditionFailedError,
    QueryError,
    RelationNotLoadedError,
    UnreadableDocumentError,
)

_log = logging.getLogger("esorm.fastapi")

# the most specific class first: a PreconditionFailedError is also a ConflictError, which is
# also a CommitError
STATUS_OF: tuple[tuple[type[Exception], int], ...] = (
    (NotFoundError, 404),
    (PreconditionFailedError, 412),
    (ConflictError, 409),
    (CommitError, 422),
    (InvalidEntityError, 422),
    (QueryError, 400),
    (InvalidETagError, 400),
    (RelationNotLoadedError, 500),
    (UnreadableDocumentError, 500),
    (ConnectionFailedError, 503),
)
"""The HTTP status each handled error answers with."""


def install_error_handlers(app: FastAPI) -> None:
    """Answer esorm's errors with their status and a JSON body naming what failed.

    404 for a missing document, 412 when the version a client sent (`If-Match`) is stale
    or a create-only write met an existing document (with the current `ETag` when known),
    409 for a version conflict (listing each conflicting entity, so a client can reload
    and retry), 400 for an unreadable or foreign ETag, 422 for other refused writes and invalid
    entities, 400 for a query that cannot be built, 500 for a stored document that does
    not validate (the data is wrong, not the request), 503 when the cluster cannot be
    used: unreachable, failing, or refusing the application's own credentials, which is
    never the API client's 401. Server-side problems are logged in full (logger
    `esorm.fastapi`) and answered without cluster URLs or credentials hints.
    """
    for error_class, status in STATUS_OF:
        app.add_exception_handler(error_class, _handler(status))


def _handler(status: int) -> Any:
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        body: dict[str, Any] = {"detail": str(exc).splitlines()[0]}
        if status >= 500:
            _log.error("%s %s answered %d: %s", request.method, request.url.path, status, exc)
        if isinstance(exc, ConnectionFailedError):
            body["detail"] = "the data store is unavailable right now; try again later"
        elif isinstance(exc, UnreadableDocumentError):
            body["detail"] = f"stored {exc.entity.__name__} {exc.id!r} is invalid"
        if isinstance(exc, CommitError):
            body["failures"] = [
                {
                    "entity": type(failure.entity).__name__,
                    "id": failure.id,
                    "operation": failure.operation,
                    "status": failure.status,
                    "error": failure.error_type,
                    "reason": failure.reason,
                }
                for failure in exc.failures
            ]
        headers = None
        if isinstance(exc, PreconditionFailedError) and exc.current_etag is not None:
            headers = {"ETag": exc.current_etag}
        return JSONResponse(body, status_code=status, headers=headers)

    return handle
