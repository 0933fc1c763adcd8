"""Reading back what the server really stored, and what a commit said about it.

Everything here reads through the direct client (`es_client`), never through the fault
proxy, so a test compares esorm's report with the server's truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from elasticsearch import AsyncElasticsearch
from elasticsearch.helpers import async_scan
from pydantic import BaseModel

from esorm.errors import EsormError
from esorm.mapping import WRITES_FIELD, Registry
from esorm.uow import CommitResult, UnitOfWork


@dataclass(frozen=True, slots=True)
class StoredDoc:
    """One stored document: its `_source` (without esorm's write ids, kept in `writes`) and
    the version Elasticsearch gave it."""

    source: dict[str, Any]
    seq_no: int
    primary_term: int
    writes: tuple[str, ...] = ()

    @property
    def version(self) -> tuple[int, int]:
        return (self.seq_no, self.primary_term)


async def stored_doc(
    client: AsyncElasticsearch, index: str, doc_id: str, *, routing: str | None = None
) -> StoredDoc | None:
    """The stored document, or None; a realtime get, so no refresh is needed."""
    response = await client.options(ignore_status=404).get(index=index, id=doc_id, routing=routing)
    if not response.body.get("found"):
        return None
    source = dict(response["_source"])
    writes = tuple(source.pop(WRITES_FIELD, ()))
    return StoredDoc(source, response["_seq_no"], response["_primary_term"], writes)


async def stored_sources(client: AsyncElasticsearch, index: str) -> list[dict[str, Any]]:
    """Every stored `_source` of an index (any number), after a refresh."""
    await client.indices.refresh(index=index)
    return [
        without_writes(hit["_source"])
        async for hit in async_scan(client, index=index, query={"query": {"match_all": {}}})
    ]


def without_writes(source: dict[str, Any]) -> dict[str, Any]:
    """A stored `_source` without the write ids esorm keeps in every document it writes."""
    return {key: value for key, value in source.items() if key != WRITES_FIELD}


def index_of(registry: Registry, entity: type[BaseModel]) -> str:
    return registry.mapping_for(entity).index


async def commit_outcome(uow: UnitOfWork) -> CommitResult | EsormError:
    """The commit's result, or the esorm error it raised; anything else propagates."""
    try:
        return await uow.commit()
    except EsormError as error:
        return error


def split_writes(lines: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[list[str]]]:
    """The NDJSON lines of a bulk body without esorm's write ids, and the ids each document
    line carried (in order; documents only, action lines carry none)."""
    plain: list[dict[str, Any]] = []
    writes: list[list[str]] = []
    for line in lines:
        if WRITES_FIELD in line:
            writes.append(list(line[WRITES_FIELD]))
            line = without_writes(line)
        plain.append(line)
    return plain, writes
