"""Sort, named sort options, pagination and result pages -> exact values, checked early."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, Field

from esorm.domain import GeoPoint, Nested, Text
from esorm.errors import QueryError
from esorm.mapping import Registry
from esorm.query import (
    Page,
    Pagination,
    Sort,
    SortField,
    SortItem,
    SortOptions,
    fields,
    to_sort_list,
)

pytestmark = pytest.mark.unit


class Comment(BaseModel):
    author: str
    stars: int = 0


class Post(BaseModel):
    id: str
    title: Annotated[str, Text(keyword=True)]
    body: Annotated[str, Text()] = ""
    author_name: str = Field(default="", alias="authorName")
    created_at: dt.datetime | None = None
    rating: float = 0.0
    comments: Annotated[list[Comment], Nested()] = []
    place: GeoPoint | None = None


MAPPING = Registry().register(Post)
P = fields(MAPPING)


def error(build: Any) -> str:
    with pytest.raises(QueryError) as info:
        build()
    return str(info.value)


# -- sort --------------------------------------------------------------------------------------


def test_sort_from_field_proxies() -> None:
    sort = Sort(P.created_at.desc(), P.author_name.asc())
    assert sort.to_list() == [
        {"created_at": {"order": "desc"}},
        {"authorName": {"order": "asc"}},
    ]


def test_sort_on_text_uses_keyword_subfield() -> None:
    assert P.title.asc().to_dict() == {"title.keyword": {"order": "asc"}}


def test_sort_on_text_without_keyword_is_refused() -> None:
    assert "so sorting cannot compare whole values" in error(lambda: P.body.asc())
    assert error(lambda: P.place.desc()) == (
        "Post.place is a geo_point field, so sorting does not apply; use "
        ".geo_distance(lat, lon, distance)"
    )


def test_sort_options() -> None:
    field = P.rating.desc(missing="_last", mode="avg", unmapped_type="double")
    assert field.to_dict() == {
        "rating": {"order": "desc", "missing": "_last", "mode": "avg", "unmapped_type": "double"}
    }
    assert P.rating.asc(missing=0).to_dict() == {"rating": {"order": "asc", "missing": 0}}
    assert "expected a number" in error(lambda: P.rating.asc(missing="x"))


def test_sort_on_nested_field_names_the_path() -> None:
    assert P.comments.stars.desc(mode="max").to_dict() == {
        "comments.stars": {"order": "desc", "mode": "max", "nested": {"path": "comments"}}
    }
    two_levels = SortField("a.b.c", nested=("a", "a.b"))
    assert two_levels.to_dict() == {
        "a.b.c": {"order": "asc", "nested": {"path": "a", "nested": {"path": "a.b"}}}
    }


def test_sort_by_strings() -> None:
    assert Sort.by("-created_at", "first_name", "+rating").to_list() == [
        {"created_at": {"order": "desc"}},
        {"first_name": {"order": "asc"}},
        {"rating": {"order": "asc"}},
    ]
    assert Sort.by("_score", "+_score", "_doc").to_list() == [
        {"_score": {"order": "desc"}},
        {"_score": {"order": "asc"}},
        {"_doc": {"order": "asc"}},
    ]


def test_sort_by_strings_checked_against_the_entity() -> None:
    assert Sort.by("-created_at", "author_name", "title", "_score", on=P).to_list() == [
        {"created_at": {"order": "desc"}},
        {"authorName": {"order": "asc"}},
        {"title.keyword": {"order": "asc"}},
        {"_score": {"order": "desc"}},
    ]
    assert Sort.by("-comments.stars", on=MAPPING).to_list() == [
        {"comments.stars": {"order": "desc", "nested": {"path": "comments"}}}
    ]
    assert error(lambda: Sort.by("-craeted_at", on=Post)) == (
        "Post has no field 'craeted_at'; did you mean 'created_at'?"
    )


def test_empty_sort_field_name_is_refused() -> None:
    assert error(lambda: Sort.by("")) == "empty sort field name in ''"
    assert error(lambda: Sort.by("-")) == "empty sort field name in '-'"
    assert "non-empty string" in error(lambda: SortField(" "))
    assert "must be 'asc' or 'desc'" in error(lambda: SortField("x", "up"))  # type: ignore[arg-type]
    assert "sort mode of 'x' must be one of" in error(lambda: SortField("x", mode="mean"))  # type: ignore[arg-type]


def test_sort_mixes_items_and_raw_dicts() -> None:
    geo = {"_geo_distance": {"place": {"lat": 1, "lon": 2}, "order": "asc", "unit": "km"}}
    sort = Sort(P.rating.desc(), "-created_at", geo)
    assert sort.to_list() == [
        {"rating": {"order": "desc"}},
        {"created_at": {"order": "desc"}},
        geo,
    ]
    assert "exactly one key" in error(lambda: Sort({"a": 1, "b": 2}))
    assert "a sort item is" in error(lambda: Sort(5))  # type: ignore[arg-type]


def test_sort_is_immutable_and_comparable() -> None:
    sort = Sort(P.rating.desc())
    longer = sort.then("title")
    assert len(sort) == 1
    assert longer.to_list() == [{"rating": {"order": "desc"}}, {"title": {"order": "asc"}}]
    assert Sort(sort, "title") == longer
    assert hash(Sort.by("-rating")) == hash(Sort(SortField("rating", "desc")))
    with pytest.raises(dataclasses.FrozenInstanceError):
        sort.items = ()  # type: ignore[misc]
    assert str(sort) == '[{"rating": {"order": "desc"}}]'
    assert repr(sort) == 'Sort([{"rating": {"order": "desc"}}])'
    assert str(P.rating.desc()) == '{"rating": {"order": "desc"}}'


def test_to_sort_list() -> None:
    assert to_sort_list(None) is None
    assert to_sort_list(Sort()) is None
    assert to_sort_list("-rating") == [{"rating": {"order": "desc"}}]
    assert to_sort_list(P.rating.asc()) == [{"rating": {"order": "asc"}}]
    assert to_sort_list(["-rating", P.title.asc(), {"_score": "desc"}]) == [
        {"rating": {"order": "desc"}},
        {"title.keyword": {"order": "asc"}},
        {"_score": "desc"},
    ]
    assert to_sort_list({"_doc": "asc"}) == [{"_doc": "asc"}]
    assert to_sort_list(Sort.by("rating")) == [{"rating": {"order": "asc"}}]
    assert "expected a Sort" in error(lambda: to_sort_list(5))  # type: ignore[arg-type]


def test_to_sort_list_resolves_names_of_the_entity() -> None:
    # names are Python names; the server needs stored, sortable paths
    sort: list[SortItem] = [
        "title",
        "-author_name",
        "comments.stars",
        "_score",
        "unknown",
        {"_doc": "asc"},
    ]
    assert to_sort_list(sort, on=MAPPING) == [
        {"title.keyword": {"order": "asc"}},
        {"authorName": {"order": "desc"}},
        {"comments.stars": {"order": "asc", "nested": {"path": "comments"}}},
        {"_score": {"order": "desc"}},
        {"unknown": {"order": "asc"}},
        {"_doc": "asc"},
    ]
    assert to_sort_list(Sort("-authorName"), on=Post) == [{"authorName": {"order": "desc"}}]
    options = SortOptions({"title": "title"})
    assert to_sort_list(options.resolve(None), on=MAPPING) == [{"title.keyword": {"order": "asc"}}]


def test_to_sort_list_keeps_sort_fields_and_their_options() -> None:
    given = SortField("title", missing="_first")  # built by hand: sent exactly as given
    assert to_sort_list([given, P.rating.desc(missing="_last")], on=MAPPING) == [
        {"title": {"order": "asc", "missing": "_first"}},
        {"rating": {"order": "desc", "missing": "_last"}},
    ]
    assert Sort("title") == Sort(SortField("title"))


def test_to_sort_list_refuses_names_of_fields_that_cannot_sort() -> None:
    assert "without a keyword subfield" in error(lambda: to_sort_list("body", on=MAPPING))


# -- named sort options -------------------------------------------------------------------------


def test_sort_options_resolve_names_and_default() -> None:
    options = SortOptions(
        {
            "newest": Sort(P.created_at.desc()),
            "best": ["-rating", "title"],
            "relevance": Sort(),
            "title": "title",
        },
        default="best",
    )
    assert options.names == ("newest", "best", "relevance", "title")
    assert options.resolve("newest").to_list() == [{"created_at": {"order": "desc"}}]
    assert options.resolve(None) == Sort.by("-rating", "title")
    assert options.resolve("") == options.resolve("best")
    assert options.resolve("relevance") == Sort()
    assert options.resolve("title").to_list() == [{"title": {"order": "asc"}}]
    assert error(lambda: options.resolve("oldest")) == (
        "unknown sort 'oldest'; choose one of: newest, best, relevance, title"
    )


def test_sort_options_default_is_the_first_and_must_exist() -> None:
    assert SortOptions({"a": "x", "b": "y"}).default == "a"
    assert error(lambda: SortOptions({"a": "x"}, default="b")) == (
        "default sort 'b' is not one of the options: a"
    )
    assert error(lambda: SortOptions({})) == "SortOptions needs at least one named sort"
    assert "non-empty strings" in error(lambda: SortOptions({"": "x"}))


# -- pagination -------------------------------------------------------------------------------


def test_pagination_offset_size_next() -> None:
    page = Pagination()
    assert (page.page, page.page_size, page.offset, page.size) == (1, 10, 0, 10)
    third = Pagination(page=3, page_size=25)
    assert (third.offset, third.size) == (50, 25)
    assert third.next() == Pagination(page=4, page_size=25)
    assert third.page == 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        third.page = 9  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"page": 0}, "page must be 1 or more (pages count from 1), got 0"),
        ({"page": -1}, "page must be 1 or more (pages count from 1), got -1"),
        ({"page_size": 0}, "page_size must be from 1 to 10000, got 0"),
        ({"page_size": 10_001}, "page_size must be from 1 to 10000, got 10001"),
        ({"page_size": 51, "max_page_size": 50}, "page_size must be from 1 to 50, got 51"),
        ({"page": "2"}, "page must be an int, got str '2'"),
        ({"page_size": True}, "page_size must be an int, got bool True"),
        ({"max_page_size": 0}, "max_page_size must be at least 1, got 0"),
    ],
)
def test_pagination_validation(kwargs: dict[str, Any], message: str) -> None:
    assert error(lambda: Pagination(**kwargs)) == message


# -- pages ------------------------------------------------------------------------------------


def test_page_counts_pages() -> None:
    page = Page(items=["a", "b"], total=21, page=1, page_size=10)
    assert (page.pages, page.has_next, page.has_previous) == (3, True, False)
    last = Page(items=["u"], total=21, page=3, page_size=10)
    assert (last.pages, last.has_next, last.has_previous) == (3, False, True)
    empty: Page[str] = Page(items=[], total=0)
    assert (empty.pages, empty.has_next) == (0, False)
    assert list(page) == ["a", "b"]
    assert len(page) == 2


def test_page_of_server_total() -> None:
    request = Pagination(page=2, page_size=5)
    exact = Page.of(["x"], {"value": 12, "relation": "eq"}, request)
    assert (exact.total, exact.total_is_exact, exact.page, exact.page_size) == (12, True, 2, 5)
    assert exact.pages == 3
    full = list(range(10))
    bound = Page.of(full, {"value": 10_000, "relation": "gte"}, Pagination(1000, 10))
    assert (bound.total, bound.total_is_exact, bound.has_next) == (10_000, False, True)
    short = Page.of([1, 2], {"value": 10_000, "relation": "gte"}, Pagination(1000, 10))
    assert short.has_next is False  # the hits ran out on this page
    plain: Page[str] = Page.of([], 7, request)
    assert (plain.total, plain.total_is_exact) == (7, True)


def test_a_full_page_past_a_lower_bound_total_has_a_next() -> None:
    # track_total_hits=5 caps the count at "gte 5"; page 4 of 2 is full, so more may follow
    page = Page(items=["a", "b"], total=5, total_is_exact=False, page=4, page_size=2)
    assert page.has_next
    assert not Page(items=["a"], total=5, total_is_exact=False, page=4, page_size=2).has_next
