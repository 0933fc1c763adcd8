"""Sort values: several keys with directions, from field proxies, strings or raw dicts."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from esorm._internal.frozen import FrozenMap, thaw, to_json
from esorm.errors import QueryError
from esorm.query._entity_fields import FieldSource, fields
from esorm.query._sort_field import Order, SortField

# Names Elasticsearch sorts by that are no fields; `_score` sorts descending unless "+_score".
SPECIAL = frozenset({"_score", "_doc", "_shard_doc"})


@dataclass(frozen=True, init=False, repr=False)
class Sort:
    """Sort keys in priority order: `Sort(F.age.desc(), F.name.asc())`, `Sort.by("-age")`.

    Items are `SortField`s, names ("-created_at" sorts descending, "+x" or "x" ascending)
    or raw sort dicts such as `{"_geo_distance": {...}}`. Immutable. Names are checked when
    the sort is sent for an entity (`to_sort_list(sort, on=...)`): a field's Python name
    becomes its stored, sortable path; names it does not know are sent as they are.
    """

    items: tuple[SortField | FrozenMap, ...]

    def __init__(self, *items: SortItem) -> None:
        flat: list[SortField | FrozenMap] = []
        for item in items:
            if isinstance(item, Sort):
                flat += item.items
            elif isinstance(item, SortField):
                flat.append(item)
            elif isinstance(item, str):
                flat.append(_parse(item))
            elif isinstance(item, Mapping):
                if len(item) != 1:
                    raise QueryError(f"a raw sort clause has exactly one key, got {dict(item)!r}")
                flat.append(FrozenMap(item))
            else:
                raise QueryError(
                    f"a sort item is a SortField (F.age.desc()), a name ('-age') or a raw "
                    f"dict, got {type(item).__name__} {item!r}"
                )
        object.__setattr__(self, "items", tuple(flat))

    @classmethod
    def by(cls, *names: str, on: FieldSource | None = None) -> Sort:
        """Sort by names; "-name" descends. With `on` (an entity), names are checked and mapped."""
        if on is None:
            return cls(*names)
        entity = fields(on)
        items: list[SortField] = []
        for text in names:
            name, order = _split(text)
            if name in SPECIAL:
                items.append(SortField(name, order))
            else:
                ref = entity[name]
                items.append(ref.desc() if order == "desc" else ref.asc())
        return cls(*items)

    def resolved(self, on: FieldSource) -> Sort:
        """This sort with the names of `on`'s fields resolved to their stored sortable paths.

        `"title"` on a `Text(keyword=True)` field sorts by `title.keyword`, `"-created"` by
        the stored (alias) name; `_score`, `_doc` and names `on` does not know stay as given.

        Raises:
            QueryError: a known field cannot be sorted (a text field without keyword
                subfield, a number stored as keyword).
        """
        if not any(isinstance(i, SortField) and i.by_name for i in self.items):
            return self
        entity = fields(on)
        items: list[SortItem] = []
        for item in self.items:
            if isinstance(item, SortField) and item.by_name and item.field not in SPECIAL:
                try:
                    ref = entity[item.field]
                except QueryError:
                    items.append(item)  # not a field of the entity: sent as given
                    continue
                sort = ref.desc if item.order == "desc" else ref.asc
                items.append(
                    sort(missing=item.missing, mode=item.mode, unmapped_type=item.unmapped_type)
                )
            else:
                items.append(item)
        return Sort(*items)

    def then(self, *items: SortItem) -> Sort:
        """A new sort with `items` appended as lower-priority keys."""
        return Sort(self, *items)

    def to_list(self) -> list[dict[str, Any]]:
        """The `sort` value of a search request."""
        return [i.to_dict() if isinstance(i, SortField) else thaw(i) for i in self.items]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[SortField | FrozenMap]:
        return iter(self.items)

    def __str__(self) -> str:
        return to_json(self.to_list())

    def __repr__(self) -> str:
        return f"Sort({self})"


SortItem: TypeAlias = SortField | str | Mapping[str, Any] | Sort
SortLike: TypeAlias = SortItem | Sequence[SortItem]


@dataclass(frozen=True, init=False, repr=False)
class SortOptions:
    """Named sorts a client may choose from (e.g. `?sort=newest`), with a default name."""

    options: tuple[tuple[str, Sort], ...]
    default: str

    def __init__(self, options: Mapping[str, SortLike], *, default: str | None = None) -> None:
        if not options:
            raise QueryError("SortOptions needs at least one named sort")
        for name in options:
            if not isinstance(name, str) or not name:
                raise QueryError(f"sort option names must be non-empty strings, got {name!r}")
        pairs = tuple((name, _as_sort(value)) for name, value in options.items())
        chosen = pairs[0][0] if default is None else default
        object.__setattr__(self, "options", pairs)
        if chosen not in self.names:
            raise QueryError(
                f"default sort {chosen!r} is not one of the options: {', '.join(self.names)}"
            )
        object.__setattr__(self, "default", chosen)

    @property
    def names(self) -> tuple[str, ...]:
        """The option names, in the order given."""
        return tuple(name for name, _ in self.options)

    def resolve(self, name: str | None) -> Sort:
        """The sort named `name`, the default one for None; unknown names list the allowed."""
        wanted = self.default if name is None or name == "" else name
        for option, sort in self.options:
            if option == wanted:
                return sort
        raise QueryError(f"unknown sort {name!r}; choose one of: {', '.join(self.names)}")

    def __repr__(self) -> str:
        return f"SortOptions({', '.join(self.names)}; default {self.default!r})"


def to_sort_list(
    sort: SortLike | None, *, on: FieldSource | None = None
) -> list[dict[str, Any]] | None:
    """The `sort` value of a request, or None for none (also for an empty `Sort()`).

    Args:
        on: the entity searched (its mapping or class); names of its fields given as text
            are resolved to their stored sortable paths (see `Sort.resolved`).
    """
    if sort is None:
        return None
    value = _as_sort(sort)
    if on is not None:
        value = value.resolved(on)
    result = value.to_list()
    return result or None


def _as_sort(value: SortLike) -> Sort:
    if isinstance(value, Sort):
        return value
    if isinstance(value, SortField | str | Mapping):
        return Sort(value)
    if isinstance(value, Sequence):
        return Sort(*value)
    raise QueryError(f"expected a Sort, a sort field, a name or a list of them, got {value!r}")


def _split(text: str) -> tuple[str, Order]:
    if not isinstance(text, str):
        raise QueryError(f"a sort name must be a string, got {type(text).__name__} {text!r}")
    name = text.strip()
    order: Order = "asc"
    if name.startswith("-"):
        name, order = name[1:], "desc"
    elif name.startswith("+"):
        name = name[1:]
    elif name == "_score":
        order = "desc"
    if not name:
        raise QueryError(f"empty sort field name in {text!r}")
    return name, order


def _parse(text: str) -> SortField:
    name, order = _split(text)
    return SortField(name, order, by_name=True)
