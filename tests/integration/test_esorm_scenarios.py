"""ESORM's test scenarios (wallneradam/esorm, tests/test_esorm.py) rebuilt on esorm's API.

Each test names the ESORM test it ports. The entities mirror ESORM's fixtures
(`model_timestamp`, `model_nested`, `model_lazy_prop`) as plain pydantic models;
where esorm deliberately behaves otherwise, the test asserts esorm's behaviour and
its docstring says why.
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Callable
from typing import Any

import pytest
from elasticsearch import AsyncElasticsearch
from fastapi import Response
from pydantic import BaseModel

from esorm.domain import Many
from esorm.errors import (
    CommitError,
    ConflictError,
    NotFoundError,
    QueryError,
    RelationNotLoadedError,
)
from esorm.fastapi import TOTAL_HITS_HEADER, TOTAL_RELATION_HEADER, set_total_headers
from esorm.indices import IndexManager
from esorm.mapping import Registry, Timestamps, by_query
from esorm.query import Pagination, Sort, SortOptions
from esorm.repository import Repository
from esorm.testing import record_requests
from esorm.uow import UnitOfWork, retry_on_conflict
from tests.integration._support import seed

pytestmark = pytest.mark.integration

ESORM_STAMPS = Timestamps(created="created_at", updated="modified_at")
"""ESORM's `ESModelTimestamp` field names."""


class Stamped(BaseModel):
    """ESORM's `model_timestamp`: an `ESModelTimestamp` with a string and a number."""

    id: str | None = None
    f_str: str
    f_int: int = 0
    created_at: datetime.datetime | None = None
    modified_at: datetime.datetime | None = None


class NestedDoc(BaseModel):
    """ESORM's `model_nested`: a document holding a timestamped model as an object field."""

    id: str | None = None
    f_nested: Stamped
    f_float: float = 0.5


class Lazy(BaseModel):
    """ESORM's `model_lazy_prop`: `same_f_strs` was a lazy property, here a query relation."""

    id: str | None = None
    f_str: str
    same_f_strs: Many[Lazy] = Many()


def same_f_str(doc: Lazy) -> dict[str, Any]:
    """ESORM's lazy property body: every document with the same `f_str`, itself included."""
    return {"term": {"f_str": doc.f_str}}


class ScenarioUow(UnitOfWork):
    stamped: Repository[Stamped]
    nested: Repository[NestedDoc]
    lazies: Repository[Lazy]


MakeUow = Callable[..., ScenarioUow]


def scenario_registry(prefix: str, *, lazy_load: list[str] | None = None) -> Registry:
    registry = Registry(prefix=prefix)
    registry.register(Stamped, index="timestamp_model", timestamps=ESORM_STAMPS)
    registry.register(NestedDoc, index="nested_field_model", default_sort="f_nested.f_int")
    registry.register(
        Lazy,
        index="lazy_prop_model",
        relations={"same_f_strs": by_query(Lazy, same_f_str, sort="id")},
        load=lazy_load,
    )
    return registry


@pytest.fixture
async def registry(es_client: AsyncElasticsearch, index_prefix: str) -> Registry:
    registry = scenario_registry(index_prefix)
    await IndexManager(es_client, registry).create_all()
    return registry


@pytest.fixture
def make_uow(es_client: AsyncElasticsearch, registry: Registry) -> MakeUow:
    def make(**options: Any) -> ScenarioUow:
        return ScenarioUow(es_client, registry, **options)

    return make


async def seed_nested(make_uow: MakeUow) -> None:
    """The four documents ESORM's query tests saw (after `test_crud_delete` removed the first)."""
    await seed(
        make_uow,
        *(
            NestedDoc(f_nested=Stamped(f_str=f"nested_test{n}", f_int=n), f_float=0.5 * n)
            for n in (2, 3, 4, 5)
        ),
    )


def nested_strs(docs: Any) -> list[str]:
    return [doc.f_nested.f_str for doc in docs]


# -- optimistic concurrency ---------------------------------------------------------------------


async def test_race_condition(make_uow: MakeUow) -> None:
    """Ports `test_race_condition`: update vs update and update vs delete conflict.

    ESORM's `save()` writes even an unchanged stale instance, so there the second save
    conflicts either way. esorm writes only what changed: a stale but unchanged entity
    sends nothing and cannot conflict, so this port changes both copies.
    """
    await seed(make_uow, NestedDoc(id="race", f_nested=Stamped(f_str="nested_test")))
    async with make_uow() as first, make_uow() as second:
        doc1 = await first.nested.get("race")
        doc2 = await second.nested.get("race")
        assert first.version_of(doc1) == second.version_of(doc2)
        doc1.f_float = 2.0
        await first.commit()
        assert (await second.commit()).written == 0  # unchanged and stale: nothing to send
        doc2.f_float = 1.0
        with pytest.raises(ConflictError) as caught:
            await second.commit()
        (failure,) = caught.value.failures
        assert (failure.entity, failure.operation, failure.status) == (doc2, "index", 409)

    async with make_uow(refresh=True) as first, make_uow() as second:
        doc1 = await first.nested.get("race")
        doc2 = await second.nested.get("race")
        doc1.f_float = 3.0
        await first.commit()
        second.nested.remove(doc2)
        with pytest.raises(ConflictError) as deleting:
            await second.commit()
        assert [f.operation for f in deleting.value.failures] == ["delete"]

    async with make_uow() as check:
        assert (await check.nested.get("race")).f_float == 3.0


async def test_retry_on_conflict(make_uow: MakeUow) -> None:
    """Ports `test_retry_on_conflict`: three concurrent increments, with and without retry.

    A barrier makes all three read the same version on their first attempt, so the
    conflicts ESORM's test hopes for are certain here. esorm's retry is bounded (ESORM
    retries forever by default) and re-runs the whole use case from fresh loads.
    """
    await seed(make_uow, Stamped(id="occ", f_str="occ_retry", f_int=10))
    attempts: list[int] = []

    async def increment(worker: int, barrier: asyncio.Barrier) -> None:
        async with make_uow() as uow:
            doc = await uow.stamped.get("occ")
            if worker not in attempts:
                attempts.append(worker)
                await barrier.wait()  # first attempt only: everyone holds the same version
            else:
                attempts.append(worker)
            doc.f_int += 1
            await uow.commit()

    retried = retry_on_conflict(attempts=3, base_delay=0.01)(increment)
    barrier = asyncio.Barrier(3)
    await asyncio.gather(*(retried(worker, barrier) for worker in range(3)))
    async with make_uow() as check:
        assert (await check.stamped.get("occ")).f_int == 13
    assert len(attempts) >= 5  # at least two conflicted and ran again

    attempts.clear()
    barrier = asyncio.Barrier(3)
    outcomes = await asyncio.gather(
        *(increment(worker, barrier) for worker in range(3)), return_exceptions=True
    )
    assert sum(isinstance(o, ConflictError) for o in outcomes) == 2
    assert outcomes.count(None) == 1
    async with make_uow() as check:
        assert (await check.stamped.get("occ")).f_int == 14


async def test_retry_on_conflict_through_run(make_uow: MakeUow) -> None:
    """Ports `test_retry_on_conflict` once more, through `uow.run` (one unit per worker)."""
    await seed(make_uow, Stamped(id="run", f_str="occ_retry", f_int=10))

    async def increment(uow: ScenarioUow) -> None:
        (await uow.stamped.get("run")).f_int += 1

    workers = [make_uow() for _ in range(10)]
    await asyncio.gather(
        *(uow.run(increment, attempts=50, base_delay=0.005, max_delay=0.05) for uow in workers)
    )
    async with make_uow() as check:
        assert (await check.stamped.get("run")).f_int == 20


async def test_bulk_race_condition_and_reload(make_uow: MakeUow) -> None:
    """Ports `test_bulk_race_condition_and_reload`.

    In ESORM two searches inside one bulk return two instances of one document, and
    saving both fails the bulk. esorm's identity map returns the same instance inside
    one unit of work, so that race cannot happen there; it happens between two units.
    ESORM's `reload()` is a fresh load in a new unit, after which the delete succeeds.
    """
    await seed(make_uow, NestedDoc(id="bulk", f_nested=Stamped(f_str="nested_test1")))
    async with make_uow() as uow:
        doc1 = await uow.nested.search_one(uow.nested.fields.f_nested.f_str == "nested_test1")
        doc2 = (await uow.nested.search_by_fields({"f_nested.f_str": "nested_test1"})).items[0]
        assert doc1 is doc2
        async with make_uow() as other:
            stale = await other.nested.get("bulk")
            doc1.f_float = 11.0
            doc1.f_nested.f_str = "nested_test1_updated1"
            assert (await uow.commit()).updated == 1
            stale.f_float = 11.1
            with pytest.raises(ConflictError):
                await other.commit()
            stale_version = other.version_of(stale)
    async with make_uow(refresh=True) as reloaded:
        doc = await reloaded.nested.get("bulk")
        assert doc.f_nested.f_str == "nested_test1_updated1"
        assert reloaded.version_of(doc) != stale_version
        reloaded.nested.remove(doc)
        assert (await reloaded.commit()).deleted == 1
    async with make_uow() as check:
        assert await check.nested.find("bulk") is None


async def test_only_conflicts_are_retried(make_uow: MakeUow) -> None:
    """Ports the boundary of ESORM's `retry_on_conflict`: it catches conflicts only.

    A change to a document deleted meanwhile fails; a server that calls that a version
    conflict gets one retry, whose fresh load then finds the document gone
    (`NotFoundError`, not retried); one that answers 404 fails the commit unretried.
    """
    await seed(make_uow, Stamped(id="gone", f_str="x"))
    calls = 0

    @retry_on_conflict(attempts=5, base_delay=0.001)
    async def change_after_delete() -> None:
        nonlocal calls
        calls += 1
        async with make_uow() as uow, make_uow() as deleter:
            doc = await uow.stamped.get("gone")
            deleter.stamped.remove(await deleter.stamped.get("gone"))
            await deleter.commit()
            doc.f_int = 1
            await uow.commit()

    with pytest.raises((NotFoundError, CommitError)) as caught:
        await change_after_delete()
    if isinstance(caught.value, NotFoundError):
        assert calls == 2
    else:
        assert calls == 1 and not isinstance(caught.value, ConflictError)


# -- searching ----------------------------------------------------------------------------------


async def test_search(make_uow: MakeUow) -> None:
    """Ports `test_search`: a raw match query, a prefix query, and the versions of hits.

    ESORM puts `_version`, `_seq_no` and `_primary_term` on the model; esorm keeps them
    beside the entity (`uow.version_of`), so the domain model stays plain.
    """
    await seed_nested(make_uow)
    async with make_uow() as uow:
        raw = {"bool": {"must": {"match": {"f_nested.f_str": "nested_test2"}}}}
        docs = await uow.nested.search(raw)
        assert nested_strs(docs) == ["nested_test2"]
        version = uow.version_of(docs.items[0])
        assert version is not None and version[0] >= 0 and version[1] == 1
        F = uow.nested.fields
        assert nested_strs(await uow.nested.search(F.f_nested.f_str == "nested_test2")) == [
            "nested_test2"
        ]
        prefixed = await uow.nested.search(F.f_nested.f_str.prefix("nested_test"))
        assert len(prefixed) == 4 and prefixed.total == 4
        assert all(s.startswith("nested_test") for s in nested_strs(prefixed))


async def test_search_one(make_uow: MakeUow) -> None:
    """Ports `test_search_one`: one match, the first of many, and (added) none."""
    await seed_nested(make_uow)
    async with make_uow() as uow:
        F = uow.nested.fields
        one = await uow.nested.search_one(F.f_nested.f_str == "nested_test2")
        assert one is not None and one.f_nested.f_str == "nested_test2"
        first = await uow.nested.search_one(F.f_nested.f_str.prefix("nested_test"))
        assert first is not None and first.f_nested.f_str == "nested_test2"  # by default sort
        assert await uow.nested.search_one(F.f_nested.f_str == "nope") is None


async def test_search_by_fields(make_uow: MakeUow) -> None:
    """Ports `test_search_by_fields` (and its `search_one_by_fields` part).

    ESORM builds `match` queries from the values; esorm uses exact `term` queries, so a
    value is never parsed as query syntax. esorm has no `search_one_by_fields`;
    `search_by_fields(..., size=1)` is the equivalent.
    """
    await seed_nested(make_uow)
    async with make_uow() as uow:
        docs = await uow.nested.search_by_fields({"f_nested.f_str": "nested_test2"})
        assert nested_strs(docs) == ["nested_test2"]
        one = await uow.nested.search_by_fields({"f_nested.f_str": "nested_test3"}, size=1)
        assert nested_strs(one) == ["nested_test3"]
        both = await uow.nested.search_by_fields(
            {"f_nested.f_str": ["nested_test3", "nested_test5"], "f_float": 2.5}
        )
        assert nested_strs(both) == ["nested_test5"]
        assert len(await uow.nested.search_by_fields({"f_nested.f_str": "nested_test*"})) == 0


async def test_basic_aggregations(make_uow: MakeUow) -> None:
    """Ports `test_basic_aggregations`: metrics with and without a query, and terms buckets."""
    await seed_nested(make_uow)
    metrics = {
        f"f_int_{name}": {name: {"field": "f_nested.f_int"}}
        for name in ("sum", "avg", "min", "max")
    }
    async with make_uow() as uow:
        aggs = await uow.nested.aggregate(aggs=metrics)
        assert [aggs[f"f_int_{n}"]["value"] for n in ("sum", "avg", "min", "max")] == [
            14.0,
            3.5,
            2.0,
            5.0,
        ]
        F = uow.nested.fields
        only = await uow.nested.aggregate(F.f_nested.f_str == "nested_test2", metrics)
        assert {aggs_value["value"] for aggs_value in only.values()} == {2.0}
        terms = await uow.nested.aggregate(
            aggs={"f_int_terms": {"terms": {"field": "f_nested.f_int"}}}
        )
        buckets = terms["f_int_terms"]["buckets"]
        assert [(b["key"], b["doc_count"]) for b in buckets] == [(2, 1), (3, 1), (4, 1), (5, 1)]


async def test_count_and_all(make_uow: MakeUow, es_client: AsyncElasticsearch) -> None:
    """Ports ESORM's `all()` and count, where esorm deliberately differs.

    ESORM's `all()` is a plain search, so it stops at the server's default 10 hits;
    esorm's `all()` walks a point in time and really returns every document (tracked).
    `count()` is exact and sends `_count`, not a search.
    """
    await seed(
        make_uow, *(Stamped(id=f"s{i:02}", f_str="even" if i % 2 else "odd") for i in range(25))
    )
    async with make_uow() as uow:
        everything = await uow.stamped.all(sort="id")
        assert [s.id for s in everything] == [f"s{i:02}" for i in range(25)]
        assert uow.version_of(everything[-1]) is not None
        with record_requests(es_client) as log:
            assert await uow.stamped.count() == 25
            assert await uow.stamped.count(uow.stamped.fields.f_str == "even") == 12
        assert [r.endpoint for r in log.requests] == ["_count", "_count"]
        assert len(await uow.stamped.search()) == 10  # a plain search keeps the server's 10


# -- pagination and sort ------------------------------------------------------------------------


async def test_pagination(make_uow: MakeUow) -> None:
    """Ports `test_pagination`: pages of two in the default sort, plus totals and edge pages.

    ESORM's `Pagination` took a callback that put `X-Total-Hits` on the response; an
    esorm `Page` carries the total (and whether it is exact), and `esorm.fastapi`'s
    `set_total_headers` writes the headers from it.
    """
    await seed_nested(make_uow)
    async with make_uow() as uow:
        first = await uow.nested.page(pagination=Pagination(page=1, page_size=2))
        assert nested_strs(first) == ["nested_test2", "nested_test3"]
        second = await uow.nested.page(pagination=Pagination(page=2, page_size=2))
        assert nested_strs(second) == ["nested_test4", "nested_test5"]
        assert (first.total, first.total_is_exact, first.pages) == (4, True, 2)
        assert (first.has_previous, first.has_next) == (False, True)
        assert (second.has_previous, second.has_next) == (True, False)

        response = Response()
        set_total_headers(response, first)
        assert response.headers[TOTAL_HITS_HEADER] == "4"
        assert response.headers[TOTAL_RELATION_HEADER] == "eq"

        last = await uow.nested.page(pagination=Pagination(page=2, page_size=3))
        assert nested_strs(last) == ["nested_test5"] and last.pages == 2
        past = await uow.nested.page(pagination=Pagination(page=3, page_size=2))
        assert past.items == [] and past.total == 4 and not past.has_next
        whole = await uow.nested.page(pagination=Pagination(page=1, page_size=100))
        assert len(whole) == 4 and whole.pages == 1 and not whole.has_next
        F = uow.nested.fields
        none = await uow.nested.page(F.f_nested.f_str == "nope", Pagination())
        assert (none.items, none.total, none.pages, none.has_next) == ([], 0, 0, False)
        filtered = await uow.nested.page(F.f_float >= 1.5, Pagination(page=1, page_size=1))
        assert nested_strs(filtered) == ["nested_test3"] and filtered.total == 3


async def test_pagination_refuses_bad_and_unreachable_pages_before_sending(
    make_uow: MakeUow, es_client: AsyncElasticsearch
) -> None:
    """Ports the page/page_size checks ESORM's FastAPI dependency made (it clamped sizes).

    esorm refuses instead of clamping, and refuses a page past `max_result_window`
    before sending it, naming `iterate()` as the way to go deeper.
    """
    for page, size in ((0, 10), (1, 0), (1, 10_001), (-1, 5)):
        with pytest.raises(QueryError):
            Pagination(page=page, page_size=size)
    async with make_uow() as uow:
        with record_requests(es_client) as log, pytest.raises(QueryError, match="iterate"):
            await uow.nested.page(pagination=Pagination(page=1001, page_size=10))
        assert len(log) == 0
        deepest = await uow.nested.page(pagination=Pagination(page=1000, page_size=10))
        assert deepest.items == []


async def test_sort(make_uow: MakeUow) -> None:
    """Ports `test_sort`: ascending and descending on a nested field, and a bare field name.

    ESORM sorted by raw dicts and names; esorm takes those too, and field expressions.
    """
    await seed_nested(make_uow)
    async with make_uow() as uow:
        F = uow.nested.fields

        async def ints(sort: Any) -> list[int]:
            return [doc.f_nested.f_int for doc in await uow.nested.all(sort=sort)]

        assert await ints([{"f_nested.f_int": {"order": "asc"}}]) == [2, 3, 4, 5]
        assert await ints([{"f_nested.f_int": {"order": "desc"}}]) == [5, 4, 3, 2]
        assert await ints("f_nested.f_int") == [2, 3, 4, 5]
        assert await ints("-f_nested.f_int") == [5, 4, 3, 2]
        assert await ints(Sort(F.f_nested.f_int.desc())) == [5, 4, 3, 2]
        assert await ints(Sort.by("-f_float", on=NestedDoc)) == [5, 4, 3, 2]
        assert await ints(None) == [2, 3, 4, 5]  # the registry's default_sort
        with pytest.raises(QueryError, match="did you mean"):
            Sort.by("f_nested.f_itn", on=NestedDoc)


async def test_named_sort_options(make_uow: MakeUow) -> None:
    """Ports ESORM's named sorts (`make_dep_sort(**sorts)`): names, default, unknown names."""
    await seed_nested(make_uow)
    async with make_uow() as uow:
        F = uow.nested.fields
        options = SortOptions(
            {
                "smallest": Sort(F.f_nested.f_int.asc()),
                "largest": Sort(F.f_nested.f_int.desc()),
                "cheapest": [F.f_float.asc(), F.f_nested.f_str.asc()],
            },
            default="largest",
        )
        for name, expected in ((None, [5, 4]), ("smallest", [2, 3]), ("cheapest", [2, 3])):
            page = await uow.nested.page(
                pagination=Pagination(page=1, page_size=2), sort=options.resolve(name)
            )
            assert [doc.f_nested.f_int for doc in page] == expected
        with pytest.raises(QueryError, match="smallest, largest, cheapest"):
            options.resolve("newest")


# -- lazy properties ----------------------------------------------------------------------------


async def test_lazy_properties(make_uow: MakeUow, es_client: AsyncElasticsearch) -> None:
    """Ports `test_lazy_properties` as a query relation loaded in one batch.

    ESORM computes lazy properties after every read, one query per document, under a
    global concurrency limit (`set_max_lazy_property_concurrency(2)`). esorm loads a
    relation only when asked (reading it before raises), one search per distinct query
    (the three "test" documents share one), under the unit of work's
    `relation_concurrency`. Related documents are the tracked instances themselves,
    not copies; generated ids are time-ordered, so sorting by id lists them in
    creation order as ESORM's test expected.
    """
    created: list[str] = []
    for text in ("test", "test", "test", "test2", "test3"):
        async with make_uow(refresh=True) as uow:
            created.append(uow.lazies.id_of(uow.lazies.add(Lazy(f_str=text))))
            await uow.commit()
    assert created == sorted(created)

    async with make_uow(relation_concurrency=2) as uow:
        docs = (await uow.lazies.search(sort=["f_str", "id"])).items
        with pytest.raises(RelationNotLoadedError, match="same_f_strs"):
            docs[0].same_f_strs.get()
        with record_requests(es_client) as log:
            await uow.lazies.load(docs, "same_f_strs")
        assert len(log.to("_search")) == 3 and log.max_in_flight <= 2
        assert [d.f_str for d in docs] == ["test", "test", "test", "test2", "test3"]
        same = docs[0].same_f_strs.get()
        assert [d.id for d in same] == created[:3]
        assert same == docs[:3] and all(a is b for a, b in zip(same, docs, strict=False))
        assert [len(d.same_f_strs.get()) for d in docs] == [3, 3, 3, 1, 1]


async def test_lazy_properties_loaded_on_every_read(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    """Ports `test_lazy_properties`' always-computed behaviour: a registry default load.

    With `load=["same_f_strs"]` on the registration, every read loads the relation,
    as ESORM's lazy properties were computed after every search and get.
    """
    registry = scenario_registry(index_prefix, lazy_load=["same_f_strs"])
    await IndexManager(es_client, registry).create_all()
    async with ScenarioUow(es_client, registry, refresh=True) as uow:
        uow.lazies.add_all(Lazy(id=f"l{i}", f_str=text) for i, text in enumerate("aab"))
        await uow.commit()
    async with ScenarioUow(es_client, registry) as uow:
        assert [len(d.same_f_strs.get()) for d in await uow.lazies.all(sort="id")] == [2, 2, 1]
        assert [d.id for d in (await uow.lazies.get("l2")).same_f_strs] == ["l2"]
        assert [d.id for d in (await uow.lazies.get("l0")).same_f_strs] == ["l0", "l1"]


# -- timestamps ---------------------------------------------------------------------------------


async def test_create_timestamp_models(make_uow: MakeUow, es_client: AsyncElasticsearch) -> None:
    """Ports `test_create_timestamp_models` and the timestamp mapping of `test_create_mappings`."""
    async with make_uow() as uow:
        index = uow.stamped.mapping.index
    (info,) = (await es_client.indices.get_mapping(index=index)).body.values()
    mapping = info["mappings"]
    assert mapping["properties"]["created_at"]["type"] == "date"
    assert mapping["properties"]["modified_at"]["type"] == "date"


async def test_timestamps_on_create_and_update(make_uow: MakeUow) -> None:
    """Ports the timestamp part of `test_crud_create`/`test_crud_update`.

    `modified_at` moves on every write and `created_at` never does. ESORM stamps on
    every `save()`; esorm stamps only when a commit writes the entity, so committing
    an unchanged entity leaves its `modified_at` alone.
    """
    async with make_uow() as uow:
        doc = uow.add(Stamped(id="t", f_str="a"))
        assert doc.created_at is None and doc.modified_at is None  # stamped on commit
        await uow.commit()
        created = doc.created_at
        assert created is not None and created.tzinfo is not None
        assert doc.modified_at == created
    await asyncio.sleep(0.002)  # stored with millisecond precision
    async with make_uow() as uow:
        doc = await uow.stamped.get("t")
        assert (doc.created_at, doc.modified_at) == (created, created)
        await uow.commit()
        assert doc.modified_at == created  # nothing changed, nothing written
        doc.f_str = "b"
        await uow.commit()
        assert doc.created_at == created
        assert doc.modified_at is not None and doc.modified_at > created
        modified = doc.modified_at
    async with make_uow() as uow:
        doc = await uow.stamped.get("t")
        assert (doc.created_at, doc.modified_at) == (created, modified)


async def test_an_explicit_created_at_is_kept(make_uow: MakeUow) -> None:
    """Ports ESORM's rule that `created_at` is set only when empty (imports keep theirs)."""
    then = datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    async with make_uow() as uow:
        doc = uow.add(Stamped(id="old", f_str="imported", created_at=then))
        await uow.commit()
        assert doc.created_at == then
        assert doc.modified_at is not None and doc.modified_at > then
    async with make_uow() as uow:
        assert (await uow.stamped.get("old")).created_at == then


async def test_nested_timestamps_are_not_stamped(make_uow: MakeUow) -> None:
    """Ports `test_crud_update`'s nested part, where esorm deliberately differs.

    ESORM moves `modified_at` inside every nested `ESModelTimestamp` on save. esorm
    stamps the registered entity's own fields only: a nested model is a value inside
    the aggregate, not something persisted on its own, and its fields are the
    domain's to set.
    """
    async with make_uow() as uow:
        doc = uow.add(NestedDoc(id="n", f_nested=Stamped(f_str="nested_test")))
        await uow.commit()
        doc.f_nested.f_str = "nested_test_updated"
        assert (await uow.commit()).updated == 1
    async with make_uow() as uow:
        doc = await uow.nested.get("n")
        assert doc.f_nested.f_str == "nested_test_updated"
        assert (doc.f_nested.created_at, doc.f_nested.modified_at) == (None, None)
