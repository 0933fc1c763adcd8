"""Backfill: the default of a field added in place, filled into the documents that lack it.

Without it `count(F.currency == "EUR")` answers 0 while every loaded entity says "EUR".
Each document gets a guarded partial update (`if_seq_no`), sent through the unit of
work's flush, so a document another writer changed meanwhile is left to that writer
(esorm writes whole documents, defaults included) and looked at again by the next pass.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from elasticsearch import AsyncElasticsearch
from pydantic import TypeAdapter

from esorm.mapping import EntityMapping
from esorm.repository import IdentityMap
from esorm.store import ElasticsearchStore, Write
from esorm.uow import Flush, Status

PAGE = 1000
PASSES = 3
"""Passes over the documents still lacking a field; each is needed only when writers
changed documents during the previous one."""


async def backfill_defaults(
    client: AsyncElasticsearch, mapping: EntityMapping[Any], index: str, stored: Sequence[str]
) -> int:
    """Fill each added top-level field's default into the documents of `index` lacking it;
    returns how many documents were filled."""
    defaults = _defaults(mapping, stored)
    if not defaults:
        return 0
    filled = 0
    for _ in range(PASSES):
        await client.indices.refresh(index=index)
        done, pending = await _one_pass(client, mapping, index, defaults)
        filled += done
        if not pending:
            break
    if filled:  # so queries on the field agree with loaded entities right away
        await client.indices.refresh(index=index)
    return filled


async def _one_pass(
    client: AsyncElasticsearch, mapping: EntityMapping[Any], index: str, defaults: dict[str, Any]
) -> tuple[int, int]:
    """One walk over the documents lacking a field: (filled, left for another pass)."""
    query = {
        "bool": {"should": [{"bool": {"must_not": {"exists": {"field": f}}}} for f in defaults]}
    }
    body: dict[str, Any] = {
        "query": query,
        "size": PAGE,
        "seq_no_primary_term": True,
        "sort": ["_doc"],
    }
    if not mapping.routed:
        body["_source"] = {"includes": list(defaults)}
    filled = left = 0
    after: list[Any] | None = None
    store = ElasticsearchStore(client)
    while True:
        page = {**body, **({"search_after": after} if after else {})}
        hits = (await client.search(index=index, body=page))["hits"]["hits"]
        if not hits:
            return filled, left
        done, refused = await _fill(store, mapping, index, hits, defaults)
        filled, left = filled + done, left + refused
        after = hits[-1]["sort"]


async def _fill(
    store: ElasticsearchStore,
    mapping: EntityMapping[Any],
    index: str,
    hits: list[dict[str, Any]],
    defaults: dict[str, Any],
) -> tuple[int, int]:
    flush = Flush(store, IdentityMap())
    for hit in hits:
        source = hit.get("_source") or {}
        doc = {name: value for name, value in defaults.items() if name not in source}
        if not doc:
            continue
        routing = hit.get("_routing")
        if routing is None and mapping.routed:
            routing = mapping.routing_of(mapping.from_source(source, hit["_id"]))
        update = json.dumps({"doc": doc}, ensure_ascii=False).encode()
        flush.add(
            Write(
                "update", index, hit["_id"], update, routing, hit["_seq_no"], hit["_primary_term"]
            )
        )
    await flush.run(False)
    done = sum(1 for op in flush.operations if op.status is Status.CONFIRMED)
    return done, len(flush.operations) - done


def _defaults(mapping: EntityMapping[Any], stored: Sequence[str]) -> dict[str, Any]:
    """Stored name -> the JSON form of the field's default, for fields that have one."""
    by_stored = {name: field for field, name in mapping.stored_names.items()}
    defaults: dict[str, Any] = {}
    for name in stored:
        field = by_stored.get(name)
        if field is None:
            continue
        info = mapping.entity.model_fields[field]
        if info.is_required():
            continue
        value = info.get_default(call_default_factory=True)
        if value is not None:
            defaults[name] = TypeAdapter(info.annotation).dump_python(value, mode="json")
    return defaults
