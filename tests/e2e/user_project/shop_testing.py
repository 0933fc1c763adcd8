"""The user's test support: one way to reach the shop's units of work, on any store."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from shop import ShopUnitOfWork


@dataclass(frozen=True)
class Shop:
    """Units of work of the shop on one store, and how to create its indices there."""

    unit_of_work: Callable[[], ShopUnitOfWork]
    create_indices: Callable[[], Awaitable[None]]
