"""A dependency reading a `sort` query parameter restricted to the names of a `SortOptions`."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import Query

from esorm.query import Sort, SortOptions


def sort_dependency(
    options: SortOptions, *, param: str = "sort", description: str | None = None
) -> Callable[..., Awaitable[Sort]]:
    """A FastAPI dependency resolving the `sort` query parameter to one of `options`.

    The parameter defaults to the options' default name; the OpenAPI schema lists the
    names as an enum, and any other value answers 422 naming the allowed ones.

    Args:
        param: the query parameter name.
        description: shown in the OpenAPI schema; by default it lists the names.
    """
    names = options.names
    choice: Any = Literal.__getitem__(names)  # Literal["newest", "title", ...]
    text = description or f"Sort order, one of: {', '.join(names)} (default {options.default!r})."

    async def sort(name: str) -> Sort:
        return options.resolve(name)

    sort.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                "name",
                inspect.Parameter.KEYWORD_ONLY,
                default=options.default,
                annotation=Annotated[
                    choice,
                    # an enum even for a single name, which pydantic would show as `const`
                    Query(alias=param, description=text, json_schema_extra={"enum": list(names)}),
                ],
            )
        ],
        return_annotation=Sort,
    )
    return sort
