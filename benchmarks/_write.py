"""(a) Write 10,000 new entities into a fresh index."""

from __future__ import annotations

from typing import Any

from elasticsearch.helpers import async_bulk

from benchmarks._context import Bench
from benchmarks._harness import Case
from benchmarks._models import User, user_sources
from esorm.uow import UnitOfWork

CHUNK = 500
LARGE = 10  # the large commit writes ten times the entities of the others (100,000)


async def _raw_dump(bench: Bench, index: str, users: list[User]) -> None:
    """What hand-written code does with entities: `model_dump` each into `async_bulk`."""
    actions = (
        {"_op_type": "create", "_index": index, "_id": u.id, "_source": u.model_dump()}
        for u in users
    )
    await async_bulk(bench.plain, actions, chunk_size=CHUNK)


async def _esorm_add_commit(bench: Bench, users: list[User], bulk_concurrency: int = 2) -> None:
    async with UnitOfWork(
        bench.client, bench.registry, chunk_size=CHUNK, bulk_concurrency=bulk_concurrency
    ) as uow:
        uow.repository(User).add_all(users)
        await uow.commit()


def cases(bench: Bench) -> list[Case]:
    sources = user_sources(bench.count)

    async def fresh_index() -> str:
        return await bench.reset_index(User)

    async def all_written(_: Any) -> None:
        index = bench.indices.user
        await bench.client.indices.refresh(index=index)
        found = (await bench.client.count(index=index))["count"]
        assert found == len(sources), f"{found} documents written, expected {len(sources)}"

    # -- raw client --------------------------------------------------------------------------

    async def raw_setup() -> list[dict[str, Any]]:
        index = await fresh_index()
        return [
            {"_op_type": "create", "_index": index, "_id": s["id"], "_source": s} for s in sources
        ]

    async def raw(actions: list[dict[str, Any]]) -> None:
        await async_bulk(bench.plain, actions, chunk_size=CHUNK)

    async def raw_fast(actions: list[dict[str, Any]]) -> None:
        await async_bulk(bench.client, actions, chunk_size=CHUNK)

    async def raw_dump_setup() -> tuple[str, list[User]]:
        return await fresh_index(), [User.model_validate(s) for s in sources]

    async def raw_dump(state: tuple[str, list[User]]) -> None:
        await _raw_dump(bench, *state)

    # -- esorm -------------------------------------------------------------------------------

    async def esorm_setup() -> list[User]:
        await fresh_index()
        return [User.model_validate(s) for s in sources]

    async def esorm_add_commit(users: list[User]) -> None:
        await _esorm_add_commit(bench, users)

    async def esorm_one_at_a_time(users: list[User]) -> None:
        await _esorm_add_commit(bench, users, bulk_concurrency=1)

    async def esorm_commit_setup() -> UnitOfWork:
        users = await esorm_setup()
        uow = UnitOfWork(bench.client, bench.registry, chunk_size=CHUNK)
        await uow.__aenter__()
        uow.repository(User).add_all(users)
        return uow

    async def esorm_commit_only(uow: UnitOfWork) -> None:
        await uow.commit()

    async def esorm_close(uow: UnitOfWork) -> None:
        await uow.__aexit__(None, None, None)

    # -- ESORM (pyesorm) ---------------------------------------------------------------------

    async def pe_setup() -> list[Any]:
        model = bench.peer().User
        await fresh_index()
        return [model(**s) for s in sources]

    async def pe_bulk(models: list[Any]) -> None:
        assert bench.pyesorm.module is not None
        async with bench.pyesorm.module.ESBulk() as bulk:
            for model in models:
                await bulk.save(model)

    # -- elasticsearch.dsl -------------------------------------------------------------------

    async def dsl_setup() -> list[Any]:
        await fresh_index()
        doc = bench.dsl.User
        return [doc(meta={"id": s["id"]}, **s) for s in sources]

    async def dsl_bulk(docs: list[Any]) -> None:
        async def each() -> Any:
            for doc in docs:
                yield doc

        await bench.dsl.User.bulk(each(), using=bench.plain, chunk_size=CHUNK)

    return [
        Case(
            "raw async_bulk, prebuilt dicts",
            "elasticsearch",
            "baseline",
            raw,
            raw_setup,
            note=f"`create` actions, chunk {CHUNK}; default serializer",
            check=all_written,
        ),
        Case(
            "raw async_bulk + orjson, prebuilt dicts",
            "elasticsearch",
            "info",
            raw_fast,
            raw_setup,
            note="the esorm-built client's serializer",
            check=all_written,
        ),
        Case(
            "raw async_bulk + model_dump",
            "elasticsearch",
            "info",
            raw_dump,
            raw_dump_setup,
            note="what hand-written code pays to turn entities into dicts",
            check=all_written,
        ),
        Case(
            "esorm add_all + commit",
            "esorm",
            "target",
            esorm_add_commit,
            esorm_setup,
            note="entities built beforehand; add validates each",
            check=all_written,
            versus=("raw async_bulk + model_dump", "raw async_bulk + orjson, prebuilt dicts"),
        ),
        Case(
            "esorm add_all + commit, one request at a time",
            "esorm",
            "info",
            esorm_one_at_a_time,
            esorm_setup,
            note="bulk_concurrency=1: the next chunk is serialized only after the last answer",
            check=all_written,
        ),
        Case(
            "esorm commit only",
            "esorm",
            "info",
            esorm_commit_only,
            esorm_commit_setup,
            esorm_close,
            note="adds done in the untimed setup",
            check=all_written,
        ),
        Case(
            "ESORM ESBulk.save",
            "pyesorm",
            "peer",
            pe_bulk,
            pe_setup,
            note="one _bulk request for everything (no chunking)",
            check=all_written,
        ),
        Case(
            "dsl AsyncDocument.bulk",
            "elasticsearch.dsl",
            "peer",
            dsl_bulk,
            dsl_setup,
            note=f"validate=True, chunk {CHUNK}",
            check=all_written,
        ),
    ]


def large_cases(bench: Bench) -> list[Case]:
    """One commit of ten times the entities: time and, above all, peak memory."""
    sources = user_sources(bench.count * LARGE)

    async def setup() -> tuple[str, list[User]]:
        return await bench.reset_index(User), [User.model_validate(s) for s in sources]

    async def raw_dump(state: tuple[str, list[User]]) -> None:
        await _raw_dump(bench, *state)

    async def esorm_add_commit(state: tuple[str, list[User]]) -> None:
        await _esorm_add_commit(bench, state[1])

    async def esorm_batches(state: tuple[str, list[User]]) -> None:
        users, size = state[1], bench.count
        for start in range(0, len(users), size):
            await _esorm_add_commit(bench, users[start : start + size])

    async def all_written(_: Any) -> None:
        index = bench.indices.user
        await bench.client.indices.refresh(index=index)
        found = (await bench.client.count(index=index))["count"]
        assert found == len(sources), f"{found} documents written, expected {len(sources)}"

    return [
        Case(
            "raw async_bulk + model_dump",
            "elasticsearch",
            "baseline",
            raw_dump,
            setup,
            note=f"chunk {CHUNK}, default serializer",
            check=all_written,
        ),
        Case(
            "esorm add_all + commit",
            "esorm",
            "target",
            esorm_add_commit,
            setup,
            note="one commit",
            check=all_written,
        ),
        Case(
            f"esorm, a unit of work per {bench.count:,}",
            "esorm",
            "info",
            esorm_batches,
            setup,
            note="an import as a loop of units of work: each one's tracking is dropped with it",
            check=all_written,
        ),
    ]
