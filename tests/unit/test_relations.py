"""Lazy relation values, relation specs and their validation, plans and dirty checks; no server."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from pydantic import BaseModel

from esorm.domain import Many, One
from esorm.errors import MappingError, QueryError, RelationNotLoadedError
from esorm.mapping import Registry, by_query, to_many, to_one
from esorm.repository import Entry, IdentityMap, State, pending_changes
from esorm.repository._relation_loading import plan_relations
from esorm.repository._snapshots import UNTRACKED, differs_from, take_snapshot
from esorm.store import Write
from esorm.uow._markers import new_markers
from esorm.uow._writes import write_for

pytestmark = pytest.mark.unit


class Tag(BaseModel):
    id: str
    label: str


class Shop(BaseModel):
    """Routed by country."""

    id: str
    country: str


class Member(BaseModel):
    id: str
    name: str
    shop_id: str | None = None
    country: str = "no"
    notes: list[str] = []
    articles: Many[Article] = Many()
    friends: Many[Member] = Many()
    shop: One[Shop] = One()


class Article(BaseModel):
    id: str
    writer_id: str
    title: str
    writer: One[Member] = One()
    tags: Many[Tag] = Many()


Member.model_rebuild()


def registry() -> Registry:
    reg = Registry()
    reg.register(Tag)
    reg.register(Shop, routing=lambda shop: shop.country)
    reg.register(
        Member,
        relations={
            "friends": by_query(Member, lambda m: {"term": {"name": m.name}}),
            "shop": to_one(Shop, key="shop_id", routing=lambda m: m.country),
        },
    )
    reg.register(
        Article,
        relations={"writer": to_one(Member, key="writer_id")},
        load=["writer"],
        relation_depth=2,
    )
    reg.relate(Member, {"articles": to_many(Article, key="writer_id")})
    return reg


# -- the lazy values --------------------------------------------------------------------------


def test_unloaded_values_raise_naming_entity_relation_and_how_to_load() -> None:
    article = Article(id="1", writer_id="m", title="t")
    assert not article.writer.loaded and not article.tags.loaded
    with pytest.raises(RelationNotLoadedError) as raised:
        article.writer.get()
    message = str(raised.value)
    assert "Article.writer was not loaded" in message
    assert "load=['writer']" in message and "uow.repository(Article).load(entities, 'writer')" in (
        message
    )
    with pytest.raises(RelationNotLoadedError, match=r"Article\.tags"):
        list(article.tags)
    with pytest.raises(RelationNotLoadedError, match=r"Article\.tags"):
        _ = article.tags.value


def test_loaded_values_and_none_for_a_missing_target() -> None:
    member = Member(id="m", name="Ann")
    assert One(member).get() is member and One(member).value is member
    missing: One[Member] = One(None)
    assert missing.loaded and missing.get() is None
    many = Many([member])
    assert many.loaded and many.get() == [member] and list(many) == [member]
    assert Many[Member]().loaded is False
    assert One(member) == One(member) and One() == One() and One() != One(None)


def test_dumps_leave_unloaded_relations_out_then_show_the_related_data_and_validate_back() -> None:
    article = Article(id="1", writer_id="m", title="t")
    assert article.model_dump() == {"id": "1", "writer_id": "m", "title": "t"}
    assert article.model_dump_json() == '{"id":"1","writer_id":"m","title":"t"}'
    article.__dict__["writer"] = One(None)  # loaded: there is no such writer
    article.__dict__["tags"] = Many([])  # loaded: there are none
    assert (
        article.model_dump_json()
        == '{"id":"1","writer_id":"m","title":"t","writer":null,"tags":[]}'
    )
    article.__dict__["writer"] = One(Member(id="m", name="Ann"))
    article.__dict__["tags"] = Many([Tag(id="x", label="X")])
    dumped = article.model_dump(mode="json")
    assert dumped["writer"]["name"] == "Ann"
    assert "articles" not in dumped["writer"]  # its own relations: not loaded, left out
    assert dumped["tags"] == [{"id": "x", "label": "X"}]
    again = Article.model_validate_json(article.model_dump_json())
    assert again.tags.get() == [Tag(id="x", label="X")]
    writer = again.writer.get()
    assert writer is not None and writer.name == "Ann" and not writer.articles.loaded


def test_cycles_dump_finitely_and_copy_deeply() -> None:
    member = Member(id="m", name="Ann")
    article = Article(id="a", writer_id="m", title="t")
    article.__dict__["writer"] = One(member)
    member.__dict__["articles"] = Many([article])
    dumped = member.model_dump()
    assert dumped["articles"][0]["id"] == "a"
    assert "..." in repr(member)
    clone = copy.deepcopy(member)
    assert clone.articles.get()[0].writer.get() is clone


def test_a_list_keeps_its_other_items_when_one_repeats_an_entity_being_dumped() -> None:
    writer = Member(id="w", name="Ann")
    articles = [Article(id=f"a{i}", writer_id="w", title=f"t{i}") for i in range(3)]
    for article in articles:
        article.__dict__["writer"] = One(writer)
    writer.__dict__["articles"] = Many(articles)
    dumped = articles[2].model_dump()
    assert [item and item["id"] for item in dumped["writer"]["articles"]] == ["a0", "a1", None]
    assert dumped["writer"]["articles"][0]["writer"] is None  # the writer repeats there


def test_a_deep_copy_leaves_the_original_relation_untouched() -> None:
    writer = Member(id="w", name="Ann")
    article = Article(id="a", writer_id="w", title="t")
    article.__dict__["writer"] = One(writer)
    clone = copy.deepcopy(article)
    assert article.writer.get() is writer
    assert clone.writer.get() is not writer and clone.writer.get() == writer


def test_json_schema_shows_the_related_type_or_null() -> None:
    schema = Article.model_json_schema(mode="serialization")
    article = schema["$defs"]["Article"]  # recursive models are referenced from $defs
    writer = article["properties"]["writer"]
    assert writer["default"] is None
    assert {"$ref": "#/$defs/Member"} in writer["anyOf"] and {"type": "null"} in writer["anyOf"]
    tags = article["properties"]["tags"]["anyOf"]
    assert {"items": {"$ref": "#/$defs/Tag"}, "type": "array"} in tags


# -- what the registry makes of them ----------------------------------------------------------


def test_relation_fields_are_neither_mapped_nor_stored() -> None:
    reg = registry()
    mapping = reg.mapping_for(Member)
    assert mapping.relation_fields == {"articles", "friends", "shop"}
    assert set(mapping.properties) == {"id", "name", "shop_id", "country", "notes"}
    member = Member(id="m", name="Ann", shop=One(Shop(id="s", country="no")))
    assert mapping.to_source(member) == {
        "id": "m",
        "name": "Ann",
        "shop_id": None,
        "country": "no",
        "notes": [],
    }
    assert "writer" not in reg.mapping_for(Article).properties
    assert reg.mapping_for(Tag).relation_fields is None  # plain entities keep the fast paths


def planned_writes(identity: IdentityMap) -> list[Write]:
    markers = new_markers()
    changes = pending_changes(identity)
    return [write_for(entry, kind, next(markers)) for entry, kind in changes]


def test_loading_a_relation_leaves_the_owner_clean() -> None:
    reg = registry()
    mapping = reg.mapping_for(Member)
    member = Member(id="m", name="Ann", notes=["x"])
    snapshot = take_snapshot(member, mapping.relation_fields)
    assert {name for name, value in snapshot.items() if value is not UNTRACKED} == {
        "id",
        "name",
        "shop_id",
        "country",
        "notes",
    }
    member.__dict__["articles"] = Many([Article(id="a", writer_id="m", title="t")])
    member.__dict__["shop"] = One(None)
    assert not differs_from(member, snapshot)
    identity = IdentityMap()
    identity.put(
        Entry(member, mapping, mapping.index, "m", None, State.CLEAN, 1, 1, snapshot=snapshot)
    )
    assert pending_changes(identity) == []
    member.notes.append("y")
    (write,) = planned_writes(identity)
    assert b'"articles"' not in write.ndjson() and b'"shop"' not in write.ndjson()


def test_partial_updates_never_send_relations() -> None:
    reg = registry()
    mapping = reg.mapping_for(Member)
    member = Member(id="m", name="Ann")
    identity = IdentityMap()
    entry = Entry(member, mapping, mapping.index, "m", None, State.CLEAN, 1, 1)
    entry.snapshot = take_snapshot(member, mapping.relation_fields)
    entry.source_filter = (("name",), ())
    identity.put(entry)
    member.__dict__["friends"] = Many([])
    member.name = "Bea"
    (write,) = planned_writes(identity)
    assert write.action == "update"
    assert json.loads(write.source or b"")["script"]["params"]["doc"] == {
        "name": "Bea",
        "esorm_writes": [write.marker],
    }


def test_self_and_mutual_relations_through_relate() -> None:
    reg = registry()
    assert set(reg.mapping_for(Member).relations) == {"friends", "shop", "articles"}
    article = reg.mapping_for(Article)
    assert article.default_load == ("writer",) and article.relation_depth == 2
    assert reg.with_prefix("t_").mapping_for(Member).relations.keys() == {
        "friends",
        "shop",
        "articles",
    }


# -- registration errors ----------------------------------------------------------------------


class Orphan(BaseModel):
    id: str
    owner_id: str
    owner: One[Member] = One()
    things: Many[Tag] = Many()
    plain: str = ""


@pytest.mark.parametrize(
    ("relations", "message"),
    [
        ({"owner": to_one(Member, key="owner_id")}, "'Member' is not registered"),
        ({"owner": to_one(Tag, key="owner_id")}, "holds .*Member.*loads Tag"),
        ({"owner": to_one(Shop, key="owner_id")}, "holds"),
        ({"things": to_one(Tag, key="owner_id")}, "needs a One; declare `things: One\\[Tag\\]"),
        ({"owner": to_many(Tag, key="x")}, "needs a Many"),
        ({"things": to_many(Tag, key="nope")}, "key 'nope' is not a stored field of the target"),
        ({"owner": to_one(Orphan, key="missing_id")}, "holds"),
        ({"missing": to_one(Tag, key="owner_id")}, "no such field; declare `missing: One"),
        ({"plain": by_query(Tag, lambda o: None)}, "needs a Many"),
        ({"things": by_query(Tag, lambda o: None, size=0)}, "size must be at least 1"),
        ({"things": "Tag"}, "is not a relation"),
    ],
)
def test_relations_that_cannot_load_are_refused(relations: dict[str, Any], message: str) -> None:
    reg = Registry()
    reg.register(Tag)
    reg.register(Shop, routing=lambda shop: shop.country)
    with pytest.raises(MappingError, match=message):
        reg.register(Orphan, relations=relations)
    assert Orphan not in reg


def test_to_one_key_must_be_a_stored_field_of_the_owner() -> None:
    reg = Registry()
    reg.register(Tag)
    reg.register(Member)
    with pytest.raises(MappingError, match="key 'things' is not a stored field of the owner"):
        reg.register(Orphan, relations={"owner": to_one(Member, key="things")})


def test_a_routed_target_needs_routing_on_the_relation() -> None:
    reg = Registry()
    reg.register(Shop, routing=lambda shop: shop.country)
    with pytest.raises(MappingError, match=r"Shop documents are routed.*routing=lambda"):
        reg.register(Member, relations={"shop": to_one(Shop, key="shop_id")})


def test_default_loads_depth_and_repeats_are_checked() -> None:
    reg = Registry()
    reg.register(Tag)
    with pytest.raises(MappingError, match="default load 'nope' names no relation"):
        reg.register(Orphan, load=["nope"])
    with pytest.raises(MappingError, match="relation_depth must be >= 0"):
        reg.register(Orphan, relation_depth=-1)
    with pytest.raises(MappingError, match="list of paths"):
        reg.register(Orphan, relations={"things": to_many(Tag, key="id")}, load="things")
    reg.register(Orphan, relations={"things": to_many(Tag, key="id")})
    with pytest.raises(MappingError, match="already has another relation"):
        reg.relate(Orphan, {"things": to_many(Tag, key="label")})
    with pytest.raises(MappingError, match="already registered with different settings"):
        reg.register(Orphan, relations={"things": to_many(Tag, key="label")})


# -- read plans -------------------------------------------------------------------------------


def test_plans_check_paths_before_anything_is_sent() -> None:
    reg = registry()
    member = reg.mapping_for(Member)
    assert plan_relations(reg, member, None, None) is None  # no defaults: the fast path
    assert plan_relations(reg, member, [], None) is None
    plan = plan_relations(reg, member, ["articles.writer", "articles", "shop"], None)
    assert plan is not None and set(plan.root.children) == {"articles", "shop"}
    with pytest.raises(QueryError, match=r"Article has no relation 'autor'.*writer"):
        plan_relations(reg, member, ["articles.autor"], None)
    with pytest.raises(QueryError, match="depth must be a number >= 0"):
        plan_relations(reg, member, ["shop"], -1)
    article = reg.mapping_for(Article)
    default = plan_relations(reg, article, None, None)
    assert default is not None and default.depth == 2 and not default.root.explicit
    assert plan_relations(reg, article, None, 0) is None
