"""(b) One search of 10,000 hits turned into entities."""

from __future__ import annotations

from typing import Any

from elasticsearch import AsyncElasticsearch

from benchmarks._context import Bench
from benchmarks._harness import Case, Pending
from benchmarks._models import User, user_sources
from esorm.uow import UnitOfWork

_FAST = "the esorm-built client: the same serializer esorm uses"


async def prepare(bench: Bench) -> None:
    """Read-only workload: one seeded index serves every run."""
    await bench.seed(User, user_sources(bench.count))


async def esorm_search(bench: Bench, uow: UnitOfWork) -> list[User]:
    """The esorm row: one search through the repository, returning tracked entities."""
    repository: Any = uow.repository(User)
    if not hasattr(repository, "search"):
        raise Pending("Repository.search is not built yet")
    page = await repository.search(size=bench.count)
    return list(page.items)


def cases(bench: Bench) -> list[Case]:
    index = bench.indices.user
    size = bench.count

    async def raw_search(client: AsyncElasticsearch) -> list[dict[str, Any]]:
        response = await client.search(index=index, size=size, seq_no_primary_term=True)
        hits: list[dict[str, Any]] = response.body["hits"]["hits"]
        return hits

    async def raw(_: None) -> None:
        assert len(await raw_search(bench.plain)) == size

    async def raw_fast(_: None) -> None:
        assert len(await raw_search(bench.client)) == size

    async def raw_validate(_: None) -> None:
        users = [User.model_validate(hit["_source"]) for hit in await raw_search(bench.plain)]
        assert len(users) == size

    async def raw_fast_validate(_: None) -> None:
        users = [User.model_validate(hit["_source"]) for hit in await raw_search(bench.client)]
        assert len(users) == size

    async def open_uow() -> UnitOfWork:
        uow = UnitOfWork(bench.client, bench.registry)
        await uow.__aenter__()
        return uow

    async def close_uow(uow: UnitOfWork) -> None:
        await uow.__aexit__(None, None, None)

    async def esorm(uow: UnitOfWork) -> None:
        assert len(await esorm_search(bench, uow)) == size

    ids = [s["id"] for s in user_sources(size)]

    async def esorm_get_many(uow: UnitOfWork) -> None:
        assert len(await uow.repository(User).get_many(ids)) == size

    async def pe(_: None) -> None:
        assert len(await bench.peer().User.search({"match_all": {}}, page_size=size)) == size

    async def dsl(_: None) -> None:
        search = bench.dsl.User.search(using=bench.plain).extra(size=size, seq_no_primary_term=True)
        assert len(list(await search.execute())) == size

    return [
        Case(
            "raw search, dicts",
            "elasticsearch",
            "info",
            raw,
            note="default serializer; seq_no_primary_term=True, as a tracking ORM needs",
        ),
        Case("raw search + orjson, dicts", "elasticsearch", "info", raw_fast, note=_FAST),
        Case(
            "raw search + model_validate",
            "elasticsearch",
            "baseline",
            raw_validate,
            note="default serializer",
        ),
        Case(
            "raw search + orjson + model_validate",
            "elasticsearch",
            "info",
            raw_fast_validate,
            note=_FAST,
        ),
        Case(
            "esorm repository.search",
            "esorm",
            "target",
            esorm,
            open_uow,
            close_uow,
            note="esorm-built client (orjson)",
            versus=("raw search + orjson + model_validate", "raw search, dicts"),
        ),
        Case(
            "esorm get_many (mget)",
            "esorm",
            "info",
            esorm_get_many,
            open_uow,
            close_uow,
            note="the same entities by id through one mget, for comparison",
        ),
        Case(
            "ESORM Model.search",
            "pyesorm",
            "peer",
            pe,
            note="also asks for version; request_timeout per call",
        ),
        Case("dsl AsyncSearch.execute", "elasticsearch.dsl", "peer", dsl),
    ]
