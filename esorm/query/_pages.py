"""Pagination requests and the page of results a search returns."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from esorm.errors import QueryError

T = TypeVar("T")

DEFAULT_MAX_PAGE_SIZE = 10_000  # Elasticsearch's default `index.max_result_window`


@dataclass(frozen=True)
class Pagination:
    """Page `page` (from 1) of `page_size` hits; `offset`/`size` are the request's from/size."""

    page: int = 1
    page_size: int = 10
    max_page_size: int = DEFAULT_MAX_PAGE_SIZE

    def __post_init__(self) -> None:
        for name in ("page", "page_size", "max_page_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise QueryError(f"{name} must be an int, got {type(value).__name__} {value!r}")
        if self.max_page_size < 1:
            raise QueryError(f"max_page_size must be at least 1, got {self.max_page_size}")
        if self.page < 1:
            raise QueryError(f"page must be 1 or more (pages count from 1), got {self.page}")
        if not 1 <= self.page_size <= self.max_page_size:
            raise QueryError(
                f"page_size must be from 1 to {self.max_page_size}, got {self.page_size}"
            )

    @property
    def offset(self) -> int:
        """How many hits come before this page (the search's `from`)."""
        return (self.page - 1) * self.page_size

    @property
    def size(self) -> int:
        """How many hits this page holds at most (the search's `size`)."""
        return self.page_size

    def next(self) -> Pagination:
        """The following page, same size."""
        return Pagination(self.page + 1, self.page_size, self.max_page_size)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results and what the server said about the total.

    Attributes:
        total: the number of matching documents, or a lower bound if not `total_is_exact`.
        total_is_exact: False when the server reported `relation: "gte"` (it stopped counting).
    """

    items: list[T]
    total: int
    total_is_exact: bool = True
    page: int = 1
    page_size: int = 10

    @classmethod
    def of(cls, items: list[T], total: int | Mapping[str, Any], pagination: Pagination) -> Page[T]:
        """A page of `items`; `total` is an int or the server's `{"value", "relation"}`."""
        if isinstance(total, Mapping):
            count, exact = int(total["value"]), total.get("relation", "eq") == "eq"
        else:
            count, exact = int(total), True
        return cls(items, count, exact, pagination.page, pagination.page_size)

    @property
    def pages(self) -> int:
        """How many pages the total makes (0 when nothing matched)."""
        return math.ceil(self.total / self.page_size) if self.page_size > 0 else 0

    @property
    def has_next(self) -> bool:
        """True when a later page may hold hits.

        With an exact total: this page is before the last. With a lower bound (the server
        stopped counting): also while this page is full, as more hits may follow.
        """
        if self.page < self.pages:
            return True
        return not self.total_is_exact and len(self.items) >= self.page_size

    @property
    def has_previous(self) -> bool:
        """True for every page after the first."""
        return self.page > 1

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)
