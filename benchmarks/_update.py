"""(c) Change 1,000 of 10,000 loaded entities and write them back guarded by their versions."""

from __future__ import annotations

from typing import Any

from elasticsearch.helpers import async_streaming_bulk

from benchmarks._context import Bench
from benchmarks._harness import Case
from benchmarks._models import User, user_sources
from esorm.uow import UnitOfWork

CHUNK = 500
EVERY = 10  # one entity in ten changes


def _changed(items: list[Any]) -> list[Any]:
    return items[::EVERY]


async def esorm_load(bench: Bench, uow: UnitOfWork) -> list[User]:
    """Track every user in the unit of work (untimed): by search once it exists, else by mget."""
    repository: Any = uow.repository(User)
    if hasattr(repository, "search"):
        return list((await repository.search(size=bench.count)).items)
    return list(await repository.get_many([s["id"] for s in user_sources(bench.count)]))


def cases(bench: Bench) -> list[Case]:
    sources = user_sources(bench.count)
    size = bench.count

    expected_ages = sum(s["age"] for s in sources) + len(_changed(sources))

    async def fresh() -> str:
        return await bench.seed(User, sources)

    async def all_changed(_: Any) -> None:
        index = bench.indices.user
        await bench.client.indices.refresh(index=index)
        response = await bench.client.search(
            index=index, size=0, aggs={"ages": {"sum": {"field": "age"}}}
        )
        total = int(response["aggregations"]["ages"]["value"])
        assert total == expected_ages, f"sum of ages {total}, expected {expected_ages}"

    # -- raw client --------------------------------------------------------------------------

    async def raw_setup() -> tuple[str, list[User], dict[str, tuple[int, int]]]:
        index = await fresh()
        response = await bench.plain.search(index=index, size=size, seq_no_primary_term=True)
        hits = response.body["hits"]["hits"]
        users = [User.model_validate(hit["_source"]) for hit in hits]
        versions = {hit["_id"]: (hit["_seq_no"], hit["_primary_term"]) for hit in hits}
        return index, users, versions

    async def raw(state: tuple[str, list[User], dict[str, tuple[int, int]]]) -> None:
        index, users, versions = state
        changed = _changed(users)
        for user in changed:
            user.age += 1
        actions = (
            {
                "_index": index,
                "_id": u.id,
                "if_seq_no": versions[u.id][0],
                "if_primary_term": versions[u.id][1],
                "_source": u.model_dump(),
            }
            for u in changed
        )
        async for _, item in async_streaming_bulk(bench.plain, actions, chunk_size=CHUNK):
            result = item["index"]
            versions[result["_id"]] = (result["_seq_no"], result["_primary_term"])

    # -- esorm -------------------------------------------------------------------------------

    async def esorm_setup(bulk_concurrency: int = 2) -> tuple[UnitOfWork, list[User]]:
        await fresh()
        uow = UnitOfWork(
            bench.client, bench.registry, chunk_size=CHUNK, bulk_concurrency=bulk_concurrency
        )
        await uow.__aenter__()
        return uow, await esorm_load(bench, uow)

    async def esorm_setup_one_at_a_time() -> tuple[UnitOfWork, list[User]]:
        return await esorm_setup(bulk_concurrency=1)

    async def esorm(state: tuple[UnitOfWork, list[User]]) -> None:
        uow, users = state
        for user in _changed(users):
            user.age += 1
        await uow.commit()

    async def esorm_close(state: tuple[UnitOfWork, list[User]]) -> None:
        await state[0].__aexit__(None, None, None)

    # -- ESORM (pyesorm) ---------------------------------------------------------------------

    async def pe_setup() -> list[Any]:
        model = bench.peer().User
        await fresh()
        loaded: list[Any] = await model.search({"match_all": {}}, page_size=size)
        return loaded

    async def pe(models: list[Any]) -> None:
        assert bench.pyesorm.module is not None
        async with bench.pyesorm.module.ESBulk() as bulk:
            for model in _changed(models):
                model.age += 1
                await bulk.save(model)

    # -- elasticsearch.dsl -------------------------------------------------------------------

    async def dsl_setup() -> list[Any]:
        await fresh()
        search = bench.dsl.User.search(using=bench.plain).extra(size=size, seq_no_primary_term=True)
        return list(await search.execute())

    async def dsl(docs: list[Any]) -> None:
        async def each() -> Any:
            for doc in _changed(docs):
                doc.age += 1
                yield {
                    "_id": doc.meta.id,
                    "if_seq_no": doc.meta.seq_no,
                    "if_primary_term": doc.meta.primary_term,
                    "_source": doc,
                }

        await bench.dsl.User.bulk(each(), using=bench.plain, chunk_size=CHUNK)

    return [
        Case(
            "raw streaming_bulk, guarded",
            "elasticsearch",
            "baseline",
            raw,
            raw_setup,
            note="caller knows what changed; keeps new versions",
            check=all_changed,
        ),
        Case(
            "esorm change + commit",
            "esorm",
            "target",
            esorm,
            esorm_setup,
            esorm_close,
            note="dirty check over all tracked entities",
            check=all_changed,
        ),
        Case(
            "esorm change + commit, one request at a time",
            "esorm",
            "info",
            esorm,
            esorm_setup_one_at_a_time,
            esorm_close,
            note="bulk_concurrency=1",
            check=all_changed,
        ),
        Case(
            "ESORM ESBulk.save, seq_no",
            "pyesorm",
            "peer",
            pe,
            pe_setup,
            note="validate_assignment on every change",
            check=all_changed,
        ),
        Case(
            "dsl AsyncDocument.bulk, guarded",
            "elasticsearch.dsl",
            "peer",
            dsl,
            dsl_setup,
            note="does not keep the new versions",
            check=all_changed,
        ),
    ]
