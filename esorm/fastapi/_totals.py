"""The total number of hits on a response: headers, and a page model for the body."""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

from fastapi import Response
from pydantic import BaseModel

from esorm.query import Page

T = TypeVar("T")
"""The item type of a page (an entity class, or a response model)."""

R = TypeVar("R", bound="Totalled")

TOTAL_HITS_HEADER = "X-Total-Hits"
"""The number of matching documents (a lower bound when the relation header says `gte`)."""

TOTAL_RELATION_HEADER = "X-Total-Hits-Relation"
"""`eq` when the total is exact, `gte` when the server stopped counting."""

TOTAL_HEADERS = (TOTAL_HITS_HEADER, TOTAL_RELATION_HEADER)
"""Both headers; a browser client sees them only if CORS exposes them:
`CORSMiddleware(app, expose_headers=list(EXPOSE_HEADERS), ...)` (these and the ETag)."""


class Totalled(Protocol):
    """Anything reporting a total the way the server did: `Page`, `SearchResult`."""

    @property
    def total(self) -> int: ...

    @property
    def total_is_exact(self) -> bool: ...


def set_total_headers(response: Response, result: R) -> R:
    """Put `X-Total-Hits` and `X-Total-Hits-Relation` on `response`; returns `result`."""
    response.headers[TOTAL_HITS_HEADER] = str(result.total)
    response.headers[TOTAL_RELATION_HEADER] = "eq" if result.total_is_exact else "gte"
    return result


class PageResponse(BaseModel, Generic[T]):
    """A page as a response body: the items and what is known about the rest.

    Use it as the response model, parametrized with the item type:
    `-> PageResponse[Post]`; entities dump with their loaded relations.
    """

    items: list[T]
    total: int
    total_is_exact: bool
    page: int
    page_size: int
    pages: int
    has_next: bool
    has_previous: bool

    @classmethod
    def of(cls, page: Page[T]) -> PageResponse[T]:
        """The response body for one page of results."""
        return cls(
            items=list(page.items),
            total=page.total,
            total_is_exact=page.total_is_exact,
            page=page.page,
            page_size=page.page_size,
            pages=page.pages,
            has_next=page.has_next,
            has_previous=page.has_previous,
        )
