"""Field expressions, checked against the entity's mapping -> the exact query DSL JSON."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import ipaddress
import json
import uuid
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, Field, IPvAnyAddress, computed_field

from esorm.domain import (
    Binary,
    Byte,
    DenseVector,
    GeoPoint,
    Integer,
    Keyword,
    Mapped,
    Nested,
    ScaledFloat,
    Short,
    Text,
    UnsignedLong,
)
from esorm.errors import QueryError
from esorm.mapping import Registry
from esorm.query import (
    Bool,
    FieldRef,
    Query,
    bool_,
    dsl,
    field,
    fields,
    ids,
    match_all,
    match_none,
    multi_match,
    raw,
    to_query_dict,
)

pytestmark = pytest.mark.unit


class Status(enum.Enum):
    ACTIVE = "active"
    BLOCKED = "blocked"


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Address(BaseModel):
    city: str
    zip_code: str = Field(alias="zip")


class Reply(BaseModel):
    author: str
    text: Annotated[str, Text()] = ""


class Comment(BaseModel):
    author: str
    stars: Annotated[int, Short()] = 0
    body: Annotated[str, Text()] = ""
    replies: Annotated[list[Reply], Nested()] = []


class User(BaseModel):
    id: str
    first_name: str = Field(alias="firstName")
    bio: Annotated[str, Text()] = ""
    title: Annotated[str, Text(keyword=True)] = ""
    name: Annotated[str, Text(subfields={"raw": Keyword()})] = ""
    age: Annotated[int, Integer()] = 0
    level: Annotated[int, Byte()] = 0
    big: Annotated[int, UnsignedLong()] = 0
    score: float = 0.0
    active: bool = True
    created_at: dt.datetime | None = None
    birthday: dt.date | None = None
    status: Status = Status.ACTIVE
    priority: Priority = Priority.LOW
    address: Address | None = None
    comments: Annotated[list[Comment], Nested()] = []
    location: GeoPoint | None = None
    embedding: Annotated[list[float], DenseVector(dims=3)] = []
    ref: uuid.UUID | None = None
    ip: IPvAnyAddress | None = None
    tags: list[str] = []
    attrs: dict[str, str] = {}
    labels: Annotated[dict[str, str], Mapped({"type": "flattened"})] = {}
    secret: str = Field(default="", exclude=True)
    avatar: Annotated[bytes, Binary()] = b""
    price: decimal.Decimal = decimal.Decimal(0)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def initial(self) -> str:
        return self.first_name[:1]


REGISTRY = Registry()
U = fields(REGISTRY.register(User))
UTC = dt.UTC


def nested(path: str, query: dict[str, Any]) -> dict[str, Any]:
    return {"nested": {"path": path, "query": query}}


def error(build: Any) -> str:
    with pytest.raises(QueryError) as info:
        build()
    return str(info.value)


# -- field lookup ---------------------------------------------------------------------------


def test_python_names_map_to_stored_alias_names() -> None:
    assert (U.first_name == "Ann").to_dict() == {"term": {"firstName": "Ann"}}
    assert str(U.first_name) == "firstName"
    assert str(U.address.zip_code) == "address.zip"
    assert (U.address.zip_code == "123").to_dict() == {"term": {"address.zip": "123"}}


def test_stored_names_are_accepted_too() -> None:
    assert str(U.firstName) == "firstName"
    assert str(U.address.zip) == "address.zip"


def test_typo_suggests_the_closest_field() -> None:
    assert error(lambda: U.frist_name) == (
        "User has no field 'frist_name'; did you mean 'first_name'?"
    )
    assert error(lambda: U.address.ctiy) == (
        "User.address has no field 'ctiy'; did you mean 'city'?"
    )
    assert error(lambda: U.title.keywrod) == (
        "User.title has no field 'keywrod'; did you mean 'keyword'?"
    )


def test_unknown_field_without_close_match_lists_fields() -> None:
    assert error(lambda: U.address.xyz) == (
        "User.address has no field 'xyz'; its fields are: city, zip_code"
    )
    assert error(lambda: U.age.foo) == (
        "User.age has no field 'foo'; it is an integer field without sub-fields"
    )


def test_dotted_field_by_string_is_checked_the_same_way() -> None:
    assert str(field(REGISTRY.mapping_for(User), "address.zip_code")) == "address.zip"
    assert str(U["address.city"]) == "address.city"
    assert str(U.address["city"]) == "address.city"
    assert error(lambda: field(User, "address.ctiy")) == (
        "User.address has no field 'ctiy'; did you mean 'city'?"
    )
    assert "non-empty string" in error(lambda: U[""])


def test_fields_of_a_bare_pydantic_class() -> None:
    bare = fields(User)
    assert (bare.first_name == "Ann").to_dict() == {"term": {"firstName": "Ann"}}
    assert (bare.title == "x").to_dict() == {"term": {"title.keyword": "x"}}
    assert fields(bare) is bare


def test_fields_refuses_other_values() -> None:
    assert "pydantic model class" in error(lambda: fields(42))  # type: ignore[arg-type]


def test_computed_fields_are_searchable() -> None:
    assert (U.initial == "A").to_dict() == {"term": {"initial": "A"}}


def test_excluded_fields_cannot_be_searched() -> None:
    assert error(lambda: U.secret) == (
        "User.secret is not stored (excluded from the document), so it cannot be searched"
    )


def test_sub_fields() -> None:
    assert (U.title.keyword == "x").to_dict() == {"term": {"title.keyword": "x"}}
    assert (U.name.raw == "x").to_dict() == {"term": {"name.raw": "x"}}
    assert U.title.keyword.es_type == "keyword"


def test_dynamic_and_flattened_objects_accept_any_key() -> None:
    assert (U.attrs.color == "red").to_dict() == {"term": {"attrs.color": "red"}}
    assert (U.attrs.size == "3").to_dict() == {"term": {"attrs.size": "3"}}
    assert "expected a string" in error(lambda: U.attrs.size == 3)  # dict[str, str] values
    assert (U.labels.team == "a").to_dict() == {"term": {"labels.team": "a"}}
    assert "expected a string" in error(lambda: U.labels.team == 3)


def test_field_ref_repr_str_and_dir() -> None:
    assert repr(U.address.zip_code) == "<field User.address.zip_code -> 'address.zip' (keyword)>"
    assert "city" in dir(U.address)
    assert "first_name" in dir(U)
    assert repr(U) == "fields(User)"
    assert isinstance(U.age, FieldRef)
    with pytest.raises(TypeError, match="not a collection"):
        list(U.tags)


def test_private_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError):
        _ = U._nothing
    with pytest.raises(AttributeError):
        _ = U.age.__nothing__


# -- comparisons ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (U.age == 3, {"term": {"age": 3}}),
        (U.score == 1.5, {"term": {"score": 1.5}}),
        (U.active == False, {"term": {"active": False}}),  # noqa: E712
        (U.tags == "a", {"term": {"tags": "a"}}),
        (U.status == Status.BLOCKED, {"term": {"status": "blocked"}}),
        (U.status == "active", {"term": {"status": "active"}}),
        (U.priority == Priority.HIGH, {"term": {"priority": 2}}),
        (U.ref == uuid.UUID(int=1), {"term": {"ref": "00000000-0000-0000-0000-000000000001"}}),
        (U.ip == ipaddress.ip_address("10.0.0.1"), {"term": {"ip": "10.0.0.1"}}),
        (U.ip == "10.0.0.0/8", {"term": {"ip": "10.0.0.0/8"}}),
        (U.price == decimal.Decimal("1.50"), {"term": {"price": "1.50"}}),
        (
            U.created_at == dt.datetime(2024, 5, 1, 12, tzinfo=UTC),
            {"term": {"created_at": "2024-05-01T12:00:00.000000Z"}},
        ),
        (U.birthday == dt.date(2000, 1, 2), {"term": {"birthday": "2000-01-02"}}),
        (U.birthday == "2000-01-02", {"term": {"birthday": "2000-01-02"}}),
        (U.created_at == 1714564800000, {"term": {"created_at": 1714564800000}}),
        (U.age == 3.0, {"term": {"age": 3.0}}),
        (U.big == 2**64 - 1, {"term": {"big": 2**64 - 1}}),
    ],
)
def test_equality_is_a_term_query(query: Query, expected: dict[str, Any]) -> None:
    assert query.to_dict() == expected


def test_term_with_options() -> None:
    query = U.first_name.term("ann", case_insensitive=True, boost=2.0)
    assert query.to_dict() == {
        "term": {"firstName": {"value": "ann", "case_insensitive": True, "boost": 2.0}}
    }


def test_text_equality_uses_the_keyword_subfield() -> None:
    assert (U.title == "Hi").to_dict() == {"term": {"title.keyword": "Hi"}}
    assert (U.name == "Hi").to_dict() == {"term": {"name.raw": "Hi"}}


def test_text_equality_without_keyword_subfield_is_refused() -> None:
    assert error(lambda: U.bio == "x") == (
        "User.bio is a text field (analyzed) without a keyword subfield, so == cannot compare "
        "whole values; use .match() or .match_phrase() for full-text search, or declare it "
        "Text(keyword=True)"
    )
    assert "in_() cannot compare" in error(lambda: U.bio.in_(["x"]))
    assert "a range cannot compare" in error(lambda: U.bio > "x")
    assert "prefix() cannot compare" in error(lambda: U.bio.prefix("x"))


def test_not_equal_is_must_not_term() -> None:
    assert (U.age != 3).to_dict() == {"bool": {"must_not": [{"term": {"age": 3}}]}}


def test_none_means_missing_field() -> None:
    assert (U.created_at == None).to_dict() == {  # noqa: E711
        "bool": {"must_not": [{"exists": {"field": "created_at"}}]}
    }
    assert (U.created_at != None).to_dict() == {"exists": {"field": "created_at"}}  # noqa: E711


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (U.age < 3, {"range": {"age": {"lt": 3}}}),
        (U.age <= 3, {"range": {"age": {"lte": 3}}}),
        (U.age > 3, {"range": {"age": {"gt": 3}}}),
        (U.age >= 3.5, {"range": {"age": {"gte": 3.5}}}),
        (U.age.between(18, 65), {"range": {"age": {"gte": 18, "lte": 65}}}),
        (U.age.between(18, None), {"range": {"age": {"gte": 18}}}),
        (U.title > "m", {"range": {"title.keyword": {"gt": "m"}}}),
        (
            U.created_at > dt.datetime(2024, 1, 1, tzinfo=UTC),
            {"range": {"created_at": {"gt": "2024-01-01T00:00:00.000000Z"}}},
        ),
        (U.created_at >= "now-1d/d", {"range": {"created_at": {"gte": "now-1d/d"}}}),
        (
            U.created_at.range(gte="2024-01-01", lt="2024-02-01", time_zone="+01:00"),
            {
                "range": {
                    "created_at": {"gte": "2024-01-01", "lt": "2024-02-01", "time_zone": "+01:00"}
                }
            },
        ),
        (
            U.ip.between("10.0.0.0", "10.0.0.255"),
            {"range": {"ip": {"gte": "10.0.0.0", "lte": "10.0.0.255"}}},
        ),
    ],
)
def test_ordering_comparisons_are_range_queries(query: Query, expected: dict[str, Any]) -> None:
    assert query.to_dict() == expected


def test_range_needs_a_bound_and_an_ordered_type() -> None:
    assert error(lambda: U.age.range()) == "User.age: a range needs at least one bound"
    assert error(lambda: U.active > False) == ("User.active is a boolean field; compare it with ==")


def test_two_ranges_combine_in_a_bool_filter() -> None:
    assert ((U.age >= 18) & (U.age < 65)).to_dict() == {
        "bool": {"filter": [{"range": {"age": {"gte": 18}}}, {"range": {"age": {"lt": 65}}}]}
    }


def test_in_and_one_of_are_terms() -> None:
    assert U.status.in_([Status.ACTIVE, "blocked"]).to_dict() == {
        "terms": {"status": ["active", "blocked"]}
    }
    assert U.age.one_of((1, 2)).to_dict() == {"terms": {"age": [1, 2]}}
    assert U.title.in_(["a"]).to_dict() == {"terms": {"title.keyword": ["a"]}}
    assert "takes a list of values" in error(lambda: U.tags.in_("abc"))
    assert "expected a number" in error(lambda: U.age.in_([1, "2"]))


# -- value checking -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: U.age == "3", "User.age is an integer field; expected a number, got str '3'"),
        (lambda: U.age == True, "User.age is an integer field; expected a number, got bool True"),  # noqa: E712
        (lambda: U.score < "x", "User.score is a double field; expected a number, got str 'x'"),
        (
            lambda: U.active == 1,
            "User.active is a boolean field; expected True or False, got int 1",
        ),
        (
            lambda: U.created_at > "yesterday",
            "User.created_at is a date field; expected a datetime, a date or an ISO 8601 "
            "string, got str 'yesterday'",
        ),
        (
            lambda: U.created_at > 1.5,
            "User.created_at is a date field; expected a datetime, a date or an ISO 8601 "
            "string, got float 1.5",
        ),
        (
            lambda: U.first_name == 5,
            "User.first_name is a keyword field; expected a string, got int 5; pass '5' if meant",
        ),
        (
            lambda: U.level == 300,
            "User.level: 300 is outside the range of a byte field (-128 to 127)",
        ),
        (
            lambda: U.big == -1,
            "User.big: -1 is outside the range of an unsigned_long field (0 to "
            "18446744073709551615)",
        ),
        (
            lambda: U.age == 3.5,
            "User.age is an integer field; expected a whole number, got float 3.5; it can "
            "never match",
        ),
        (
            lambda: U.score == float("nan"),
            "User.score is a double field; expected a finite number, got float nan",
        ),
        (
            lambda: U.ip == "not-an-ip",
            "User.ip is an ip field; expected an IP address or CIDR range, got str 'not-an-ip'",
        ),
        (
            lambda: U.tags == ["a", "b"],
            "User.tags is a keyword field; expected a string, got list ['a', 'b']",
        ),
        (
            lambda: U.address == "x",
            "User.address is an object field, so == does not apply; compare one of its fields",
        ),
        (
            lambda: U.location == "x",
            "User.location is a geo_point field, so == does not apply; use "
            ".geo_distance(lat, lon, distance)",
        ),
        (
            lambda: U.embedding == [1, 2, 3],
            "User.embedding is a dense_vector field, so == does not apply; use .knn(vector, ...)",
        ),
        (
            lambda: U.avatar == "x",
            "User.avatar is a binary field, so == does not apply; binary fields are not searchable",
        ),
        (
            lambda: U.comments == "x",
            "User.comments is a nested field, so == does not apply; compare one of its fields",
        ),
        (
            lambda: U.attrs.x == object(),
            "cannot send object",
        ),
    ],
)
def test_wrong_values_fail_before_any_request(build: Any, message: str) -> None:
    assert message in error(build)


def test_range_bounds_may_be_fractional_on_integer_fields() -> None:
    assert (U.age > 17.5).to_dict() == {"range": {"age": {"gt": 17.5}}}


# -- full text, patterns, geo, vectors --------------------------------------------------------


def test_match_and_match_phrase() -> None:
    assert U.bio.match("quick fox").to_dict() == {"match": {"bio": "quick fox"}}
    assert U.bio.match("quick fox", operator="and", fuzziness="AUTO").to_dict() == {
        "match": {"bio": {"query": "quick fox", "operator": "and", "fuzziness": "AUTO"}}
    }
    assert U.bio.match("x", minimum_should_match="75%", analyzer="english", boost=2).to_dict() == {
        "match": {
            "bio": {"query": "x", "minimum_should_match": "75%", "analyzer": "english", "boost": 2}
        }
    }
    assert U.bio.match_phrase("quick fox").to_dict() == {"match_phrase": {"bio": "quick fox"}}
    assert U.bio.match_phrase("quick fox", slop=2).to_dict() == {
        "match_phrase": {"bio": {"query": "quick fox", "slop": 2}}
    }
    assert U.age.match(3).to_dict() == {"match": {"age": 3}}


def test_match_checks_its_arguments() -> None:
    assert "must be 'and' or 'or'" in error(lambda: U.bio.match("x", operator="xor"))  # type: ignore[arg-type]
    assert "fuzziness must be" in error(lambda: U.bio.match("x", fuzziness=5))
    assert "the text to match must be a string" in error(lambda: U.bio.match(5))
    assert "needs a text or keyword field" in error(lambda: U.age.match_phrase("x"))
    assert "needs a text or keyword field" in error(lambda: U.address.match("x"))


def test_prefix_and_wildcard() -> None:
    assert U.first_name.prefix("An").to_dict() == {"prefix": {"firstName": "An"}}
    assert U.title.wildcard("A*n", case_insensitive=True).to_dict() == {
        "wildcard": {"title.keyword": {"value": "A*n", "case_insensitive": True}}
    }
    assert error(lambda: U.age.prefix("1")) == (
        "User.age is an integer field; prefix() needs a keyword field"
    )


def test_exists() -> None:
    assert U.address.city.exists().to_dict() == {"exists": {"field": "address.city"}}
    assert U.address.exists().to_dict() == {"exists": {"field": "address"}}


def test_geo_distance() -> None:
    assert U.location.geo_distance(52.5, 13.4, "10km").to_dict() == {
        "geo_distance": {"distance": "10km", "location": {"lat": 52.5, "lon": 13.4}}
    }
    assert U.location.geo_distance(0, 0, 500).to_dict() == {
        "geo_distance": {"distance": 500, "location": {"lat": 0, "lon": 0}}
    }
    assert "lat must be a number from -90 to 90" in error(
        lambda: U.location.geo_distance(91, 0, "1km")
    )
    assert "is not a distance" in error(lambda: U.location.geo_distance(0, 0, "far"))
    assert error(lambda: U.age.geo_distance(0, 0, "1km")) == (
        "User.age is an integer field; geo_distance() needs a geo_point field"
    )


def test_knn_query_form() -> None:
    assert U.embedding.knn([0.1, 0.2, 0.3], k=5, num_candidates=50).to_dict() == {
        "knn": {"field": "embedding", "query_vector": [0.1, 0.2, 0.3], "k": 5, "num_candidates": 50}
    }
    query = U.embedding.knn([1, 2, 3], num_candidates=10, filter=U.age > 3, similarity=0.5)
    assert query.to_dict() == {
        "knn": {
            "field": "embedding",
            "query_vector": [1, 2, 3],
            "num_candidates": 10,
            "similarity": 0.5,
            "filter": {"range": {"age": {"gt": 3}}},
        }
    }
    listed = U.embedding.knn([1, 2, 3], filter=[U.age > 3, {"term": {"x": 1}}])
    assert listed.to_dict()["knn"]["filter"] == [
        {"range": {"age": {"gt": 3}}},
        {"term": {"x": 1}},
    ]


def test_knn_checks_vector_and_counts() -> None:
    assert error(lambda: U.embedding.knn([1, 2])) == (
        "User.embedding holds vectors of 3 dimensions; the query vector has 2"
    )
    assert "only finite numbers" in error(lambda: U.embedding.knn([1, "a", 3]))  # type: ignore[list-item]
    assert "num_candidates (5) must be >= k (10)" in error(
        lambda: U.embedding.knn([1, 2, 3], k=10, num_candidates=5)
    )
    assert "at most 10000" in error(lambda: U.embedding.knn([1, 2, 3], num_candidates=10_001))
    assert "k must be a positive int" in error(lambda: U.embedding.knn([1, 2, 3], k=0))
    assert "needs a dense_vector field" in error(lambda: U.age.knn([1, 2, 3]))


def test_knn_on_unindexed_vector_is_refused() -> None:
    class Doc(BaseModel):
        vec: Annotated[list[float], DenseVector(dims=2, index=False)]

    assert "index=False" in error(lambda: fields(Doc).vec.knn([1, 2]))


# -- nested -----------------------------------------------------------------------------------


def test_nested_fields_are_wrapped_automatically() -> None:
    assert (U.comments.author == "ann").to_dict() == nested(
        "comments", {"term": {"comments.author": "ann"}}
    )
    assert U.comments.body.match("great").to_dict() == nested(
        "comments", {"match": {"comments.body": "great"}}
    )


def test_nested_twice_wraps_twice() -> None:
    assert (U.comments.replies.author == "bob").to_dict() == nested(
        "comments", nested("comments.replies", {"term": {"comments.replies.author": "bob"}})
    )


def test_each_condition_wraps_on_its_own() -> None:
    query = (U.comments.author == "ann") & (U.comments.stars > 3)
    assert query.to_dict() == {
        "bool": {
            "filter": [
                nested("comments", {"term": {"comments.author": "ann"}}),
                nested("comments", {"range": {"comments.stars": {"gt": 3}}}),
            ]
        }
    }


def test_nested_groups_conditions_on_one_element() -> None:
    query = U.comments.nested((U.comments.author == "ann") & (U.comments.stars > 3))
    assert query.to_dict() == nested(
        "comments",
        {
            "bool": {
                "filter": [
                    {"term": {"comments.author": "ann"}},
                    {"range": {"comments.stars": {"gt": 3}}},
                ]
            }
        },
    )


def test_nested_scope_with_deeper_nested_and_options() -> None:
    query = U.comments.nested(
        (U.comments.stars > 3) & (U.comments.replies.author == "bob"), score_mode="max"
    )
    assert query.to_dict() == {
        "nested": {
            "path": "comments",
            "query": {
                "bool": {
                    "filter": [
                        {"range": {"comments.stars": {"gt": 3}}},
                        nested("comments.replies", {"term": {"comments.replies.author": "bob"}}),
                    ]
                }
            },
            "score_mode": "max",
        }
    }
    inner = U.comments.replies.nested(U.comments.replies.author == "bob")
    assert inner.to_dict() == nested(
        "comments", nested("comments.replies", {"term": {"comments.replies.author": "bob"}})
    )


def test_nested_refuses_fields_outside_it() -> None:
    assert error(lambda: U.comments.nested(U.age > 3)) == (
        "nested('comments', ...): field 'age' is not inside 'comments'; only fields of the "
        "nested object can be matched per element"
    )
    assert error(lambda: U.address.nested(U.address.city == "x")) == (
        "User.address is an object field; nested() needs a nested field"
    )


def test_negated_nested_condition_means_no_element_matches() -> None:
    assert (U.comments.author != "ann").to_dict() == {
        "bool": {"must_not": [nested("comments", {"term": {"comments.author": "ann"}})]}
    }
    inside = U.comments.nested(U.comments.author != "ann")
    assert inside.to_dict() == nested(
        "comments", {"bool": {"must_not": [{"term": {"comments.author": "ann"}}]}}
    )


# -- boolean composition --------------------------------------------------------------------


def test_and_puts_exact_clauses_in_filter_and_full_text_in_must() -> None:
    query = (U.age > 3) & U.bio.match("fox") & (U.status == Status.ACTIVE)
    assert query.to_dict() == {
        "bool": {
            "must": [{"match": {"bio": "fox"}}],
            "filter": [{"range": {"age": {"gt": 3}}}, {"term": {"status": "active"}}],
        }
    }


def test_and_flattens_and_keeps_negations() -> None:
    query = (U.age > 3) & ~(U.active == True) & (U.age < 9) & (U.tags != "x")  # noqa: E712
    assert query.to_dict() == {
        "bool": {
            "filter": [{"range": {"age": {"gt": 3}}}, {"range": {"age": {"lt": 9}}}],
            "must_not": [{"term": {"active": True}}, {"term": {"tags": "x"}}],
        }
    }


def test_or_flattens_into_should() -> None:
    query = (U.age == 1) | (U.age == 2) | (U.age == 3)
    assert query.to_dict() == {
        "bool": {"should": [{"term": {"age": 1}}, {"term": {"age": 2}}, {"term": {"age": 3}}]}
    }


def test_or_inside_and_stays_a_separate_bool() -> None:
    query = ((U.age == 1) | (U.age == 2)) & (U.active == True)  # noqa: E712
    assert query.to_dict() == {
        "bool": {
            "filter": [
                {"bool": {"should": [{"term": {"age": 1}}, {"term": {"age": 2}}]}},
                {"term": {"active": True}},
            ]
        }
    }
    scoring = (U.bio.match("a") | U.bio.match("b")) & (U.age > 1)
    assert scoring.to_dict() == {
        "bool": {
            "must": [{"bool": {"should": [{"match": {"bio": "a"}}, {"match": {"bio": "b"}}]}}],
            "filter": [{"range": {"age": {"gt": 1}}}],
        }
    }


def test_and_inside_or_stays_a_separate_bool() -> None:
    query = ((U.age > 1) & (U.age < 5)) | (U.age == 9)
    assert query.to_dict() == {
        "bool": {
            "should": [
                {
                    "bool": {
                        "filter": [{"range": {"age": {"gt": 1}}}, {"range": {"age": {"lt": 5}}}]
                    }
                },
                {"term": {"age": 9}},
            ]
        }
    }


def test_not_and_double_not() -> None:
    query = U.age > 3
    assert (~query).to_dict() == {"bool": {"must_not": [{"range": {"age": {"gt": 3}}}]}}
    assert ~~query == query
    assert (~((U.age > 3) & (U.age < 5))).to_dict() == {
        "bool": {
            "must_not": [
                {"bool": {"filter": [{"range": {"age": {"gt": 3}}}, {"range": {"age": {"lt": 5}}}]}}
            ]
        }
    }


def test_raw_dicts_mix_with_expressions() -> None:
    assert ((U.age > 3) & {"term": {"x": 1}}).to_dict() == {
        "bool": {"filter": [{"range": {"age": {"gt": 3}}}, {"term": {"x": 1}}]}
    }
    assert ({"match": {"bio": "fox"}} & (U.age > 3)).to_dict() == {
        "bool": {"must": [{"match": {"bio": "fox"}}], "filter": [{"range": {"age": {"gt": 3}}}]}
    }
    assert ({"term": {"x": 1}} | (U.age > 3)).to_dict() == {
        "bool": {"should": [{"term": {"x": 1}}, {"range": {"age": {"gt": 3}}}]}
    }
    typed: dsl.TermQuery = {"term": {"status": "active"}}
    assert ((U.age > 3) | typed).to_dict()["bool"]["should"][1] == {"term": {"status": "active"}}


def test_raw_dict_bool_is_not_merged_into_and() -> None:
    query = (U.age > 3) & {"bool": {"should": [{"term": {"x": 1}}]}}
    assert query.to_dict() == {
        "bool": {
            "must": [{"bool": {"should": [{"term": {"x": 1}}]}}],
            "filter": [{"range": {"age": {"gt": 3}}}],
        }
    }


def test_bad_operands_are_refused() -> None:
    assert "raw DSL dict" in error(lambda: (U.age > 3) & 5)  # type: ignore[operator]
    assert "raw DSL dict" in error(lambda: (U.age > 3) | "x")  # type: ignore[operator]
    assert "exactly one top-level key" in error(lambda: (U.age > 3) & {"a": {}, "b": {}})
    assert "exactly one top-level key" in error(lambda: raw({}))


def test_bool_builder_keeps_what_was_given() -> None:
    query = bool_(
        must=U.bio.match("fox"),
        should=[U.age == 1, {"term": {"x": 1}}],
        filter=[U.active == True],  # noqa: E712
        must_not=U.status == Status.BLOCKED,
        minimum_should_match=1,
        boost=1.5,
    )
    assert query.to_dict() == {
        "bool": {
            "must": [{"match": {"bio": "fox"}}],
            "should": [{"term": {"age": 1}}, {"term": {"x": 1}}],
            "filter": [{"term": {"active": True}}],
            "must_not": [{"term": {"status": "blocked"}}],
            "minimum_should_match": 1,
            "boost": 1.5,
        }
    }
    assert isinstance(query, Bool)
    assert "lists of queries" in error(lambda: bool_(must="x"))  # type: ignore[arg-type]


def test_bool_with_should_and_filter_is_not_merged_into_or_or_and() -> None:
    mixed = bool_(should=[U.age == 1], filter=[U.active == True])  # noqa: E712
    assert (mixed & (U.age > 0)).to_dict() == {
        "bool": {"filter": [mixed.to_dict(), {"range": {"age": {"gt": 0}}}]}
    }
    assert (mixed | (U.age > 0)).to_dict() == {
        "bool": {"should": [mixed.to_dict(), {"range": {"age": {"gt": 0}}}]}
    }


def test_explicit_filter_bool_merges_into_and() -> None:
    query = bool_(filter=[U.age > 1]) & (U.age < 5)
    assert query.to_dict() == {
        "bool": {"filter": [{"range": {"age": {"gt": 1}}}, {"range": {"age": {"lt": 5}}}]}
    }


# -- module-level queries ---------------------------------------------------------------------


def test_multi_match() -> None:
    assert multi_match("fox", U.bio, U.title, "name^2", type="best_fields").to_dict() == {
        "multi_match": {"query": "fox", "fields": ["bio", "title", "name^2"], "type": "best_fields"}
    }
    assert multi_match("fox").to_dict() == {"multi_match": {"query": "fox"}}
    assert multi_match("fox", U.comments.body, operator="and").to_dict() == nested(
        "comments",
        {"multi_match": {"query": "fox", "fields": ["comments.body"], "operator": "and"}},
    )
    assert "different nested objects" in error(lambda: multi_match("x", U.bio, U.comments.body))
    assert "use text or keyword fields" in error(lambda: multi_match("x", U.age))
    assert "type must be one of" in error(lambda: multi_match("x", type="fancy"))  # type: ignore[arg-type]


def test_ids_match_all_match_none_raw() -> None:
    assert ids(["a", 2, uuid.UUID(int=3)]).to_dict() == {
        "ids": {"values": ["a", "2", "00000000-0000-0000-0000-000000000003"]}
    }
    assert "list of document ids" in error(lambda: ids("abc"))
    assert "non-empty string" in error(lambda: ids([""]))
    assert match_all().to_dict() == {"match_all": {}}
    assert match_none().to_dict() == {"match_none": {}}
    assert raw({"term": {"x": 1}}).to_dict() == {"term": {"x": 1}}


def test_to_query_dict() -> None:
    assert to_query_dict(None) is None
    assert to_query_dict(U.age > 3) == {"range": {"age": {"gt": 3}}}
    source = {"terms": {"x": [1, 2]}}
    copied = to_query_dict(source)
    assert copied == source
    assert copied is not source
    assert copied is not None
    copied["terms"]["x"].append(3)
    assert source == {"terms": {"x": [1, 2]}}
    assert "raw DSL dict" in error(lambda: to_query_dict("x"))  # type: ignore[arg-type]


# -- values: immutable, comparable, printable -------------------------------------------------


def test_query_values_are_frozen() -> None:
    query = U.age > 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        query.clause = "term"  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError):
        U.age._path = "x"  # type: ignore[misc]
    combined = query & (U.age < 9)
    assert query.to_dict() == {"range": {"age": {"gt": 3}}}
    dumped = combined.to_dict()
    dumped["bool"]["filter"].clear()
    assert len(combined.to_dict()["bool"]["filter"]) == 2


def test_query_values_compare_and_hash_structurally() -> None:
    assert (U.age > 3) == (U.age > 3)
    assert (U.age > 3) != (U.age > 4)
    assert (U.age > 3) == raw({"range": {"age": {"gt": 3}}})
    assert len({U.age > 3, U.age > 3, U.age > 4}) == 2
    assert hash((U.age > 3) & (U.age < 5)) == hash((U.age > 3) & (U.age < 5))
    assert ((U.age > 3) == {"range": {"age": {"gt": 3}}}) is False


def test_str_and_repr_print_the_json() -> None:
    query = (U.first_name == "Ann") & (U.age > 3)
    text = '{"bool": {"filter": [{"term": {"firstName": "Ann"}}, {"range": {"age": {"gt": 3}}}]}}'
    assert str(query) == text
    assert json.loads(str(query)) == query.to_dict()
    assert repr(query) == f"Query({text})"
    assert str(U.first_name == "Zoë") == '{"term": {"firstName": "Zoë"}}'


def test_queries_have_no_truth_value() -> None:
    with pytest.raises(QueryError, match="no truth value"):
        _ = 18 <= U.age < 65  # would silently drop `18 <= age`
    with pytest.raises(QueryError, match=r"F.age.between\(18, 65\)"):
        bool(U.age > 3)
    with pytest.raises(QueryError, match="no truth value"):
        _ = (U.age > 3) and (U.age < 5)


def test_registry_field_overrides_are_honoured() -> None:
    class Item(BaseModel):
        id: str
        code: str

    item = fields(Registry().register(Item, fields={"code": {"type": "integer"}}))
    assert (item.code == 5).to_dict() == {"term": {"code": 5}}
    assert "expected a number" in error(lambda: item.code == "5")


def test_decimal_values_on_numeric_fields() -> None:
    assert (U.score > decimal.Decimal("1.5")).to_dict() == {"range": {"score": {"gt": 1.5}}}
    assert (U.age == decimal.Decimal("3")).to_dict() == {"term": {"age": 3}}


# -- values of types Elasticsearch stores as text -----------------------------------------------


class Coded(BaseModel):
    code: Annotated[int, Keyword()]
    flag: Annotated[bool, Keyword()] = False
    price: decimal.Decimal = decimal.Decimal(0)
    exact_price: Annotated[decimal.Decimal, ScaledFloat(100)] = decimal.Decimal(0)
    span: dt.timedelta = dt.timedelta(0)
    tags: list[Annotated[int, Keyword()]] = []
    name: str = ""


C = fields(Coded)


def test_int_and_bool_fields_mapped_as_keyword_take_their_python_values() -> None:
    # Elasticsearch keeps numeric ids as keyword text: 42 is stored as "42", True as "true"
    assert (C.code == 42).to_dict() == {"term": {"code": "42"}}
    assert C.code.in_([1, 2]).to_dict() == {"terms": {"code": ["1", "2"]}}
    assert (C.tags == 7).to_dict() == {"term": {"tags": "7"}}
    assert (C.flag == True).to_dict() == {"term": {"flag": "true"}}  # noqa: E712
    assert "expected a string" in error(lambda: C.name == 42)


@pytest.mark.parametrize(
    ("build", "fix"),
    [
        (lambda: C.price > decimal.Decimal("5"), "ScaledFloat(...) or Double()"),
        (lambda: C.price.desc(), "ScaledFloat(...) or Double()"),
        (lambda: C.span > dt.timedelta(hours=5), "store the duration as a number"),
        (lambda: C.code.between(1, 9), "Long()"),
        (lambda: C.tags.asc(), "Long()"),
    ],
)
def test_ranges_and_sorts_that_would_compare_text_are_refused(build: Any, fix: str) -> None:
    # a keyword compares text: "10" < "5", "P1DT2H" < "PT5H"
    message = error(build)
    assert message.startswith("Coded.")
    assert fix in message


def test_ranges_and_sorts_on_numbers_and_strings_stay_allowed() -> None:
    assert (C.exact_price > decimal.Decimal("5")).to_dict() == {"range": {"exact_price": {"gt": 5}}}
    assert C.name.asc().to_dict() == {"name": {"order": "asc"}}
    assert (C.price == decimal.Decimal("5")).to_dict() == {"term": {"price": "5"}}


# -- date values --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        (dt.datetime(2024, 1, 1, 12, tzinfo=UTC), "2024-01-01T12:00:00.000000Z"),
        (dt.datetime(2024, 1, 1, 12, 0, 0, 500), "2024-01-01T12:00:00.000500"),
        (
            dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            "2024-01-01T12:00:00.000000+02:00",
        ),
        (dt.date(2024, 1, 1), "2024-01-01"),
    ],
)
def test_datetimes_are_sent_with_their_fraction(value: Any, sent: str) -> None:
    # without a fraction Elasticsearch rounds gt/lte/term bounds up to the end of the second
    assert (U.created_at > value).to_dict() == {"range": {"created_at": {"gt": sent}}}


@pytest.mark.parametrize(
    "text",
    [
        "2024",
        "2024-05",
        "2024-05-01",
        "2024-05-01T12",
        "2024-05-01T12:30",
        "2024-05-01T12:30:15.123456789Z",
        "2024-05-01T12:30:15+02:00",
        "1714550400000",
    ],
)
def test_date_strings_elasticsearch_reads_are_accepted(text: str) -> None:
    assert (U.created_at >= text).to_dict() == {"range": {"created_at": {"gte": text}}}


@pytest.mark.parametrize("text", ["2024-13", "2024-02-30", "2024-05-01 12:00", "May 2024"])
def test_date_strings_elasticsearch_refuses_are_refused(text: str) -> None:
    assert "expected a datetime, a date or an ISO 8601 string" in error(lambda: U.created_at > text)


# -- dict values --------------------------------------------------------------------------------


class Shelf(BaseModel):
    labels: dict[str, str] = {}
    counts: dict[str, int] = {}
    homes: dict[str, Address] = {}


def test_dict_values_are_queried_by_their_type() -> None:
    S = fields(Registry().register(Shelf, id=None))

    assert (S.labels["color"] == "Dark Red").to_dict() == {"term": {"labels.color": "Dark Red"}}
    assert repr(S.labels["color"]) == "<field Shelf.labels.color -> 'labels.color' (keyword)>"
    assert (S.counts.apples >= 3).to_dict() == {"range": {"counts.apples": {"gte": 3}}}
    assert "expected a number" in error(lambda: S.counts.apples == "3")
    # a model in a dict: its Python names become stored names
    assert (S.homes["main"].zip_code == "1").to_dict() == {"term": {"homes.main.zip": "1"}}


def test_dotted_stored_names_are_found() -> None:
    class Dotted(BaseModel):
        ab: int = Field(default=1, alias="a.b")

    D = fields(Dotted)
    assert (D.ab == 3).to_dict() == {"term": {"a.b": 3}}
    assert (D["a.b"] == 3).to_dict() == {"term": {"a.b": 3}}


# -- OR with a bool without clauses -------------------------------------------------------------


def test_or_with_a_bool_without_clauses_matches_everything() -> None:
    # `{"bool": {}}` matches every document, so OR-ing it must too
    exists = U.age.exists()
    assert (bool_() | exists).to_dict() == {
        "bool": {"should": [{"bool": {}}, {"exists": {"field": "age"}}]}
    }
    assert (exists | bool_()).to_dict() == {
        "bool": {"should": [{"exists": {"field": "age"}}, {"bool": {}}]}
    }
    assert (bool_() & exists).to_dict() == {"bool": {"filter": [{"exists": {"field": "age"}}]}}
