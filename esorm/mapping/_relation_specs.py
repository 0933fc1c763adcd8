"""How a relation is loaded: by a key to one target, by a key to many, or by a query."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar, get_args, get_origin

from pydantic import BaseModel

from esorm.domain import Many, One, Related
from esorm.errors import MappingError, RelationNotLoadedError

T = TypeVar("T", bound=BaseModel)

Related.not_loaded_error = RelationNotLoadedError  # the domain cannot import esorm.errors

RelationRouting = Callable[[Any], "str | None"]
"""Computes, from the owner, the routing of the document a to-one relation points at."""


@dataclass(frozen=True, kw_only=True)
class Relation(Generic[T]):
    """Base of relation specs: which entity type the relation loads."""

    lazy: ClassVar[type[Related[Any]]]
    target: type[T]


@dataclass(frozen=True, kw_only=True)
class ToOne(Relation[T]):
    """The owner's `key` field holds the target's document id; loaded with one `mget`."""

    lazy = One
    key: str
    routing: RelationRouting | None = None


@dataclass(frozen=True, kw_only=True)
class ToMany(Relation[T]):
    """Targets whose `key` field holds the owner's document id; loaded with one `terms` search."""

    lazy = Many
    key: str
    sort: Any = None


@dataclass(frozen=True, kw_only=True)
class ByQuery(Relation[T]):
    """Targets matching a query computed from the owner; one search per owner, concurrently."""

    lazy = Many
    query: Callable[[Any], Any]
    size: int | None = None
    sort: Any = None


def to_one(target: type[T], *, key: str, routing: RelationRouting | None = None) -> ToOne[T]:
    """A to-one relation: `getattr(owner, key)` is the id of a `target` document.

    Args:
        routing: the target document's routing, from the owner; needed when the target
            is routed (e.g. `routing=lambda post: post.region`).
    """
    return ToOne(target=target, key=key, routing=routing)


def to_many(target: type[T], *, key: str, sort: Any = None) -> ToMany[T]:
    """A to-many relation: every `target` whose `key` field holds the owner's id.

    Args:
        sort: the order of each owner's list; defaults to the target's `default_sort`.
    """
    return ToMany(target=target, key=key, sort=sort)


def by_query(
    target: type[T], query: Callable[[Any], Any], *, size: int | None = None, sort: Any = None
) -> ByQuery[T]:
    """A relation defined by a query computed from the owner (a DSL dict or a query value).

    Args:
        query: owner -> query; None loads an empty list without a request.
        size: at most this many targets per owner; None loads every match.
        sort: the order of each owner's list; defaults to the target's `default_sort`.
    """
    return ByQuery(target=target, query=query, size=size, sort=sort)


def lazy_type(annotation: Any) -> type[Related[Any]] | None:
    """The lazy relation class (`One`, `Many`) a field is annotated with, or None."""
    origin = get_origin(annotation) or annotation
    if isinstance(origin, type) and issubclass(origin, Related):
        return origin
    return None


def relation_fields(entity: type[BaseModel]) -> set[str]:
    """Names of the fields holding lazy relation values: never stored, never tracked."""
    return {name for name, info in entity.model_fields.items() if lazy_type(info.annotation)}


def check_relations(
    owner: type[BaseModel], relations: Mapping[str, Relation[Any]], routed: Mapping[type, bool]
) -> None:
    """Refuse relations that cannot load: wrong field type, unknown target or key field.

    Args:
        routed: whether each known target (registered, or the owner itself) is routed.
    """
    for name, spec in relations.items():
        where = f"{owner.__name__}.{name}"
        if not isinstance(spec, Relation):
            raise MappingError(f"{where}: {spec!r} is not a relation; use to_one/to_many/by_query")
        _check_field(owner, name, spec, where)
        target = spec.target
        if target not in routed:
            raise MappingError(
                f"{where}: the target {getattr(target, '__name__', target)!r} is not registered; "
                f"register it first (or add this relation later with registry.relate)"
            )
        if isinstance(spec, ToOne):
            _check_key(owner, spec.key, where, "the owner")
            if routed[target] and spec.routing is None:
                raise MappingError(
                    f"{where}: {target.__name__} documents are routed, so the relation needs "
                    f"routing=lambda owner: ... giving each target's routing value"
                )
        elif isinstance(spec, ToMany):
            _check_key(target, spec.key, where, "the target")
        elif isinstance(spec, ByQuery):
            if not callable(spec.query):
                raise MappingError(f"{where}: query must be a function of the owner")
            if spec.size is not None and spec.size < 1:
                raise MappingError(f"{where}: size must be at least 1, got {spec.size}")


def check_default_loads(
    owner: type[BaseModel], relations: Mapping[str, Relation[Any]], paths: Iterable[str]
) -> tuple[str, ...]:
    """The default relation paths, each starting with one of the owner's relations."""
    checked = tuple(paths)
    for path in checked:
        first = path.split(".", 1)[0]
        if first not in relations:
            raise MappingError(
                f"{owner.__name__}: default load {path!r} names no relation; known: "
                f"{sorted(relations) or 'none'}"
            )
    return checked


def _check_field(owner: type[BaseModel], name: str, spec: Relation[Any], where: str) -> None:
    info = owner.model_fields.get(name)
    wanted = spec.lazy.__name__
    target = getattr(spec.target, "__name__", repr(spec.target))
    declare = f"declare `{name}: {wanted}[{target}] = {wanted}()` on {owner.__name__}"
    if info is None:
        raise MappingError(f"{where}: no such field; {declare}")
    kind = lazy_type(info.annotation)
    if kind is not spec.lazy:
        raise MappingError(f"{where}: a {type(spec).__name__} relation needs a {wanted}; {declare}")
    args = get_args(info.annotation)
    if args and args[0] is not spec.target:
        raise MappingError(f"{where}: the field holds {args[0]!r}, the relation loads {target}")


def _check_key(model: type[BaseModel], key: str, where: str, whose: str) -> None:
    info = model.model_fields.get(key)
    if info is None or lazy_type(info.annotation) is not None:
        raise MappingError(
            f"{where}: key {key!r} is not a stored field of {whose}, {model.__name__}"
        )
