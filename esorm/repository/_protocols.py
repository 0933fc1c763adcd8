"""What a service layer depends on in a repository, as Protocols `Repository` satisfies.

Annotate use cases with `RepositoryProtocol[Order]` (and a unit of work Protocol whose
attributes return it) instead of the concrete class; any implementation type-checks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar, Unpack

from pydantic import BaseModel

from esorm.query import (
    EntityFields,
    FetchOptions,
    OneOptions,
    Page,
    PageOptions,
    Pagination,
    QueryLike,
    ReadOptions,
    SearchOptions,
    SearchRequest,
    SortLike,
    StreamOptions,
)
from esorm.repository._repository import Found
from esorm.repository._results import SearchResult

E = TypeVar("E", bound=BaseModel)
E_co = TypeVar("E_co", bound=BaseModel, covariant=True)


class EntityStream(Protocol[E_co]):
    """Every match of a search, page by page: iterate it, close it early with `async with`."""

    def __aiter__(self) -> AsyncIterator[E_co]: ...

    async def __anext__(self) -> E_co: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    async def aclose(self) -> None:
        """Stop the stream and free what it holds on the server."""
        ...


class RepositoryProtocol(Protocol[E]):
    """The reads and change registrations of one entity type; only the unit of work writes.

    `esorm.repository.Repository` satisfies it (checked by mypy); options and errors are
    those documented there. Reads return awaitables (`await repo.get(id)`), so both
    coroutine methods and wrapped ones implement them.
    """

    @property
    def entity(self) -> type[E]:
        """The entity class."""
        ...

    @property
    def fields(self) -> EntityFields:
        """Typo-checked field expressions of the entity."""
        ...

    def get(self, doc_id: str, **options: Unpack[ReadOptions]) -> Awaitable[E]:
        """One entity by id (`NotFoundError` when it does not exist)."""
        ...

    def find(self, doc_id: str, **options: Unpack[ReadOptions]) -> Awaitable[E | None]:
        """One entity by id, or None."""
        ...

    def get_many(
        self,
        ids: Iterable[str],
        *,
        routing: str | Sequence[str | None] | None = None,
        **options: Unpack[FetchOptions],
    ) -> Awaitable[Found[E]]:
        """Many entities by id, in order, with the ids that do not exist."""
        ...

    def exists(self, doc_id: str, *, routing: str | None = None) -> Awaitable[bool]:
        """Whether the document exists, as this unit of work sees it."""
        ...

    def load(
        self, entities: Iterable[E], *relations: str, depth: int | None = None
    ) -> Awaitable[list[E]]:
        """Load relations of entities in hand, in batches."""
        ...

    def add(self, entity: E) -> E:
        """Track a new entity, created on commit."""
        ...

    def add_all(self, entities: Iterable[E]) -> list[E]:
        """Track several new entities."""
        ...

    def put(self, entity: E) -> E:
        """Track an entity written on commit whatever is stored (last write wins)."""
        ...

    def remove(self, entity: E) -> None:
        """Schedule a tracked entity's deletion on commit."""
        ...

    def id_of(self, entity: E) -> str:
        """The document id of an entity."""
        ...

    def search(
        self, query: QueryLike | None = None, **options: Unpack[SearchOptions]
    ) -> Awaitable[SearchResult[E]]:
        """A search; hits come back as tracked entities."""
        ...

    def execute(self, request: SearchRequest) -> Awaitable[SearchResult[E]]:
        """Run a search request built beforehand."""
        ...

    def search_one(
        self, query: QueryLike | None = None, **options: Unpack[OneOptions]
    ) -> Awaitable[E | None]:
        """The first match, or None."""
        ...

    def search_by_fields(
        self,
        values: Mapping[str, Any] | None = None,
        /,
        *,
        sort: SortLike | None = None,
        size: int | None = None,
        offset: int | None = None,
        search_after: Sequence[Any] | None = None,
        track_total_hits: bool | int = True,
        aggs: Mapping[str, Any] | None = None,
        source_includes: Sequence[str] | None = None,
        source_excludes: Sequence[str] | None = None,
        routing: str | None = None,
        load: Sequence[str] | None = None,
        depth: int | None = None,
        track: bool = True,
        **field_values: Any,
    ) -> Awaitable[SearchResult[E]]:
        """Documents whose fields equal the given values exactly."""
        ...

    def count(
        self, query: QueryLike | None = None, *, routing: str | None = None
    ) -> Awaitable[int]:
        """The exact number of matches."""
        ...

    def page(
        self,
        query: QueryLike | None = None,
        pagination: Pagination | None = None,
        **options: Unpack[PageOptions],
    ) -> Awaitable[Page[E]]:
        """One page of matches with the total."""
        ...

    def aggregate(
        self,
        query: QueryLike | None = None,
        aggs: Mapping[str, Any] | None = None,
        *,
        routing: str | None = None,
    ) -> Awaitable[dict[str, Any]]:
        """Aggregations over the matches."""
        ...

    def all(
        self, query: QueryLike | None = None, **options: Unpack[StreamOptions]
    ) -> Awaitable[list[E]]:
        """Every match, tracked."""
        ...

    def iterate(
        self, query: QueryLike | None = None, **options: Unpack[StreamOptions]
    ) -> EntityStream[E]:
        """Stream every match through a point in time."""
        ...
