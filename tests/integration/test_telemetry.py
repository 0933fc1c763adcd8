"""What commits, searches and relation loading tell: spans (parents of the client's own)
and one log line per commit without document contents."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
from elasticsearch import AsyncElasticsearch
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel

from esorm.domain import One
from esorm.errors import ConflictError
from esorm.indices import IndexManager
from esorm.mapping import Registry, to_one
from esorm.uow import UnitOfWork
from tests.integration._blog import BlogUnitOfWork, Post, User
from tests.integration._support import seed, store

pytestmark = pytest.mark.integration

MakeUow = Callable[..., BlogUnitOfWork]
SECRET_VALUE = "do-not-log-me"

_EXPORTER = InMemorySpanExporter()


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Spans recorded during the test (a tracer provider is set for the whole process once)."""
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        trace.set_tracer_provider(provider)
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()


def named(exporter: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.name == name]


def children(exporter: InMemorySpanExporter, parent: ReadableSpan) -> list[str]:
    assert parent.context is not None
    return [
        s.name
        for s in exporter.get_finished_spans()
        if s.parent is not None and s.parent.span_id == parent.context.span_id
    ]


async def test_a_commit_is_a_span_around_its_bulk_requests(
    make_uow: MakeUow, spans: InMemorySpanExporter
) -> None:
    async with make_uow() as uow:
        uow.users.add(User(id="a", first_name="A"))
        uow.users.add(User(id="b", first_name="B"))
        await uow.commit()
    (commit,) = named(spans, "esorm.commit")
    assert commit.attributes is not None
    assert dict(commit.attributes) | {"esorm.bytes": 0} == {
        "esorm.operations": 2,
        "esorm.written": 2,
        "esorm.failures": 0,
        "esorm.requests": 1,
        "esorm.bytes": 0,
        "esorm.create": 2,
    }
    size = commit.attributes["esorm.bytes"]
    assert isinstance(size, int) and size > 0
    assert children(spans, commit) == ["bulk"]  # elasticsearch-py's span, under ours


async def test_searches_and_relation_loading_are_spans(
    make_uow: MakeUow, spans: InMemorySpanExporter
) -> None:
    await seed(make_uow, User(id="u", first_name="U"))
    await seed(make_uow, Post(id="p", author_id="u", title="t"))
    async with make_uow() as uow:
        await uow.posts.search(size=5)
    (search,) = named(spans, "esorm.search")
    assert search.attributes is not None and search.attributes["esorm.entity"] == "Post"
    assert children(spans, search) == ["search"]


async def test_one_log_line_per_commit_with_counts_and_no_contents(
    make_uow: MakeUow, caplog: pytest.LogCaptureFixture
) -> None:
    await seed(make_uow, User(id="taken", first_name="x"))
    with caplog.at_level(logging.INFO, logger="esorm"):
        async with make_uow() as uow:
            uow.users.add(User(id="n", first_name=SECRET_VALUE))
            await uow.commit()
            uow.users.add(User(id="taken", first_name=SECRET_VALUE))
            with pytest.raises(ConflictError):
                await uow.commit()
    lines = [r.getMessage() for r in caplog.records if r.name == "esorm"]
    assert len(lines) == 2
    assert lines[0].startswith("commit ok: 1 operations (create 1) in 1 requests, ")
    assert lines[0].endswith("; 1 written, 0 failed")
    assert lines[1].startswith("commit ok: 1 operations (create 1)")  # a conflict is reported
    assert lines[1].endswith("; 0 written, 1 failed")
    assert all(SECRET_VALUE not in line and "taken" not in line for line in lines)


class Writer(BaseModel):
    id: str
    name: str


class Article(BaseModel):
    id: str
    writer_id: str
    writer: One[Writer] = One()


async def test_relation_loading_is_a_span_around_its_mget(
    es_client: AsyncElasticsearch, index_prefix: str, spans: InMemorySpanExporter
) -> None:
    registry = Registry(prefix=index_prefix)
    registry.register(Writer)
    registry.register(Article, relations={"writer": to_one(Writer, key="writer_id")})
    await IndexManager(es_client, registry).create_all()
    await store(es_client, registry, Writer(id="w", name="W"), Article(id="a", writer_id="w"))
    spans.clear()
    async with UnitOfWork(es_client, registry) as uow:
        await uow.repository(Article).get("a", load=["writer"])
    (loading,) = named(spans, "esorm.relations")
    assert loading.attributes is not None and loading.attributes["esorm.owners"] == 1
    assert children(spans, loading) == ["mget"]
