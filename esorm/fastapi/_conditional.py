"""Dependencies reading `If-Match` / `If-None-Match`, and the OpenAPI answers of such routes."""

from __future__ import annotations

import contextlib
import http
from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, Any

from fastapi import Header, HTTPException, Request

from esorm.errors import InvalidETagError
from esorm.etags import parse_if_match, parse_if_none_match
from esorm.fastapi._etags import ETAG_HEADER, IF_MATCH_HEADER, IF_NONE_MATCH_HEADER
from esorm.fastapi._preconditions import ReadPreconditions, WritePreconditions

_IF_MATCH = (
    "Change the document only if it is at this version: the ETag a GET answered with "
    "(a list, or `*` for any version). Stale: 412 with the current ETag."
)
_IF_NONE_MATCH_READ = (
    "The ETag of the copy the client holds (a list, or `*`): 304 Not Modified while it is current."
)
_IF_NONE_MATCH_WRITE = "`*`: create the document only, 412 if it exists."

_ETAG = {
    "description": "The document's version, for If-Match and If-None-Match.",
    "schema": {"type": "string"},
}


def read_preconditions() -> Callable[..., Awaitable[ReadPreconditions]]:
    """A dependency giving a read's `If-None-Match`; an unreadable header answers 400.

    Answer with `preconditions.answer(response, uow, entity)`: it sets the ETag and
    answers 304 when the client's copy is current.
    """

    # the header parameters document the route (OpenAPI); the values are read from every
    # line of the header, which a parameter would not give
    async def preconditions(
        request: Request,
        if_none_match: Annotated[
            str | None, Header(alias=IF_NONE_MATCH_HEADER, description=_IF_NONE_MATCH_READ)
        ] = None,
    ) -> ReadPreconditions:
        with _unreadable_is_400():
            return ReadPreconditions(parse_if_none_match(_joined(request, IF_NONE_MATCH_HEADER)))

    return preconditions


def write_preconditions(*, require: bool = True) -> Callable[..., Awaitable[WritePreconditions]]:
    """A dependency giving a write's `If-Match` and `If-None-Match`.

    With `require` (the default) a request sending neither `If-Match` nor
    `If-None-Match: *` answers 428 Precondition Required before the endpoint runs, so no
    client can write over a version it never saw. An unreadable header answers 400.
    Load through `preconditions.load`/`find` and the entities come back pinned.
    """

    async def preconditions(
        request: Request,
        if_match: Annotated[
            str | None, Header(alias=IF_MATCH_HEADER, description=_IF_MATCH)
        ] = None,
        if_none_match: Annotated[
            str | None, Header(alias=IF_NONE_MATCH_HEADER, description=_IF_NONE_MATCH_WRITE)
        ] = None,
    ) -> WritePreconditions:
        with _unreadable_is_400():
            found = WritePreconditions(
                parse_if_match(_joined(request, IF_MATCH_HEADER)),
                parse_if_none_match(_joined(request, IF_NONE_MATCH_HEADER)),
            )
        if require and found.if_match is None and not found.create_only:
            raise HTTPException(
                428,
                detail=f"this request changes a document only under {IF_MATCH_HEADER}: send "
                f"the {ETAG_HEADER} a GET of it answered with ({IF_NONE_MATCH_HEADER}: * to "
                f"create it)",
            )
        return found

    return preconditions


def conditional_responses(
    *statuses: int, write: bool = False, require: bool = True
) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses=` of a conditional route: the ETag header on each success
    status (200 by default; not on 204), and 304 for a read or 412 (and 428 with
    `require`) for a write."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses or (200,):
        if status != 204:
            responses[status] = {"headers": {ETAG_HEADER: _ETAG}}
            if status != 200:
                responses[status]["description"] = http.HTTPStatus(status).phrase
    if not write:
        responses[304] = {
            "description": "Not Modified: the client's copy (If-None-Match) is current.",
            "headers": {ETAG_HEADER: _ETAG},
        }
        return responses
    responses[412] = {
        "description": "Precondition Failed: the document is not at the version If-Match "
        "names (its current ETag is sent), or exists under If-None-Match: *.",
        "headers": {ETAG_HEADER: _ETAG},
    }
    if require:
        responses[428] = {"description": "Precondition Required: send If-Match."}
    return responses


def _joined(request: Request, name: str) -> str | None:
    """Every line of a header, joined as one list (None when it was not sent)."""
    values = request.headers.getlist(name)
    return ", ".join(values) if values else None


@contextlib.contextmanager
def _unreadable_is_400() -> Iterator[None]:
    try:
        yield
    except InvalidETagError as exc:
        raise HTTPException(400, detail=str(exc)) from exc
