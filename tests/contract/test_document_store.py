"""The document store's writes and reads, as Elasticsearch answers them, on either store."""

from __future__ import annotations

from typing import Any

import pytest

from esorm.errors import EsormError, IndexMissingError, QueryError
from esorm.mapping import WRITES_FIELD, Registry
from esorm.store import DocumentStore
from esorm.uow import PARTIAL_UPDATE_SCRIPT
from tests.contract._catalog import (
    CreateIndices,
    Item,
    Routed,
    Strict,
    catalog_registry,
    ids,
    put,
    write,
)

pytestmark = pytest.mark.contract


@pytest.fixture
async def catalog(prefix: str, create_indices: CreateIndices) -> Registry:
    registry = catalog_registry(prefix)
    await create_indices(registry)
    return registry


async def test_writes_answer_with_results_versions_and_sequence_numbers(
    store: DocumentStore, catalog: Registry
) -> None:
    items = catalog.mapping_for(Item)
    answers = await store.bulk(
        [
            write("create", items, "a", {"id": "a"}),
            write("create", items, "b", {"id": "b"}),
            write("index", items, "a", {"id": "a", "count": 1}),
            write("delete", items, "b"),
        ]
    )
    assert [(a["status"], a["result"]) for a in answers] == [
        (201, "created"),
        (201, "created"),
        (200, "updated"),
        (200, "deleted"),
    ]
    assert [a["_seq_no"] for a in answers] == [0, 1, 2, 3]  # per index, one after another
    assert {a["_primary_term"] for a in answers} == {1}
    assert [a["_version"] for a in answers] == [1, 1, 2, 2]
    hit = await store.get(items, "a")
    assert hit is not None
    assert (hit["_seq_no"], hit["_primary_term"], hit["_version"]) == (2, 1, 2)
    assert hit["_source"] == {"id": "a", "count": 1}
    assert await store.get(items, "b") is None


async def test_create_of_an_existing_id_conflicts(store: DocumentStore, catalog: Registry) -> None:
    items = catalog.mapping_for(Item)
    await store.bulk([write("create", items, "a", {"id": "a"})])
    (answer,) = await store.bulk([write("create", items, "a", {"id": "a", "count": 9})])
    assert answer["status"] == 409
    assert answer["error"]["type"] == "version_conflict_engine_exception"
    assert "[a]: version conflict, document already exists" in answer["error"]["reason"]
    stored = await store.get(items, "a")
    assert stored is not None and stored["_source"] == {"id": "a"}


async def test_guarded_writes_conflict_unless_the_version_holds(
    store: DocumentStore, catalog: Registry
) -> None:
    items = catalog.mapping_for(Item)
    (created,) = await store.bulk([write("create", items, "a", {"id": "a"})])
    seq_no = created["_seq_no"]
    term: dict[str, Any] = {"if_primary_term": 1}
    stale, fresh, on_missing, delete_missing = await store.bulk(
        [
            write("index", items, "a", {"id": "a", "count": 1}, if_seq_no=seq_no + 5, **term),
            write("index", items, "a", {"id": "a", "count": 2}, if_seq_no=seq_no, **term),
            write("index", items, "x", {"id": "x"}, if_seq_no=0, **term),
            write("delete", items, "y", if_seq_no=0, **term),
        ]
    )
    assert stale["status"] == 409
    assert stale["error"]["reason"] == (
        f"[a]: version conflict, required seqNo [{seq_no + 5}], primary term [1]. current "
        f"document has seqNo [{seq_no}] and primary term [1]"
    )
    assert fresh["status"] == 200 and fresh["_seq_no"] > seq_no
    for answer, doc_id in ((on_missing, "x"), (delete_missing, "y")):
        assert answer["status"] == 409
        assert answer["error"]["reason"] == (
            f"[{doc_id}]: version conflict, required seqNo [0], primary term [1] but no "
            f"document was found"
        )
    (deleted,) = await store.bulk(
        [write("delete", items, "a", if_seq_no=fresh["_seq_no"], if_primary_term=1)]
    )
    assert (deleted["status"], deleted["result"]) == (200, "deleted")


async def test_a_delete_of_nothing_answers_not_found_and_an_update_document_missing(
    store: DocumentStore, catalog: Registry
) -> None:
    items = catalog.mapping_for(Item)
    deleted, updated = await store.bulk(
        [
            write("delete", items, "nope"),
            write("update", items, "nope", {"doc": {"count": 1}}),
        ]
    )
    assert (deleted["status"], deleted["result"]) == (404, "not_found")
    assert "error" not in deleted
    assert updated["status"] == 404
    assert updated["error"]["type"] == "document_missing_exception"
    assert updated["error"]["reason"] == "[nope]: document missing"


async def test_external_versions_write_only_newer_copies(
    store: DocumentStore, catalog: Registry
) -> None:
    items = catalog.mapping_for(Item)
    ext: dict[str, Any] = {"version_type": "external"}
    gte: dict[str, Any] = {"version_type": "external_gte"}
    first, older, same_gte, same = await store.bulk(
        [
            write("index", items, "a", {"id": "a", "count": 5}, version=5, **ext),
            write("index", items, "a", {"id": "a", "count": 3}, version=3, **ext),
            write("index", items, "a", {"id": "a", "count": 6}, version=5, **gte),
            write("index", items, "a", {"id": "a", "count": 7}, version=5, **ext),
        ]
    )
    assert (first["status"], first["_version"]) == (201, 5)
    assert older["status"] == 409
    assert older["error"]["reason"] == (
        "[a]: version conflict, current version [5] is higher or equal to the one provided [3]"
    )
    assert (same_gte["status"], same_gte["_version"]) == (200, 5)
    assert same["status"] == 409
    stored = await store.get(items, "a")
    assert stored is not None and stored["_source"]["count"] == 6


async def test_routing_is_required_where_the_mapping_says_so(
    store: DocumentStore, catalog: Registry
) -> None:
    routed = catalog.mapping_for(Routed)
    unrouted, with_routing = await store.bulk(
        [
            write("create", routed, "r1", {"id": "r1", "region": "eu"}),
            write("create", routed, "r1", {"id": "r1", "region": "eu"}, routing="eu"),
        ]
    )
    assert unrouted["status"] == 400
    assert unrouted["error"]["type"] == "routing_missing_exception"
    concrete = await store.write_index(routed)  # the index behind the alias, on both stores
    assert concrete != routed.index
    assert unrouted["_index"] == concrete
    assert unrouted["error"]["reason"] == f"routing is required for [{concrete}]/[r1]"
    assert with_routing["status"] == 201
    with pytest.raises(QueryError, match="routing_missing_exception: routing is required"):
        await store.get(routed, "r1")
    hit = await store.get(routed, "r1", routing="eu")
    assert hit is not None and hit["_routing"] == "eu"
    with pytest.raises(EsormError, match="routing_missing_exception"):
        await store.mget(routed, [("r1", None)])


async def test_an_index_never_created_is_missing_until_a_write_creates_it(
    store: DocumentStore, prefix: str
) -> None:
    registry = catalog_registry(prefix)  # no index created
    items = registry.mapping_for(Item)
    for read in (
        store.get(items, "a"),
        store.mget(items, [("a", None)]),
        store.exists(items, "a"),
        store.search(items, {}),
        store.count(items),
        store.open_point_in_time(items, keep_alive="1m"),
    ):
        with pytest.raises(IndexMissingError, match=items.index):
            await read
    deleted, updated = await store.bulk(
        [write("delete", items, "a"), write("update", items, "a", {"doc": {"count": 1}})]
    )
    assert [deleted["status"], updated["status"]] == [404, 404]
    assert deleted["error"]["type"] == updated["error"]["type"] == "index_not_found_exception"
    (created,) = await store.bulk([write("create", items, "a", {"id": "a", "note": "hello"})])
    assert created["status"] == 201  # the first write creates the index, as a cluster does
    hit = await store.get(items, "a")
    assert hit is not None and hit["_source"] == {"id": "a", "note": "hello"}
    assert await store.exists(items, "a")


async def test_documents_that_do_not_fit_the_mapping_are_refused(
    store: DocumentStore, catalog: Registry
) -> None:
    items, strict = catalog.mapping_for(Item), catalog.mapping_for(Strict)
    bad_number, unknown_field, object_for_value = await store.bulk(
        [
            write("create", items, "a", {"id": "a", "count": "many"}),
            write("create", strict, "s", {"id": "s", "extra": 1}),
            write("create", items, "b", {"id": "b", "address": "Oslo"}),
        ]
    )
    assert bad_number["status"] == 400
    assert bad_number["error"]["type"] == "document_parsing_exception"
    assert "failed to parse field [count] of type [long]" in bad_number["error"]["reason"]
    assert unknown_field["status"] == 400
    assert unknown_field["error"]["type"] == "strict_dynamic_mapping_exception"
    assert (
        "dynamic introduction of [extra] within [_doc] is not allowed"
        in (unknown_field["error"]["reason"])
    )
    assert object_for_value["status"] == 400
    assert object_for_value["error"]["type"] == "document_parsing_exception"
    (coerced,) = await store.bulk(
        [write("create", items, "c", {"id": "c", "count": "12"})], refresh=True
    )
    assert coerced["status"] == 201  # numbers in strings are coerced, as the server does
    assert await ids(store, items, {"query": {"term": {"count": 12}}}) == ["c"]


async def test_read_back_answers_versions_and_write_ids_only(
    store: DocumentStore, catalog: Registry
) -> None:
    items = catalog.mapping_for(Item)
    stored = {"id": "a", "sku": "x", WRITES_FIELD: ["w2", "w1"]}
    await store.bulk([write("create", items, "a", stored)])
    hit, missing = await store.read_back(
        [write("index", items, "a", {}), write("index", items, "b", {})]
    )
    assert missing is None
    assert hit is not None and hit["_source"] == {WRITES_FIELD: ["w2", "w1"]}
    assert (hit["_seq_no"], hit["_primary_term"], hit["_version"]) == (0, 1, 1)


async def test_source_filters_keep_dotted_paths_and_array_elements(
    store: DocumentStore, catalog: Registry
) -> None:
    items = catalog.mapping_for(Item)
    doc = {
        "id": "a",
        "sku": "s",
        "count": 3,
        "address": {"city": "Oslo", "zip": "0150"},
        "lines": [{"sku": "p", "qty": 1}, {"sku": "q", "qty": 2}],
    }
    await put(store, items, doc)
    hit = await store.get(items, "a", source=(("address.city", "lines.sku"), ()))
    assert hit is not None
    assert hit["_source"] == {
        "address": {"city": "Oslo"},
        "lines": [{"sku": "p"}, {"sku": "q"}],
    }
    (found,) = await store.mget(items, [("a", None)], source=((), ("lines", "address.zip")))
    assert found is not None
    assert found["_source"] == {"id": "a", "sku": "s", "count": 3, "address": {"city": "Oslo"}}
    response = await store.search(items, {"_source": {"includes": ["*.qty", "sku"]}})
    assert response["hits"]["hits"][0]["_source"] == {"sku": "s", "lines": [{"qty": 1}, {"qty": 2}]}
    response = await store.search(items, {"_source": False})
    assert "_source" not in response["hits"]["hits"][0]


async def test_esorms_partial_update_script_replaces_top_level_fields(
    store: DocumentStore, catalog: Registry, on_memory: bool
) -> None:
    items = catalog.mapping_for(Item)
    await put(store, items, {"id": "a", "sku": "s", "address": {"city": "Oslo", "zip": "1"}})
    params = {"doc": {"address": {"city": "Bergen"}}, "remove": ["sku"]}
    script = {"source": PARTIAL_UPDATE_SCRIPT, "lang": "painless", "params": params}
    (answer,) = await store.bulk([write("update", items, "a", {"script": script})])
    assert (answer["status"], answer["result"], answer["_version"]) == (200, "updated", 2)
    hit = await store.get(items, "a")
    assert hit is not None and hit["_source"] == {"id": "a", "address": {"city": "Bergen"}}
    other = {"script": {"source": "ctx._source.count = 5", "lang": "painless"}}
    if on_memory:  # it runs no Painless: any other script is refused before anything is applied
        with pytest.raises(QueryError, match="runs no Painless"):
            await store.bulk([write("update", items, "a", other)])
    else:
        (answer,) = await store.bulk([write("update", items, "a", other)])
        assert answer["status"] == 200


async def test_doc_updates_merge_objects_and_changing_nothing_is_a_noop(
    store: DocumentStore, catalog: Registry
) -> None:
    items = catalog.mapping_for(Item)
    await put(store, items, {"id": "a", "count": 1, "address": {"city": "Oslo", "zip": "1"}})
    merged, noop = await store.bulk(
        [
            write("update", items, "a", {"doc": {"address": {"city": "Bergen"}}}),
            write("update", items, "a", {"doc": {"count": 1}}),
        ]
    )
    assert (merged["result"], merged["_version"]) == ("updated", 2)
    assert (noop["status"], noop["result"], noop["_version"]) == (200, "noop", 2)
    hit = await store.get(items, "a")
    assert hit is not None
    assert hit["_source"] == {"id": "a", "count": 1, "address": {"city": "Bergen", "zip": "1"}}


async def test_a_point_in_time_sees_the_documents_as_they_were_when_opened(
    store: DocumentStore, catalog: Registry
) -> None:
    items = catalog.mapping_for(Item)
    await put(store, items, *({"id": f"i{n}", "count": n % 2} for n in range(5)))
    pit = await store.open_point_in_time(items, keep_alive="1m")
    await put(store, items, {"id": "late", "count": 0})
    await store.bulk([write("delete", items, "i0")], refresh=True)
    body = {"pit": {"id": pit, "keep_alive": "1m"}, "size": 2, "sort": [{"count": "asc"}]}
    seen: list[str] = []
    keys: list[list[object]] = []
    while True:
        response = await store.search_point_in_time(items, body)
        hits = response["hits"]["hits"]
        if not hits:
            break
        seen += [hit["_id"] for hit in hits]
        keys += [hit["sort"] for hit in hits]
        body = {**body, "search_after": hits[-1]["sort"], "pit": {"id": response["pit_id"]}}
    assert sorted(seen) == ["i0", "i1", "i2", "i3", "i4"]  # not "late"; "i0" still there
    assert [key[0] for key in keys] == [0, 0, 0, 1, 1]
    assert all(len(key) == 2 for key in keys)  # the implicit _shard_doc tie-breaker
    await store.close_point_in_time(pit)
    with pytest.raises(QueryError, match="point in time is gone"):
        await store.search_point_in_time(items, {"pit": {"id": pit}})
    await store.close_point_in_time(pit)  # closing again is no error
