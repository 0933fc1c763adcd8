"""A result none of whose documents is tracked yet, hydrated in bulk: the common read.

Every step is one C-level pass over the whole result (`map`, `zip`, `dict.update`) and
the entities come from one pydantic-core call over the list of sources, so no Python
code runs per hit: what `hydrate_all`'s loop does hit by hit, batch by batch here. Each
document is tracked as a `Loaded` row (a tuple `zip` makes), which the identity map
turns into its `Entry` only when something asks for it.
Anything the batch cannot do exactly (an id already tracked or repeated, a source to
fill or trim, a document that does not validate, hooks) leaves it to that loop.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from itertools import repeat
from operator import contains, itemgetter
from typing import Any, NamedTuple

from pydantic import TypeAdapter, ValidationError

from esorm.mapping import WRITES_FIELD, EntityMapping
from esorm.query import SourceFilter
from esorm.repository._identity import IdentityMap, Loaded
from esorm.repository._snapshots import take_snapshot

_ID, _INDEX, _SOURCE = itemgetter("_id"), itemgetter("_index"), itemgetter("_source")
# `dict.get` mapped with `repeat(key)` costs what an itemgetter does, a third of a
# `methodcaller("get", key)` (0.55 against 1.95 ms per 10,000 hits); hits and sources are
# the dicts the client parsed (anything else raises TypeError: the per-hit loop then)
_GET, _POP = dict.get, dict.pop
_SEQ_NO, _TERM, _ROUTING = repeat("_seq_no"), repeat("_primary_term"), repeat("_routing")


class _Batch(NamedTuple):
    """How one entity type is hydrated in bulk, worked out once per mapping."""

    validate: Callable[..., list[Any]]
    id_source: str | None
    snapshots: Callable[[list[Any]], Iterable[dict[str, Any]]]


@functools.lru_cache(maxsize=256)
def batch_reading(mapping: EntityMapping[Any]) -> _Batch | None:
    """The bulk path of a mapping, or None when its hits need the per-hit loop: sources
    to trim (computed fields, an outbox), routing computed from the entity, load hooks."""
    entity = mapping.entity
    if mapping.computed or mapping.outbox or mapping.routed or mapping.after_load:
        return None
    relations = mapping.relation_fields
    deep = mapping.mutable - relations if relations else mapping.mutable
    snapshots: Callable[[list[Any]], Iterable[dict[str, Any]]]
    if relations or deep or entity.model_config.get("extra") == "allow":
        snapshots = functools.partial(
            map, functools.partial(take_snapshot, exclude=relations, deep=deep)
        )
    else:  # only immutable values: a snapshot is a copy of the entity's values
        snapshots = _copies
    id_field = mapping.id_field
    return _Batch(
        validate=TypeAdapter(list[entity]).validator.validate_python,  # type: ignore[valid-type]
        id_source=mapping.stored_names[id_field] if id_field and mapping.fills_id else None,
        snapshots=snapshots,
    )


def _copies(entities: list[Any]) -> Iterable[dict[str, Any]]:
    """A copy of each entity's values (`vars` is its `__dict__`), without a Python call each."""
    return map(dict, map(vars, entities))


def hydrate_fresh(
    identity: IdentityMap,
    mapping: EntityMapping[Any],
    hits: Sequence[Any],
    routing: str | None,
    source_filter: SourceFilter | None,
) -> list[Any] | None:
    """Tracked entities for hits none of which is tracked, or None (nothing changed) when
    the per-hit loop must do it."""
    batch = batch_reading(mapping)
    bucket = identity.raw_bucket(mapping.entity, mapping.index)
    ids = list(map(_ID, hits))
    if batch is None or not bucket.keys().isdisjoint(ids):
        return None
    if not all(map(contains, hits, repeat("_source"))):
        return None
    sources: list[Any] = list(map(_SOURCE, hits))
    if not all(sources):
        return None
    if batch.id_source is not None and not all(map(contains, sources, repeat(batch.id_source))):
        return None
    try:
        writes = list(map(_POP, sources, repeat(WRITES_FIELD), repeat(())))
    except TypeError:  # not a dict
        return None
    try:  # strict models accept what they dumped, as in the loop
        entities = batch.validate(sources, strict=False)
    except ValidationError:  # the loop tells which documents
        _put_back(sources, writes)
        return None
    try:
        rows: list[Loaded] = list(
            zip(
                entities,
                batch.snapshots(entities),
                repeat(mapping),
                map(_INDEX, hits),
                ids,
                repeat(routing) if routing is not None else map(_GET, hits, _ROUTING),
                map(_GET, hits, _SEQ_NO),
                map(_GET, hits, _TERM),
                repeat(source_filter),
                map(tuple, writes),
            )
        )
    except TypeError:  # a hit that is not a dict
        _put_back(sources, writes)
        return None
    if not identity.load_all(mapping, ids, entities, rows):  # an id repeats: the loop
        _put_back(sources, writes)  # returns one instance for both
        return None
    return entities


def _put_back(sources: list[Any], writes: list[Any]) -> None:
    """Return the write ids taken out of the sources, for the per-hit loop to read them."""
    for source, stored in zip(sources, writes, strict=True):
        if stored:
            source[WRITES_FIELD] = stored
