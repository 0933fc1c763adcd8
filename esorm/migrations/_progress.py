"""Progress of a migration, told to a callback: copied of total, rate, time left."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MigrationProgress:
    """Where a migration stands.

    Attributes:
        phase: "copying", "catching up", "switching", "rolling back".
        done: documents handled in this phase so far.
        total: documents the phase expects to handle (0 when unknown).
        seconds: time spent in the phase.
    """

    phase: str
    done: int
    total: int
    seconds: float

    @property
    def rate(self) -> float:
        """Documents per second in this phase."""
        return self.done / self.seconds if self.seconds > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate (None when unknown)."""
        if not self.total or not self.rate:
            return None
        return max(0.0, (self.total - self.done) / self.rate)

    def __str__(self) -> str:
        eta = f", {self.eta:.0f} s left" if self.eta is not None else ""
        return f"{self.phase}: {self.done}/{self.total} ({self.rate:.0f}/s{eta})"


ProgressCallback = Callable[[MigrationProgress], None]
"""Called after every batch a migration writes."""
