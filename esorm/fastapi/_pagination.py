"""A dependency reading `page` and `page_size` query parameters into a `Pagination`."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Query
from fastapi.exceptions import RequestValidationError

from esorm.errors import ConfigurationError
from esorm.query import Pagination

DEFAULT_RESULT_WINDOW = 10_000
"""Elasticsearch's default `index.max_result_window`: no page may end beyond this hit."""


def pagination_dependency(
    *,
    default_page_size: int = 10,
    max_page_size: int = 100,
    max_result_window: int = DEFAULT_RESULT_WINDOW,
    page_param: str = "page",
    page_size_param: str = "page_size",
) -> Callable[..., Awaitable[Pagination]]:
    """A FastAPI dependency giving the requested `Pagination`; bad values answer 422.

    `page` counts from 1; `page_size` runs from 1 to `max_page_size`. A page ending past
    `max_result_window` (the index's setting, 10,000 by default) is refused with 422 as
    well, before any search is sent, instead of failing later with a server error.

    Args:
        page_param, page_size_param: the query parameter names.
    """
    if not 1 <= max_page_size <= max_result_window:
        raise ConfigurationError(
            f"max_page_size must be from 1 to max_result_window ({max_result_window}), "
            f"got {max_page_size}"
        )
    if not 1 <= default_page_size <= max_page_size:
        raise ConfigurationError(
            f"default_page_size must be from 1 to max_page_size ({max_page_size}), "
            f"got {default_page_size}"
        )

    async def pagination(page: int, page_size: int) -> Pagination:
        if page * page_size > max_result_window:
            deepest = max_result_window // page_size
            raise RequestValidationError(
                [
                    {
                        "type": "less_than_equal",
                        "loc": ("query", page_param),
                        "msg": (
                            f"page {page} of {page_size} hits ends past hit "
                            f"{max_result_window}, the deepest a page can reach; the last "
                            f"page for {page_size_param}={page_size} is {deepest}"
                        ),
                        "input": page,
                        "ctx": {"le": deepest},
                    }
                ]
            )
        return Pagination(page=page, page_size=page_size, max_page_size=max_page_size)

    parameters = [
        inspect.Parameter(
            "page",
            inspect.Parameter.KEYWORD_ONLY,
            default=1,
            annotation=Annotated[
                int, Query(alias=page_param, ge=1, description="Page number, from 1.")
            ],
        ),
        inspect.Parameter(
            "page_size",
            inspect.Parameter.KEYWORD_ONLY,
            default=default_page_size,
            annotation=Annotated[
                int,
                Query(
                    alias=page_size_param,
                    ge=1,
                    le=max_page_size,
                    description=f"Hits per page, from 1 to {max_page_size}.",
                ),
            ],
        ),
    ]
    pagination.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        parameters, return_annotation=Pagination
    )
    return pagination
