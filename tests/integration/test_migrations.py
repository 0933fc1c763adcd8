"""Migrations against the real server: a type change while writers keep committing."""

from __future__ import annotations

import asyncio
import datetime
import random
from collections.abc import Callable
from typing import Any

import pytest
from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel

from esorm.errors import ConflictError, ConnectionFailedError
from esorm.indices import IndexManager, PlanStatus, concrete_name
from esorm.mapping import Registry
from esorm.migrations import (
    DocumentRefusedError,
    Migration,
    MigrationError,
    MigrationInProgressError,
    MigrationProgress,
    Phase,
)
from esorm.uow import UnitOfWork
from tests.integration._fault_proxy import Fault, FaultProxy, after_bulk
from tests.integration._stored import stored_sources

pytestmark = pytest.mark.integration


class ItemV1(BaseModel):
    """The entity as deployed: `code` is a number."""

    id: str
    code: int
    hits: int = 0


class ItemV2(BaseModel):
    """The entity after the change: `code` is text, and a new field has a default."""

    id: str
    code: str
    hits: int = 0
    currency: str = "EUR"


def registry_of(prefix: str, entity: type[BaseModel]) -> Registry:
    registry = Registry(prefix=prefix)
    registry.register(entity, index="items")
    return registry


async def seed(client: AsyncElasticsearch, registry: Registry, count: int) -> None:
    """`count` items written straight through the client (as data from before esorm would
    be: without write ids), in chunks."""
    await IndexManager(client, registry).create_all()
    name = registry.mapping_for(ItemV1).index
    for start in range(0, count, 10_000):
        lines: list[dict[str, Any]] = []
        for n in range(start, min(count, start + 10_000)):
            lines.append({"create": {"_index": name, "_id": f"i{n:05d}"}})
            lines.append({"id": f"i{n:05d}", "code": n, "hits": 0})
        await client.bulk(operations=lines)
    await client.indices.refresh(index=name)


def as_text(source: dict[str, Any]) -> dict[str, Any]:
    return {**source, "code": str(source["code"])}


async def test_a_type_change_is_planned_then_migrated_with_a_transform(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    v1, v2 = registry_of(index_prefix, ItemV1), registry_of(index_prefix, ItemV2)
    await seed(es_client, v1, 300)
    (plan,) = await IndexManager(es_client, v2).plan()
    assert plan.status is PlanStatus.NEEDS_MIGRATION
    conflicts = [(c.path, c.old_type, c.new_type) for c in plan.conflicts]
    assert conflicts == [("code", "long", "keyword")]
    seen: list[MigrationProgress] = []
    report = await Migration(
        es_client, v2, ItemV2, transform=as_text, on_progress=seen.append
    ).run()
    name = v2.mapping_for(ItemV2).index
    assert (report.phase, report.source, report.target) == (
        Phase.DONE,
        concrete_name(name, 1),
        concrete_name(name, 2),
    )
    assert report.copied == 300 and report.write_pause_ms is not None
    assert seen and seen[-1].done == 300 and seen[-1].phase == "copying"
    alias = await es_client.indices.get_alias(name=name)
    assert list(alias.body) == [concrete_name(name, 2)]
    async with UnitOfWork(es_client, v2) as uow:
        item = await uow.repository(ItemV2).get("i00042")
        assert (item.code, item.currency) == ("42", "EUR")
        assert await uow.repository(ItemV2).count({"term": {"currency": "EUR"}}) == 300
    (after,) = await IndexManager(es_client, v2).plan()
    assert after.status is PlanStatus.UP_TO_DATE


async def test_a_transform_that_raises_names_the_document_and_leaves_the_old_index_serving(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    v1, v2 = registry_of(index_prefix, ItemV1), registry_of(index_prefix, ItemV2)
    await seed(es_client, v1, 50)

    def broken(source: dict[str, Any]) -> dict[str, Any]:
        if source["id"] == "i00013":
            raise ValueError("cannot upcast this one")
        return as_text(source)

    migration = Migration(es_client, v2, ItemV2, transform=broken)
    with pytest.raises(DocumentRefusedError, match="i00013") as caught:
        await migration.run()
    assert caught.value.id == "i00013"
    name = v1.mapping_for(ItemV1).index
    assert list((await es_client.indices.get_alias(name=name)).body) == [concrete_name(name, 1)]
    assert not await es_client.indices.exists(index=concrete_name(name, 2))
    async with UnitOfWork(es_client, v1, refresh=True) as uow:  # old code keeps writing
        (await uow.repository(ItemV1).get("i00001")).hits += 1
        await uow.commit()
    state = await migration.status()
    assert state is not None and state.phase is Phase.REFUSED and "i00013" in (state.error or "")
    # a fixed transform migrates after the refused one
    assert (await Migration(es_client, v2, ItemV2, transform=as_text).run()).copied == 50


async def test_nothing_to_do_and_missing_indices_are_refused_clearly(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    v1 = registry_of(index_prefix, ItemV1)
    with pytest.raises(MigrationError, match="does not exist: nothing to migrate"):
        await Migration(es_client, v1, ItemV1).run()
    await seed(es_client, v1, 3)
    with pytest.raises(MigrationError, match="already matches the entity"):
        await Migration(es_client, v1, ItemV1).run()


async def test_two_migrations_of_one_index_at_once_are_refused(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    v1, v2 = registry_of(index_prefix, ItemV1), registry_of(index_prefix, ItemV2)
    await seed(es_client, v1, 2000)
    first = Migration(es_client, v2, ItemV2, transform=as_text)
    second = Migration(es_client, v2, ItemV2, transform=as_text)
    results = await asyncio.gather(first.run(), second.run(), return_exceptions=True)
    refused = [r for r in results if isinstance(r, MigrationInProgressError)]
    done = [r for r in results if not isinstance(r, BaseException)]
    assert len(refused) == 1 and len(done) == 1


async def test_an_entity_loaded_before_the_switch_and_committed_after_it_conflicts(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    v1, v2 = registry_of(index_prefix, ItemV1), registry_of(index_prefix, ItemV2)
    await seed(es_client, v1, 20)
    name = v1.mapping_for(ItemV1).index
    async with UnitOfWork(es_client, v1, blocked_wait=1.0) as stale:
        item = await stale.repository(ItemV1).get("i00007")
        await Migration(es_client, v2, ItemV2, transform=as_text).run()
        item.hits = 99
        with pytest.raises(ConflictError, match="retired by a migration"):
            await stale.commit()
    new = await es_client.get(index=name, id="i00007")
    assert new["_index"] == concrete_name(name, 2) and new["_source"]["hits"] == 0
    old = await es_client.get(index=concrete_name(name, 1), id="i00007")
    assert old["_source"]["hits"] == 0  # not written into the retired index either


WRITERS = 4


async def test_no_write_is_lost_while_a_migration_runs(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    """50,000 documents, a type change, 4 tasks committing creates, updates and deletes."""
    v1, v2 = registry_of(index_prefix, ItemV1), registry_of(index_prefix, ItemV2)
    await seed(es_client, v1, 50_000)
    expected: dict[str, int | None] = {f"i{n:05d}": 0 for n in range(50_000)}
    running = asyncio.Event()
    errors: list[BaseException] = []

    async def writer(number: int) -> None:
        rng = random.Random(number)
        own = [doc_id for doc_id in expected if int(doc_id[1:]) % WRITERS == number]
        created = 0
        while not running.is_set():
            action = rng.random()
            try:
                if action < 0.3:
                    doc_id = f"w{number}-{created}"
                    created += 1
                    async with UnitOfWork(es_client, v1) as uow:
                        uow.add(ItemV1(id=doc_id, code=created))
                        await uow.commit()
                    expected[doc_id] = 0
                else:
                    doc_id = rng.choice(own)
                    if expected[doc_id] is None:
                        continue
                    deleting = action > 0.9

                    async def change(
                        uow: UnitOfWork, doc_id: str = doc_id, deleting: bool = deleting
                    ) -> None:
                        item = await uow.repository(ItemV1).get(doc_id)
                        if deleting:
                            uow.remove(item)
                        else:
                            item.hits += 1

                    await UnitOfWork(es_client, v1).run(change, attempts=20)
                    expected[doc_id] = None if deleting else (expected[doc_id] or 0) + 1
            except BaseException as exc:  # every writer error fails the test
                errors.append(exc)
                return
            await asyncio.sleep(0)

    tasks = [asyncio.create_task(writer(n)) for n in range(WRITERS)]
    await asyncio.sleep(0.2)
    report = await Migration(es_client, v2, ItemV2, transform=as_text).run()
    await asyncio.sleep(0.2)  # writers go on after the switch, through the alias
    running.set()
    await asyncio.gather(*tasks)
    assert not errors, errors
    stored = {s["id"]: s["hits"] for s in await stored_sources(es_client, report.target)}
    wanted = {doc_id: hits for doc_id, hits in expected.items() if hits is not None}
    assert stored == wanted
    assert report.passes >= 1 and report.write_pause_ms is not None


async def test_a_migration_cut_off_mid_copy_is_resumed_to_the_same_end(
    es_client: AsyncElasticsearch,
    index_prefix: str,
    fault_proxy: FaultProxy,
    make_proxy_client: Callable[..., AsyncElasticsearch],
) -> None:
    v1, v2 = registry_of(index_prefix, ItemV1), registry_of(index_prefix, ItemV2)
    await seed(es_client, v1, 12_000)
    fault_proxy.decide = after_bulk(1, Fault.reset())  # the server "goes away" mid-copy
    lease = datetime.timedelta(milliseconds=300)
    cut = Migration(make_proxy_client(max_retries=0), v2, ItemV2, transform=as_text, lease=lease)
    with pytest.raises(ConnectionFailedError):
        await cut.run()
    fault_proxy.decide = None
    name = v1.mapping_for(ItemV1).index
    assert list((await es_client.indices.get_alias(name=name)).body) == [concrete_name(name, 1)]
    await asyncio.sleep(0.4)  # the cut-off holder's lease runs out
    report = await Migration(es_client, v2, ItemV2, transform=as_text).resume()
    assert report.phase is Phase.DONE
    stored = await stored_sources(es_client, report.target)
    assert sorted(s["id"] for s in stored) == [f"i{n:05d}" for n in range(12_000)]
    assert all(s["code"] == str(int(s["id"][1:])) for s in stored)


async def test_a_rollback_restores_the_old_index_with_the_writes_made_since(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    v1, v2 = registry_of(index_prefix, ItemV1), registry_of(index_prefix, ItemV2)
    await seed(es_client, v1, 100)
    migration = Migration(es_client, v2, ItemV2, transform=as_text)
    await migration.run()
    async with UnitOfWork(es_client, v2, refresh=True) as uow:  # writes on the new index
        (await uow.repository(ItemV2).get("i00001")).hits = 5
        uow.remove(await uow.repository(ItemV2).get("i00002"))
        uow.add(ItemV2(id="new", code="77"))
        await uow.commit()
    report = await migration.rollback()
    assert report.phase is Phase.ROLLED_BACK
    name = v1.mapping_for(ItemV1).index
    assert list((await es_client.indices.get_alias(name=name)).body) == [concrete_name(name, 1)]
    async with UnitOfWork(es_client, v1, refresh=True) as uow:  # the old code serves again
        repo = uow.repository(ItemV1)
        assert (await repo.get("i00001")).hits == 5
        assert await repo.find("i00002") is None
        assert (await repo.get("new")).code == 77
        (await repo.get("i00003")).hits = 1
        await uow.commit()
    cleaned = await migration.cleanup()
    assert cleaned.phase is Phase.CLEANED
    assert not await es_client.indices.exists(index=concrete_name(name, 2))


async def test_an_index_from_before_aliases_is_adopted_by_the_first_migration(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    v2 = registry_of(index_prefix, ItemV2)
    name = v2.mapping_for(ItemV2).index
    await es_client.indices.create(index=name, mappings={"properties": {"code": {"type": "long"}}})
    for n in range(30):
        await es_client.index(index=name, id=f"i{n:05d}", document={"id": f"i{n:05d}", "code": n})
    report = await Migration(es_client, v2, ItemV2, transform=as_text).run()
    assert (report.source, report.target) == (name, concrete_name(name, 1))
    alias = await es_client.indices.get_alias(name=name)  # the name is an alias now
    assert list(alias.body) == [concrete_name(name, 1)] and report.copied == 30
    with pytest.raises(MigrationError, match="nothing to roll back to"):
        await Migration(es_client, v2, ItemV2).rollback()


class ItemWithCurrency(BaseModel):
    id: str
    code: int
    hits: int = 0
    currency: str = "EUR"


async def test_an_added_field_with_a_default_is_filled_into_old_documents(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    v1 = registry_of(index_prefix, ItemV1)
    await seed(es_client, v1, 1500)
    widened = registry_of(index_prefix, ItemWithCurrency)
    (plan,) = await IndexManager(es_client, widened).plan()
    assert (plan.status, plan.backfill) == (PlanStatus.ADD_IN_PLACE, ("currency",))
    (report,) = await IndexManager(es_client, widened).create_all()
    assert report.added_fields == ("currency",) and report.filled == 1500
    async with UnitOfWork(es_client, widened) as uow:
        repo = uow.repository(ItemWithCurrency)
        assert await repo.count(repo.fields.currency == "EUR") == 1500
        assert (await repo.get("i00009")).currency == "EUR"


@pytest.mark.embedded_gap("noida-db answers an async _reindex with a task id its _tasks API lacks")
async def test_the_servers_own_reindex_copies_and_the_switch_follows(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    v1 = registry_of(index_prefix, ItemV1)
    await seed(es_client, v1, 2000)
    report = await Migration(es_client, v1, ItemV1, copy="server", slices=2, force=True).run()
    assert report.phase is Phase.DONE and report.copied == 2000
    stored = await stored_sources(es_client, report.target)
    assert len(stored) == 2000


async def test_a_server_copy_refuses_a_python_transform(es_client: AsyncElasticsearch) -> None:
    with pytest.raises(MigrationError, match="cannot run a Python transform"):
        Migration(es_client, registry_of("x_", ItemV2), ItemV2, copy="server", transform=as_text)


async def test_documents_the_new_entity_refuses_can_be_skipped_and_listed(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    v1, v2 = registry_of(index_prefix, ItemV1), registry_of(index_prefix, ItemV2)
    await seed(es_client, v1, 40)

    def drop_some(source: dict[str, Any]) -> dict[str, Any]:
        upcast = as_text(source)
        if source["code"] % 10 == 3:
            del upcast["code"]  # the new entity requires it: refused
        return upcast

    report = await Migration(es_client, v2, ItemV2, transform=drop_some, on_invalid="skip").run()
    assert report.phase is Phase.DONE and report.copied == 36
    assert sorted(line.split(":")[0] for line in report.skipped) == [
        "i00003",
        "i00013",
        "i00023",
        "i00033",
    ]
    assert all("does not validate as ItemV2" in line for line in report.skipped)
    stored = await stored_sources(es_client, report.target)
    assert len(stored) == 36
