"""Documents are checked up front and serialized chunk by chunk: nothing is sent when any
entity cannot be stored, and a sent chunk's bodies are not kept."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel

from esorm.domain import Mapped
from esorm.errors import InvalidEntityError
from esorm.mapping import Registry
from esorm.testing import record_requests
from esorm.uow import Flush, Status, UnitOfWork
from tests.integration._support import registered

pytestmark = pytest.mark.integration


class Note(BaseModel):
    id: str
    text: str
    payload: Annotated[Any, Mapped({"type": "object", "enabled": False})] = None


class Unserializable:
    """A value `Any` accepts and pydantic cannot write as JSON."""


@pytest.fixture
async def entities(es_client: AsyncElasticsearch, index_prefix: str) -> Registry:
    return await registered(es_client, index_prefix, Note)


class Seen:
    """A flush hook that keeps what the operations held once the flush was over."""

    def __init__(self) -> None:
        self.bodies: list[bytes | None] = []
        self.statuses: list[Status] = []

    def before_flush(self, flush: Flush) -> None:
        pass

    def after_flush(self, flush: Flush) -> None:
        self.bodies = [operation.source for operation in flush.operations]
        self.statuses = [operation.status for operation in flush.operations]


async def test_an_unstorable_entity_in_the_last_chunk_stops_the_whole_commit(
    es_client: AsyncElasticsearch, entities: Registry
) -> None:
    notes = [Note(id=f"n{n}", text=f"note {n}") for n in range(7)]
    async with UnitOfWork(es_client, entities, chunk_size=2) as uow:
        uow.repository(Note).add_all(notes)
        notes[-1].payload = Unserializable()  # changed after add(): checked at commit
        with record_requests(es_client) as log, pytest.raises(InvalidEntityError, match="n6"):
            await uow.commit()
    assert log.to("_bulk") == []


async def test_chunks_are_serialized_as_sent_and_not_kept(
    es_client: AsyncElasticsearch, entities: Registry
) -> None:
    seen = Seen()
    notes = [Note(id=f"n{n}", text=f"note {n}", payload={"n": n}) for n in range(7)]
    async with UnitOfWork(es_client, entities, chunk_size=2, hooks=[seen], refresh=True) as uow:
        uow.repository(Note).add_all(notes)
        with record_requests(es_client) as log:
            await uow.commit()
    sent = [request.ndjson() for request in log.to("_bulk")]
    assert [len(lines) // 2 for lines in sent] == [2, 2, 2, 1]
    assert [lines[1]["payload"] for lines in sent] == [
        {"n": 0},
        {"n": 2},
        {"n": 4},
        {"n": 6},
    ]
    assert seen.statuses == [Status.CONFIRMED] * 7
    assert seen.bodies == [None] * 7
    async with UnitOfWork(es_client, entities) as uow:
        again = await uow.repository(Note).get_many([note.id for note in notes])
    assert [note.payload for note in again] == [{"n": n} for n in range(7)]


async def test_requests_recorded_without_bodies_keep_none_alive(
    es_client: AsyncElasticsearch, entities: Registry
) -> None:
    """How the benchmarks count requests while they measure peak memory: a recorder that
    kept every body would hold a whole large commit's documents until it ends."""
    notes = [Note(id=f"n{n}", text=f"note {n}") for n in range(7)]
    async with UnitOfWork(es_client, entities, chunk_size=2) as uow:
        uow.repository(Note).add_all(notes)
        with record_requests(es_client, bodies=False) as counted:
            await uow.commit()
    assert [(r.endpoint, r.body) for r in counted.requests] == [("_bulk", None)] * 4
