"""The ETag on a response, and the header names a browser client needs CORS to allow."""

from __future__ import annotations

from typing import TypeVar

from fastapi import Response
from pydantic import BaseModel

from esorm.fastapi._totals import TOTAL_HEADERS
from esorm.uow import UnitOfWork

E = TypeVar("E", bound=BaseModel)

ETAG_HEADER = "ETag"
"""The strong ETag of the version a response shows (or a write produced)."""

IF_MATCH_HEADER = "If-Match"
IF_NONE_MATCH_HEADER = "If-None-Match"

PRECONDITION_HEADERS = (IF_MATCH_HEADER, IF_NONE_MATCH_HEADER)
"""Request headers a browser sends only if CORS allows them:
`CORSMiddleware(app, allow_headers=list(PRECONDITION_HEADERS), ...)`."""

EXPOSE_HEADERS = (*TOTAL_HEADERS, ETAG_HEADER)
"""Every response header esorm.fastapi sets; a browser client reads them only if CORS
exposes them: `CORSMiddleware(app, expose_headers=list(EXPOSE_HEADERS), ...)`."""


def set_etag(response: Response, uow: UnitOfWork, entity: E) -> E:
    """Put the entity's ETag (the version its unit of work last saw confirmed) on `response`;
    returns the entity. An entity never stored gets none."""
    tag = uow.etag_of(entity)
    if tag is not None:
        response.headers[ETAG_HEADER] = tag
    return entity
