"""What creating one index did: created, updated with new fields, or left unchanged."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class IndexStatus(enum.StrEnum):
    """The outcome of creating or reconciling one index."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class IndexReport:
    """The outcome for one index.

    Attributes:
        index: the full index name.
        status: created, updated (new fields were added) or unchanged.
        added_fields: dotted paths of the fields `put_mapping` added (only when updated).
    """

    index: str
    status: IndexStatus
    added_fields: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.added_fields:
            return f"{self.index}: {self.status} (+{', '.join(self.added_fields)})"
        return f"{self.index}: {self.status}"
