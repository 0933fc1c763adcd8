"""esorm's errors as HTTP answers, so endpoints need no try/except for the common cases."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from esorm.errors import (
    CommitError,
    ConflictError,
    ConnectionFailedError,
    InvalidEntityError,
    NotFoundError,
    QueryError,
    RelationNotLoadedError,
)

# the most specific class first: a ConflictError is also a CommitError
STATUS_OF: tuple[tuple[type[Exception], int], ...] = (
    (NotFoundError, 404),
    (ConflictError, 409),
    (CommitError, 422),
    (InvalidEntityError, 422),
    (QueryError, 400),
    (RelationNotLoadedError, 500),
    (ConnectionFailedError, 503),
)
"""The HTTP status each handled error answers with."""


def install_error_handlers(app: FastAPI) -> None:
    """Answer esorm's errors with their status and a JSON body naming what failed.

    404 for a missing document, 409 for a version conflict (listing each conflicting
    entity, so a client can reload and retry), 422 for other refused writes and invalid
    entities, 400 for a query that cannot be built, 503 when the cluster is unreachable.
    """
    for error_class, status in STATUS_OF:
        app.add_exception_handler(error_class, _handler(status))


def _handler(status: int) -> Any:
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        body: dict[str, Any] = {"detail": str(exc).splitlines()[0]}
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
        return JSONResponse(body, status_code=status)

    return handle
