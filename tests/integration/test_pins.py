"""Entities pinned to a client's version: the ETag of a tracked entity, `get(expected=...)`,
`pin`, and the guard of the next write carrying the client's version, against a real server."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from elasticsearch import AsyncElasticsearch

from esorm.errors import (
    ConflictError,
    InvalidEntityError,
    InvalidETagError,
    NotFoundError,
    PreconditionFailedError,
)
from esorm.etags import EntityTag, EntityVersion, IfMatch, IfNoneMatch, kind_of
from esorm.mapping import Registry
from esorm.testing import record_requests
from tests.integration._blog import BlogUnitOfWork, Counter, User
from tests.integration._stored import split_writes, stored_doc
from tests.integration._support import seed

pytestmark = pytest.mark.integration

MakeUow = Callable[..., BlogUnitOfWork]


async def etag_now(make_uow: MakeUow, doc_id: str = "c") -> str:
    """The counter's current ETag, as a GET in a request of its own would give it."""
    async with make_uow() as uow:
        tag = uow.etag_of(await uow.counters.get(doc_id))
    assert tag is not None
    return tag


async def bump(make_uow: MakeUow, doc_id: str = "c", by: int = 1) -> str:
    """Another writer's change, committed in a unit of its own; its new ETag."""
    async with make_uow() as uow:
        counter = await uow.counters.get(doc_id)
        counter.value += by
        await uow.commit()
        tag = uow.etag_of(counter)
    assert tag is not None
    return tag


async def stored_value(es_client: AsyncElasticsearch, registry: Registry) -> int | None:
    stored = await stored_doc(es_client, registry.mapping_for(Counter).index, "c")
    return None if stored is None else int(stored.source["value"])


@pytest.fixture
async def counter(make_uow: MakeUow) -> None:
    await seed(make_uow, Counter(id="c", value=0))


# -- the ETag ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("counter")
async def test_the_etag_is_strong_names_the_version_and_moves_with_each_write(
    make_uow: MakeUow, registry: Registry
) -> None:
    async with make_uow() as uow:
        counter = await uow.counters.get("c")
        first = uow.etag_of(counter)
        assert first is not None and first == uow.counters.etag_of(counter)
        tag = EntityTag.parse(first)
        assert not tag.weak and first.startswith('"') and first.endswith('"')
        version = EntityVersion.read(tag)
        assert version is not None
        assert (version.seq_no, version.primary_term) == uow.version_of(counter)
        assert version.kind == kind_of("Counter")
        counter.value = 1
        await uow.commit()
        second = uow.etag_of(counter)
        assert second is not None and second != first
        assert uow.etag_of(Counter(id="c")) is None  # not tracked
        new = uow.add(Counter(id="new"))
        assert uow.etag_of(new) is None  # never stored
    assert await etag_now(make_uow) == second  # the same version gives the same tag


async def test_etags_of_two_documents_at_the_same_version_differ(make_uow: MakeUow) -> None:
    await seed(make_uow, Counter(id="a"), User(id="a", first_name="Ann"))
    async with make_uow() as uow:
        counter, user = await uow.counters.get("a"), await uow.users.get("a")
        assert uow.version_of(counter) == uow.version_of(user)  # both the first write
        assert uow.etag_of(counter) != uow.etag_of(user)


# -- a pinned write is guarded by the client's version ------------------------------------------


@pytest.mark.usefixtures("counter")
async def test_a_current_etag_pins_the_write_to_that_version(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    tag = await etag_now(make_uow)
    version = EntityVersion.read(EntityTag.parse(tag))
    assert version is not None
    async with make_uow() as uow:
        with record_requests(es_client) as log:
            counter = await uow.counters.get("c", expected=tag)
            counter.value = 5
            await uow.commit()
        (bulk,) = log.to("_bulk")
        action = split_writes(bulk.ndjson())[0][0]["index"]
        assert (action["if_seq_no"], action["if_primary_term"]) == (
            version.seq_no,
            version.primary_term,
        )
        assert uow.etag_of(counter) not in (None, tag)
        assert not uow.identity_map.pins  # spent by the write
    assert await stored_value(es_client, registry) == 5


@pytest.mark.usefixtures("counter")
async def test_a_stale_etag_is_refused_before_anything_is_written(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    stale = await etag_now(make_uow)
    current = await bump(make_uow)
    async with make_uow() as uow:
        with record_requests(es_client) as log:
            with pytest.raises(PreconditionFailedError) as caught:
                await uow.counters.get("c", expected=stale)
            assert await uow.commit() is not None
        assert [r.endpoint for r in log.requests] == ["_doc"]  # the read, nothing written
    assert caught.value.current_etag == current
    assert isinstance(caught.value, ConflictError)
    (failure,) = caught.value.failures
    assert (failure.id, failure.status, failure.error_type) == ("c", 412, "precondition_failed")
    assert "older version" in failure.reason
    assert await stored_value(es_client, registry) == 1


@pytest.mark.usefixtures("counter")
async def test_a_write_landing_between_pin_and_commit_makes_the_server_refuse_ours(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    tag = await etag_now(make_uow)
    async with make_uow() as uow:
        counter = await uow.counters.get("c", expected=tag)  # current: pinned
        counter.value = 100
        theirs = await bump(make_uow, by=7)  # lands before our commit
        with record_requests(es_client) as log, pytest.raises(PreconditionFailedError) as caught:
            await uow.commit()
        assert [r.endpoint for r in log.requests] == ["_bulk", "_mget"]  # refused, read back
        assert caught.value.current_etag == theirs
        assert "Counter 'c' was changed or deleted by another write" in str(caught.value)
        (failure,) = caught.value.failures
        assert (failure.operation, failure.status) == ("index", 409)
        assert uow.identity_map.pins  # still pinned: a second commit is refused the same way
        with pytest.raises(PreconditionFailedError):
            await uow.commit()
    assert await stored_value(es_client, registry) == 7


@pytest.mark.usefixtures("counter")
async def test_a_pinned_delete_is_guarded_the_same_way(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    tag = await etag_now(make_uow)
    async with make_uow() as uow:
        uow.counters.remove(await uow.counters.get("c", expected=tag))
        theirs = await bump(make_uow)
        with pytest.raises(PreconditionFailedError) as caught:
            await uow.commit()
        assert caught.value.current_etag == theirs
    assert await stored_value(es_client, registry) == 1  # still there


@pytest.mark.usefixtures("counter")
async def test_a_pinned_write_of_a_document_deleted_meanwhile_has_no_current_etag(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    tag = await etag_now(make_uow)
    async with make_uow() as uow:
        counter = await uow.counters.get("c", expected=tag)
        counter.value = 3
        async with make_uow() as other:
            other.counters.remove(await other.counters.get("c"))
            await other.commit()
        with pytest.raises(PreconditionFailedError) as caught:
            await uow.commit()
        assert caught.value.current_etag is None
    assert await stored_value(es_client, registry) is None  # not created again


@pytest.mark.usefixtures("counter")
async def test_lists_wildcards_and_weak_tags_follow_the_strong_comparison(
    make_uow: MakeUow,
) -> None:
    stale = await etag_now(make_uow)
    current = await bump(make_uow)
    async with make_uow() as uow:
        await uow.counters.get("c", expected=f"{stale}, {current}")  # one of them is current
        assert uow.identity_map.pins
    async with make_uow() as uow:
        await uow.counters.get("c", expected="*")  # any current version
    async with make_uow() as uow:
        with pytest.raises(PreconditionFailedError, match="weak ETags never match"):
            await uow.counters.get("c", expected=f"W/{current}")
    async with make_uow() as uow:
        counter = await uow.counters.get("c")
        uow.pin(counter, IfMatch((EntityTag.parse(current),)))  # a parsed value works as well
        with pytest.raises(PreconditionFailedError):
            uow.pin(
                counter,
                IfNoneMatch(
                    (
                        EntityTag.parse(
                            current,
                        ),
                    )
                ),
            )


@pytest.mark.usefixtures("counter")
async def test_a_wildcard_pin_is_refused_by_the_server_when_the_document_goes(
    make_uow: MakeUow,
) -> None:
    async with make_uow() as uow:
        counter = await uow.counters.get("c", expected="*")
        counter.value = 9
        async with make_uow() as other:
            other.counters.remove(await other.counters.get("c"))
            await other.commit()
        with pytest.raises(PreconditionFailedError):
            await uow.commit()


# -- tags that do not belong --------------------------------------------------------------------


@pytest.mark.usefixtures("counter")
@pytest.mark.parametrize(
    ("expected", "message"),
    [
        ("abc", "not `\\*` or a list of entity tags"),
        ("", "If-Match is empty"),
        ('"abc"', "not an ETag esorm made for a Counter"),
        ('"1a2b3c4d.1a2b3c4d5e6f.01.2"', "not an ETag esorm made"),
    ],
)
async def test_malformed_expectations_are_refused_before_any_request(
    make_uow: MakeUow, es_client: AsyncElasticsearch, expected: str, message: str
) -> None:
    async with make_uow() as uow:
        with record_requests(es_client) as log, pytest.raises(InvalidETagError, match=message):
            await uow.counters.get("c", expected=expected)
    if not expected.startswith('"'):
        assert not log.requests  # unreadable headers are refused before the read


async def test_an_etag_of_another_entity_type_is_named_as_such(make_uow: MakeUow) -> None:
    await seed(make_uow, Counter(id="a"), User(id="a", first_name="Ann"))
    async with make_uow() as uow:
        user_tag = uow.etag_of(await uow.users.get("a"))
    assert user_tag is not None
    async with make_uow() as uow:
        with pytest.raises(InvalidETagError, match="another entity type, not of a Counter"):
            await uow.counters.get("a", expected=user_tag)


async def test_an_etag_of_another_document_or_index_never_matches(make_uow: MakeUow) -> None:
    await seed(make_uow, Counter(id="a"), Counter(id="b"))
    async with make_uow() as uow:
        a, b = await uow.counters.get("a"), await uow.counters.get("b")
        a_tag, b_entry = uow.etag_of(a), uow.identity_map.entry_of(b)
        assert a_tag is not None and b_entry is not None
        with pytest.raises(PreconditionFailedError, match="made for another document"):
            uow.pin(b, a_tag)
        # the same id and version in another concrete index: what a migration leaves behind,
        # where sequence numbers start again
        assert b_entry.seq_no is not None and b_entry.primary_term is not None
        elsewhere = EntityVersion.of("Counter", "old_counters_v1", "b", b_entry.seq_no, 1)
        with pytest.raises(PreconditionFailedError, match="index this document is no longer"):
            uow.pin(b, str(elsewhere))


# -- what the unit of work holds ---------------------------------------------------------------


@pytest.mark.usefixtures("counter")
async def test_a_unit_holding_an_older_version_than_the_client_saw_conflicts(
    make_uow: MakeUow,
) -> None:
    attempts = 0

    async def work(uow: BlogUnitOfWork) -> None:
        nonlocal attempts
        attempts += 1
        counter = await uow.counters.get("c")  # loaded first...
        if attempts == 1:
            newer = await bump(make_uow)  # ...then changed, and the client saw the change
            with pytest.raises(ConflictError) as caught:
                uow.pin(counter, newer)
            assert not isinstance(caught.value, PreconditionFailedError)
            assert "load it again" in str(caught.value)
            raise caught.value
        uow.pin(counter, await etag_now(make_uow))
        counter.value += 10

    await make_uow().run(work, attempts=2)  # a conflict: a fresh load succeeds
    assert attempts == 2


@pytest.mark.usefixtures("counter")
async def test_retries_never_rerun_a_failed_precondition(make_uow: MakeUow) -> None:
    stale = await etag_now(make_uow)
    await bump(make_uow)
    calls = 0

    async def work(uow: BlogUnitOfWork) -> None:
        nonlocal calls
        calls += 1
        (await uow.counters.get("c", expected=stale)).value = 0

    with pytest.raises(PreconditionFailedError):
        await make_uow().run(work, attempts=5)
    assert calls == 1


async def test_create_only_pins_an_added_entity_and_refuses_an_existing_one(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    async with make_uow() as uow:
        mine = uow.counters.add(Counter(id="n", value=1))
        uow.pin(mine, IfNoneMatch(wildcard=True))
        await seed(make_uow, Counter(id="n", value=2))  # someone else creates it first
        with pytest.raises(PreconditionFailedError, match="'n' was created by another") as caught:
            await uow.commit()
        assert caught.value.current_etag == await etag_now(make_uow, "n")
    async with make_uow() as uow:
        with pytest.raises(PreconditionFailedError, match="allows creating only"):
            await uow.counters.get("n", expected=IfNoneMatch(wildcard=True))
        with pytest.raises(PreconditionFailedError, match="does not exist yet"):
            uow.pin(uow.counters.add(Counter(id="m")), "*")
    stored = await stored_doc(es_client, registry.mapping_for(Counter).index, "n")
    assert stored is not None and stored.source["value"] == 2


@pytest.mark.usefixtures("counter")
async def test_a_pinned_entity_cannot_be_put_without_its_guard(make_uow: MakeUow) -> None:
    tag = await etag_now(make_uow)
    async with make_uow() as uow:
        counter = await uow.counters.get("c", expected=tag)
        with pytest.raises(InvalidEntityError, match="put\\(\\) would write it without"):
            uow.counters.put(counter)
        uow.counters.remove(counter)
        with pytest.raises(InvalidEntityError, match="pinned"):
            uow.counters.put(Counter(id="c", value=4))
    async with make_uow() as uow:
        put = uow.counters.put(Counter(id="c", value=4))
        with pytest.raises(InvalidEntityError, match="without a loaded version"):
            uow.pin(put, tag)


@pytest.mark.usefixtures("counter")
async def test_a_replacement_of_a_pinned_removed_entity_keeps_the_pin(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    tag = await etag_now(make_uow)
    async with make_uow() as uow:
        uow.counters.remove(await uow.counters.get("c", expected=tag))
        uow.counters.add(Counter(id="c", value=50))
        await bump(make_uow)
        with pytest.raises(PreconditionFailedError):
            await uow.commit()
    assert await stored_value(es_client, registry) == 1


@pytest.mark.usefixtures("counter")
async def test_a_pin_is_spent_by_the_write_and_later_commits_are_ordinary(
    make_uow: MakeUow, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    tag = await etag_now(make_uow)
    async with make_uow() as uow:
        counter = await uow.counters.get("c", expected=tag)
        with record_requests(es_client) as log:
            assert (await uow.commit()).written == 0  # unchanged: nothing to guard, nothing sent
        assert not log.requests and uow.identity_map.pins
        counter.value = 1
        await uow.commit()
        counter.value = 2
        await uow.commit()  # guarded by our own write's version
        assert not uow.identity_map.pins
    assert await stored_value(es_client, registry) == 2


@pytest.mark.usefixtures("counter")
async def test_a_pinned_partial_entity_is_not_completed_from_a_newer_version(
    make_uow: MakeUow,
) -> None:
    tag = await etag_now(make_uow)
    async with make_uow() as uow:
        partial = await uow.counters.get("c", expected=tag, source_includes=["id"])
        await bump(make_uow)
        with pytest.raises(PreconditionFailedError, match="changed after it was pinned"):
            await uow.counters.get("c")  # a full read would adopt the newer version
        assert uow.identity_map.entry_of(partial) is not None


async def test_a_missing_document_is_not_found_whatever_was_expected(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        with pytest.raises(NotFoundError):
            await uow.counters.get("nope", expected="*")
        assert await uow.counters.find("nope", expected="*") is None
