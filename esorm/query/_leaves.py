"""Single-clause queries on fields, wrapped in `nested` queries for fields inside nested objects."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from esorm._internal.frozen import FrozenMap, thaw
from esorm.errors import QueryError
from esorm.query._query import FILTER_CLAUSES, Query


@dataclass(frozen=True, eq=False, repr=False)
class Leaf(Query):
    """One clause, `{clause: body}`, on `fields`, inside the nested objects at `nested`.

    Rendered inside one `nested` query per path of `nested` not yet entered, so a condition
    on its own means "some element matches".
    """

    clause: str
    body: FrozenMap
    fields: tuple[str, ...] = ()
    nested: tuple[str, ...] = ()

    @property
    def scores(self) -> bool:
        return self.clause not in FILTER_CLAUSES

    def _render(self, scope: tuple[str, ...]) -> dict[str, Any]:
        return wrap_nested({self.clause: thaw(self.body)}, self.nested, scope)

    def _field_paths(self) -> Iterator[str]:
        return iter(self.fields)


@dataclass(frozen=True, eq=False, repr=False)
class NestedQuery(Query):
    """A `nested` query: `query` must match within one element of the nested field `path`.

    Clauses inside are not wrapped again for `path`; fields outside it are refused.
    """

    path: str
    query: Query
    outer: tuple[str, ...] = ()
    score_mode: str | None = None
    ignore_unmapped: bool | None = None

    def __post_init__(self) -> None:
        for field in self.query._field_paths():
            if not field.startswith(f"{self.path}."):
                raise QueryError(
                    f"nested({self.path!r}, ...): field {field!r} is not inside {self.path!r}; "
                    f"only fields of the nested object can be matched per element"
                )

    @property
    def scores(self) -> bool:
        return self.query.scores

    def _render(self, scope: tuple[str, ...]) -> dict[str, Any]:
        inner = self.query._render((*scope, *self.outer, self.path))
        body: dict[str, Any] = {"path": self.path, "query": inner}
        if self.score_mode is not None:
            body["score_mode"] = self.score_mode
        if self.ignore_unmapped is not None:
            body["ignore_unmapped"] = self.ignore_unmapped
        return wrap_nested({"nested": body}, self.outer, scope)

    def _field_paths(self) -> Iterator[str]:
        yield self.path
        yield from self.query._field_paths()


def wrap_nested(
    clause: dict[str, Any], paths: tuple[str, ...], scope: tuple[str, ...]
) -> dict[str, Any]:
    """`clause` inside one `nested` query per path in `paths` not already entered."""
    for path in reversed(paths):
        if path not in scope:
            clause = {"nested": {"path": path, "query": clause}}
    return clause
