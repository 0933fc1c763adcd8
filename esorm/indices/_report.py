"""What creating one index did: created, updated with new fields, or left unchanged."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class IndexStatus(enum.StrEnum):
    """The outcome of creating or reconciling one index."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class IndexReport:
    """The outcome for one index.

    Attributes:
        index: the registry's index name (an alias).
        status: created, updated (new fields were added) or unchanged.
        added_fields: dotted paths of the fields `put_mapping` added (only when updated).
        concrete: the concrete index behind the name, that was created or reconciled.
        filled: documents that got the default of an added field (backfill).
    """

    index: str
    status: IndexStatus
    added_fields: tuple[str, ...] = ()
    concrete: str | None = field(default=None, compare=False)
    filled: int = field(default=0, compare=False)

    def __str__(self) -> str:
        where = f" ({self.concrete})" if self.concrete and self.concrete != self.index else ""
        if self.added_fields:
            filled = f", {self.filled} documents filled" if self.filled else ""
            return f"{self.index}{where}: {self.status} (+{', '.join(self.added_fields)}{filled})"
        return f"{self.index}{where}: {self.status}"
