"""One sort key: a field, a direction and Elasticsearch's per-field sort options."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from esorm._internal.frozen import to_json
from esorm.errors import QueryError

Order: TypeAlias = Literal["asc", "desc"]
SortMode: TypeAlias = Literal["min", "max", "sum", "avg", "median"]
_ORDERS = ("asc", "desc")
_MODES = ("min", "max", "sum", "avg", "median")


@dataclass(frozen=True)
class SortField:
    """Sort by `field` (stored path) in `order`; build it checked with `F.age.desc()`.

    Attributes:
        missing: where documents without the field go: "_last", "_first" or a stand-in value.
        mode: which value of an array field counts: "min", "max", "sum", "avg", "median".
        unmapped_type: the type to assume in indices that do not map the field.
        nested: the nested paths the field lies in (outermost first); set by field proxies.
        by_name: the field was given as a name ("-created"), not checked yet; sending the
            sort for an entity resolves it to the stored, sortable path (`to_sort_list`).
    """

    field: str
    order: Order = "asc"
    missing: str | int | float | None = None
    mode: SortMode | None = None
    unmapped_type: str | None = None
    nested: tuple[str, ...] = ()
    by_name: bool = dataclasses.field(default=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.field, str) or not self.field.strip():
            raise QueryError(f"a sort field name must be a non-empty string, got {self.field!r}")
        if self.order not in _ORDERS:
            raise QueryError(
                f"sort order of {self.field!r} must be 'asc' or 'desc', got {self.order!r}"
            )
        if self.mode is not None and self.mode not in _MODES:
            raise QueryError(
                f"sort mode of {self.field!r} must be one of {', '.join(_MODES)}, got {self.mode!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        """The sort clause, e.g. `{"age": {"order": "desc"}}`."""
        options: dict[str, Any] = {"order": self.order}
        if self.missing is not None:
            options["missing"] = self.missing
        if self.mode is not None:
            options["mode"] = self.mode
        if self.unmapped_type is not None:
            options["unmapped_type"] = self.unmapped_type
        if self.nested:
            nested: dict[str, Any] = {"path": self.nested[-1]}
            for path in reversed(self.nested[:-1]):
                nested = {"path": path, "nested": nested}
            options["nested"] = nested
        return {self.field: options}

    def __str__(self) -> str:
        return to_json(self.to_dict())
