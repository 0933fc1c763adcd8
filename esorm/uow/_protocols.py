"""What a service layer depends on in a unit of work, as a Protocol `UnitOfWork` satisfies.

Declare the repositories a use case needs on a Protocol of your own and inject any
implementation (a `UnitOfWork` subclass on a server or on an `InMemoryStore`):

    class OrderUnitOfWork(UnitOfWorkProtocol, Protocol):
        @property
        def orders(self) -> RepositoryProtocol[Order]: ...
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Protocol, Self, TypeVar

from pydantic import BaseModel

from esorm.repository import RepositoryProtocol
from esorm.store import Refresh
from esorm.uow._unit import CommitResult

E = TypeVar("E", bound=BaseModel)
T = TypeVar("T")


class UnitOfWorkProtocol(Protocol):
    """Enter, read and register changes through repositories, commit once, or roll back.

    `esorm.uow.UnitOfWork` satisfies it (checked by mypy); semantics as documented there,
    joining included: a use case may open its own `async with` on a unit already entered.
    """

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    def commit(self, *, refresh: Refresh | None = None) -> Awaitable[CommitResult]:
        """Write every change; `ConflictError`/`CommitError` list what failed."""
        ...

    def rollback(self) -> Awaitable[None]:
        """Discard pending changes."""
        ...

    def repository(self, entity: type[E]) -> RepositoryProtocol[E]:
        """The repository of an entity type."""
        ...

    def add(self, entity: E) -> E:
        """Track a new entity of any registered type."""
        ...

    def remove(self, entity: E) -> None:
        """Schedule a tracked entity's deletion."""
        ...

    def run(
        self,
        work: Callable[[Self], Awaitable[T]],
        *,
        attempts: int = 5,
        base_delay: float = 0.05,
        max_delay: float = 2.0,
    ) -> Awaitable[T]:
        """Run `work` in this unit and commit, again from fresh loads after a conflict."""
        ...
