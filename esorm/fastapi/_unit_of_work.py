"""A request-scoped unit of work: entered before the endpoint runs, left after it returns."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar, overload

from dependency_injector import containers

from esorm.errors import ConfigurationError
from esorm.events import MessageBus
from esorm.uow import UnitOfWork

U = TypeVar("U", bound=UnitOfWork)


@overload
def unit_of_work_dependency(
    source: containers.Container, *, bus: MessageBus | None = None
) -> Callable[[], AsyncIterator[UnitOfWork]]: ...


@overload
def unit_of_work_dependency(
    source: Callable[[], U], *, bus: MessageBus | None = None
) -> Callable[[], AsyncIterator[U]]: ...


def unit_of_work_dependency(
    source: containers.Container | Callable[[], Any], *, bus: MessageBus | None = None
) -> Callable[[], AsyncIterator[Any]]:
    """A FastAPI yield dependency giving each request a fresh, entered unit of work.

    `source` is an `EsormContainer` (its `unit_of_work` provider is called) or any
    factory such as `container.unit_of_work` or `lambda: BlogUow(client, registry)`.
    The endpoint commits explicitly; leaving the request without `commit()`, or with an
    error, discards what it did. Create the dependency once and reuse it, so all
    dependencies of one request share the same unit of work.

    Args:
        bus: the `MessageBus` each request's unit of work hands its confirmed events to,
            in place of the one the factory gave it (a container's `bus`, by default);
            handlers run inside the endpoint's `commit()`.
    """
    factory = _factory(source)

    async def unit_of_work() -> AsyncIterator[Any]:
        uow = factory()
        if not isinstance(uow, UnitOfWork):
            raise ConfigurationError(
                f"the unit-of-work factory returned {type(uow).__name__}, not a UnitOfWork"
            )
        if bus is not None:
            uow.bus = bus
        async with uow:
            yield uow

    return unit_of_work


def _factory(source: containers.Container | Callable[[], Any]) -> Callable[[], Any]:
    if isinstance(source, containers.Container):
        provider = getattr(source, "unit_of_work", None)
        if provider is None:
            raise ConfigurationError(
                f"{type(source).__name__} has no unit_of_work provider; subclass EsormContainer"
            )
        return provider  # type: ignore[no-any-return]
    if not callable(source):
        raise ConfigurationError(
            f"expected an EsormContainer or a unit-of-work factory, got {source!r}"
        )
    return source
