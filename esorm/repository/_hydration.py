"""Hits into tracked entities: the read hot path, and completing partially loaded ones."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple, TypeVar

from pydantic import BaseModel, ValidationError

from esorm.errors import InvalidEntityError, UnreadableDocumentError
from esorm.mapping import OUTBOX_FIELD, WRITES_FIELD, EntityMapping
from esorm.query import SourceFilter
from esorm.repository._fresh import hydrate_fresh
from esorm.repository._identity import Entry, IdentityMap, State
from esorm.repository._pins import check_pin_kept
from esorm.repository._snapshots import take_snapshot

E = TypeVar("E", bound=BaseModel)


class _Reading(NamedTuple):
    """What hydrating hits of one entity type needs, worked out once per mapping."""

    validate: Callable[..., Any]
    drop: Callable[[Mapping[str, Any]], dict[str, Any]] | None
    """Drops what validation must not see: computed fields, an outbox's events."""
    relation_fields: set[str] | None
    deep: frozenset[str]
    id_source: str | None
    routing_of: Callable[[Any], str | None] | None
    outbox: bool
    after_load: Callable[[Any], None] | None


def _dropping(mapping: EntityMapping[Any]) -> Callable[[Mapping[str, Any]], dict[str, Any]] | None:
    """A copy of a source without computed fields and undelivered events, when it has any
    (the source itself keeps the events, for the entry)."""
    if not mapping.outbox:
        return mapping.drop_computed if mapping.computed else None
    computed = mapping.drop_computed if mapping.computed else dict

    def drop(source: Mapping[str, Any]) -> dict[str, Any]:
        return computed({k: v for k, v in source.items() if k != OUTBOX_FIELD})

    return drop


@functools.lru_cache(maxsize=256)
def _reading(mapping: EntityMapping[Any]) -> _Reading:
    relations = mapping.relation_fields
    id_field = mapping.id_field
    return _Reading(
        validate=mapping.entity.__pydantic_validator__.validate_python,
        drop=_dropping(mapping),
        relation_fields=relations,
        deep=mapping.mutable - relations if relations else mapping.mutable,
        id_source=mapping.stored_names[id_field] if id_field and mapping.fills_id else None,
        routing_of=mapping.routing_of if mapping.routed else None,
        outbox=mapping.outbox,
        after_load=mapping.after_load,
    )


def hydrate_all(
    identity: IdentityMap,
    mapping: EntityMapping[E],
    hits: Iterable[Mapping[str, Any]],
    *,
    routing: str | None = None,
    source_filter: SourceFilter | None = None,
    track: bool = True,
    skip_removed: bool = True,
    unreadable: list[UnreadableDocumentError] | None = None,
) -> list[E]:
    """The tracked entity for each hit: the instance already tracked (unflushed changes
    survive; removed ones left out with `skip_removed`, partial ones completed by a full
    read), or a new clean one; `track=False` gives detached ones, for streams. A document
    that does not validate raises, or is listed in `unreadable`. The hot path: a result of
    untracked documents goes in bulk (`hydrate_fresh`), anything else through one loop."""
    if track and isinstance(hits, list | tuple) and len(hits) > 1:
        fresh = hydrate_fresh(identity, mapping, hits, routing, source_filter)
        if fresh is not None:
            return fresh
    return _hydrate_each(
        identity, mapping, hits, routing, source_filter, track, skip_removed, unreadable
    )


def _hydrate_each(
    identity: IdentityMap,
    mapping: EntityMapping[E],
    hits: Iterable[Mapping[str, Any]],
    routing: str | None,
    source_filter: SourceFilter | None,
    track: bool,
    skip_removed: bool,
    unreadable: list[UnreadableDocumentError] | None,
) -> list[E]:
    """`hydrate_all` hit by hit, in one loop with everything bound locally."""
    validate, drop, relations, deep, id_source, routing_of, outbox, after_load = _reading(mapping)
    bucket, by_object = identity.raw_bucket(mapping.entity, mapping.index), identity._by_object
    clean = State.CLEAN
    entities: list[E] = []
    append = entities.append
    for hit in hits:
        doc_id: str = hit["_id"]
        found = bucket.get(doc_id)
        if found is not None:
            _reuse(identity, identity.entry(found), hit, source_filter, skip_removed, append)
            continue
        source = hit.get("_source") or {}
        writes = source.pop(WRITES_FIELD, ())
        if id_source is not None and id_source not in source:
            source = {**source, id_source: doc_id}
        if drop is not None:
            source = drop(source)
        try:  # strict models accept what they dumped: ISO strings for dates, enum values
            entity: E = validate(source, strict=False)
        except ValidationError as exc:
            _unreadable(mapping, hit, source_filter, exc, unreadable)
            continue
        append(entity)
        if track:
            doc_routing = routing if routing is not None else hit.get("_routing")
            if doc_routing is None and routing_of is not None:
                doc_routing = routing_of(entity)
            entry = bucket[doc_id] = by_object[id(entity)] = Entry(
                entity,
                mapping,
                hit["_index"],
                doc_id,
                doc_routing,
                clean,
                hit.get("_seq_no"),
                hit.get("_primary_term"),
                take_snapshot(entity, relations, deep),
                source_filter,
                False,
                True,
                tuple(writes),  # positional: a keyword costs as much as the rest of the call
            )
            if outbox:
                entry.outbox = _pending(hit.get("_source"))
        if after_load is not None:
            after_load(entity)  # tracked and snapshotted: what it changes is a change
    return entities


def hydrate(
    identity: IdentityMap,
    mapping: EntityMapping[E],
    hit: Mapping[str, Any],
    *,
    routing: str | None = None,
    source_filter: SourceFilter | None = None,
    track: bool = True,
) -> E:
    """The tracked entity for one hit (also a removed one); see `hydrate_all`."""
    return hydrate_all(
        identity,
        mapping,
        (hit,),
        routing=routing,
        source_filter=source_filter,
        track=track,
        skip_removed=False,
    )[0]


def _reuse(
    identity: IdentityMap,
    entry: Entry,
    hit: Mapping[str, Any],
    source_filter: SourceFilter | None,
    skip_removed: bool,
    append: Callable[[Any], None],
) -> None:
    """Put a hit's already tracked entity in the result (completed if partial; a pinned
    one only from its pinned version), unless it is removed and removed ones are left out."""
    if entry.state is State.REMOVED and skip_removed:
        return
    if entry.source_filter is not None and source_filter is None:
        if identity.pins:
            check_pin_kept(identity, entry, hit)
        complete(entry, hit)
    append(entry.entity)


def complete(entry: Entry, hit: Mapping[str, Any]) -> None:
    """Fill a partially loaded, unchanged entity in place from a full hit.

    Raises:
        InvalidEntityError: it was changed; its omitted fields hold defaults, so
            completing it could lose either the change or the stored values.
    """
    mapping = entry.mapping
    if entry.is_dirty:
        raise InvalidEntityError(
            f"{mapping.name} {entry.id!r} was loaded with part of its fields and then "
            f"changed; commit or roll back before reading it in full"
        )
    source = dict(hit.get("_source") or {})
    writes = source.pop(WRITES_FIELD, None)
    pending = _pending(source)
    source.pop(OUTBOX_FIELD, None)
    full = mapping.from_source(source, entry.id)
    entity = entry.entity
    relations = {name: entity.__dict__[name] for name in mapping.relation_fields or ()}
    # cached properties computed from the partial values are stale now
    for name in [key for key in entity.__dict__ if key not in type(entity).model_fields]:
        del entity.__dict__[name]
    entity.__dict__.update(full.__dict__)
    entity.__dict__.update(relations)
    entity.__pydantic_fields_set__.update(full.__pydantic_fields_set__)
    if full.__pydantic_extra__ is not None:
        object.__setattr__(entity, "__pydantic_extra__", full.__pydantic_extra__)
    entry.seq_no, entry.primary_term = hit.get("_seq_no"), hit.get("_primary_term")
    entry.source_filter = None
    entry.writes = tuple(writes or ())
    if mapping.outbox:
        entry.outbox = pending
    entry.snapshot = entry.take_snapshot()


def _pending(source: Mapping[str, Any] | None) -> tuple[Any, ...]:
    """The undelivered events a document's source holds (`OUTBOX_FIELD`), if any."""
    stored = source.get(OUTBOX_FIELD) if source else None
    return tuple(stored.get("events") or ()) if stored else ()


def _unreadable(
    mapping: EntityMapping[Any],
    hit: Mapping[str, Any],
    source_filter: SourceFilter | None,
    exc: ValidationError,
    unreadable: list[UnreadableDocumentError] | None,
) -> None:
    """Raise (or, when listing them, record) the error for a document that does not validate.

    Read with part of its fields, the read is to blame (`InvalidEntityError`): the fields
    it left out need defaults. Read whole, the stored data is (`UnreadableDocumentError`).
    """
    if source_filter is not None:
        raise InvalidEntityError(
            f"{mapping.name} {hit.get('_id')!r} in index {hit.get('_index')!r} cannot be "
            f"loaded; fields left out by source_includes/source_excludes need defaults: {exc}"
        ) from exc
    error = UnreadableDocumentError(
        mapping.entity, str(hit.get("_index")), str(hit.get("_id")), exc
    )
    if unreadable is None:
        raise error from exc
    unreadable.append(error)
