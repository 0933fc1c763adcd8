"""What a search returns: its hits as tracked entities, the total and the aggregations."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from esorm.errors import UnreadableDocumentError
from esorm.mapping import EntityMapping
from esorm.query import SourceFilter
from esorm.repository._hydration import hydrate_all
from esorm.repository._identity import IdentityMap

E = TypeVar("E", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class SearchResult(Generic[E]):
    """Entities of one search, the total (exact or a lower bound) and any aggregations."""

    items: list[E] = field(default_factory=list)
    total: int = 0
    total_is_exact: bool = True
    aggregations: dict[str, Any] = field(default_factory=dict)
    max_score: float | None = None
    next_after: list[Any] | None = None
    """The sort values of the last hit: `search_after` for the next page (None: no hits)."""
    unreadable: list[UnreadableDocumentError] = field(default_factory=list)
    """Stored documents left out because they do not validate (`skip_unreadable=True`)."""

    def __iter__(self) -> Iterator[E]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def read_result(
    identity: IdentityMap,
    mapping: EntityMapping[E],
    response: Mapping[str, Any],
    *,
    source_filter: SourceFilter | None,
    track: bool = True,
    offset: int = 0,
    skip_unreadable: bool = False,
) -> SearchResult[E]:
    """Hydrate every hit through the identity map and read totals and aggregations."""
    hits = response["hits"]
    found = hits["hits"]
    unreadable: list[UnreadableDocumentError] | None = [] if skip_unreadable else None
    items = hydrate_all(
        identity, mapping, found, source_filter=source_filter, track=track, unreadable=unreadable
    )
    total = hits.get("total")
    if total is None:  # not counted: all that is known is what this window holds
        total = {"value": offset + len(found), "relation": "gte"}
    elif isinstance(total, int):  # rest_total_hits_as_int style
        total = {"value": total, "relation": "eq"}
    return SearchResult(
        items=items,
        total=int(total["value"]),
        total_is_exact=total.get("relation", "eq") == "eq",
        aggregations=dict(response.get("aggregations") or {}),
        max_score=hits.get("max_score"),
        next_after=found[-1].get("sort") if found else None,
        unreadable=unreadable or [],
    )
