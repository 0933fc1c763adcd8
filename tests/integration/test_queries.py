"""Every query form against a seeded index on a real server, and exact-term safety."""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator
from typing import Annotated

import pytest
from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel, Field

from esorm.domain import DenseVector, GeoPoint, Nested, Text
from esorm.errors import QueryError
from esorm.indices import IndexManager
from esorm.mapping import Registry
from esorm.query import (
    Pagination,
    Sort,
    SortOptions,
    bool_,
    ids,
    match_all,
    multi_match,
    to_sort_list,
)
from esorm.testing import record_requests
from esorm.uow import UnitOfWork
from tests.integration._support import registered, store

pytestmark = pytest.mark.integration


class Author(BaseModel):
    name: str
    country: str


class Comment(BaseModel):
    by: str
    stars: int


class Article(BaseModel):
    id: str
    title: Annotated[str, Text(keyword=True)]
    body: Annotated[str, Text()] = ""
    tags: list[str] = Field(default_factory=list)
    views: int = 0
    published: datetime.date
    author: Author
    comments: Annotated[list[Comment], Nested()] = Field(default_factory=list)
    location: GeoPoint | None = None
    embedding: Annotated[list[float], DenseVector(dims=3, similarity="cosine")]


def article(n: int, title: str, **extra: object) -> Article:
    base: dict[str, object] = {
        "id": f"a{n}",
        "title": title,
        "views": n * 10,
        "published": datetime.date(2024, 1, n),
        "author": Author(name="Ann" if n % 2 else "Bob", country="no" if n < 4 else "se"),
        "embedding": [1.0, float(n), 0.5],
    }
    base.update(extra)
    return Article.model_validate(base)


ARTICLES = [
    article(
        1,
        "Rust for beginners",
        body="ownership and borrowing explained",
        tags=["rust", "intro"],
        comments=[Comment(by="ann", stars=5), Comment(by="bob", stars=1)],
        location=GeoPoint(lat=59.91, lon=10.75),
    ),
    article(
        2,
        "Advanced Rust",
        body="lifetimes and traits in depth",
        tags=["rust"],
        comments=[Comment(by="ann", stars=1), Comment(by="bob", stars=5)],
        location=GeoPoint(lat=60.39, lon=5.32),
    ),
    article(
        3,
        "Python tips",
        body="borrowing ideas from rust",
        tags=["python"],
        location=GeoPoint(lat=59.33, lon=18.07),
    ),
    article(4, 'The * OR "quoted" title', tags=["*", "a OR b", '"', "\\", "{}", "\u0000"]),
    article(5, "Elasticsearch in practice", body="search engines and rust clients", tags=["es"]),
]


@pytest.fixture
async def uow(es_client: AsyncElasticsearch, index_prefix: str) -> AsyncIterator[UnitOfWork]:
    registry = Registry(prefix=index_prefix)
    registry.register(Article, index="articles", default_sort="id")
    await IndexManager(es_client, registry).create_all()
    async with UnitOfWork(es_client, registry, refresh=True) as seeding:
        seeding.repository(Article).add_all(a.model_copy(deep=True) for a in ARTICLES)
        await seeding.commit()
    async with UnitOfWork(es_client, registry) as unit:
        yield unit


async def found(uow: UnitOfWork, query: object, **options: object) -> list[str]:
    result = await uow.repository(Article).search(query, size=100, **options)  # type: ignore[arg-type]
    return [a.id for a in result]


async def test_term_range_and_bool_composition(uow: UnitOfWork) -> None:
    A = uow.repository(Article).fields
    assert await found(uow, A.views > 30) == ["a4", "a5"]
    assert await found(uow, (A.views >= 20) & (A.views <= 30)) == ["a2", "a3"]
    assert await found(uow, A.views.between(10, 20)) == ["a1", "a2"]
    assert await found(uow, A.tags == "rust") == ["a1", "a2"]
    assert await found(uow, A.tags != "rust") == ["a3", "a4", "a5"]
    assert await found(uow, A.tags.in_(["python", "es"])) == ["a3", "a5"]
    assert await found(uow, (A.tags == "rust") | (A.author.country == "se")) == [
        "a1",
        "a2",
        "a4",
        "a5",
    ]
    assert await found(uow, ~((A.tags == "rust") | (A.views > 40))) == ["a3", "a4"]
    nested_bool = ((A.author.name == "Ann") & (A.views < 50)) | (
        (A.author.name == "Bob") & (A.views > 30)
    )
    assert await found(uow, nested_bool) == ["a1", "a3", "a4"]
    assert await found(uow, A.published >= datetime.date(2024, 1, 4)) == ["a4", "a5"]


async def test_full_text_and_sub_fields(uow: UnitOfWork) -> None:
    A = uow.repository(Article).fields
    assert await found(uow, A.title == "Advanced Rust") == ["a2"]  # exact, via title.keyword
    assert await found(uow, A.title == "advanced rust") == []
    assert await found(uow, A.title.match("rust")) == ["a1", "a2"]
    assert await found(uow, A.body.match("borrowing rust", operator="and")) == ["a3"]
    assert await found(uow, A.body.match_phrase("lifetimes and traits")) == ["a2"]
    assert await found(uow, multi_match("rust", "title", "body")) == ["a1", "a2", "a3", "a5"]
    assert await found(uow, A.title.prefix("Py")) == ["a3"]
    assert await found(uow, A.title.wildcard("*Rust*")) == ["a1", "a2"]
    assert await found(uow, A.location.exists()) == ["a1", "a2", "a3"]
    assert await found(uow, ids(["a5", "a2", "zz"])) == ["a2", "a5"]
    assert await found(uow, match_all()) == ["a1", "a2", "a3", "a4", "a5"]
    raw_mix = (A.views > 10) & {"term": {"tags": "rust"}}
    assert await found(uow, raw_mix) == ["a2"]


async def test_nested_geo_and_knn(uow: UnitOfWork) -> None:
    A = uow.repository(Article).fields
    # one comment by ann with 5 stars: only a1 (a2 has ann's 1 star and bob's 5)
    same_element = A.comments.nested((A.comments.by == "ann") & (A.comments.stars == 5))
    assert await found(uow, same_element) == ["a1"]
    any_elements = (A.comments.by == "ann") & (A.comments.stars == 5)
    assert await found(uow, any_elements) == ["a1", "a2"]
    near_oslo = A.location.geo_distance(59.9, 10.7, "50km")
    assert await found(uow, near_oslo) == ["a1"]
    result = await uow.repository(Article).search(
        A.embedding.knn([1.0, 2.0, 0.5], k=2, num_candidates=10), sort=Sort.by("_score"), size=2
    )
    assert [a.id for a in result] == ["a2", "a3"]  # cosine: a2 identical, a3 closer than a1


@pytest.mark.parametrize("hostile", ["*", "a OR b", '"', "\\", "{}", "\u0000"])
async def test_search_by_fields_matches_only_literal_values(uow: UnitOfWork, hostile: str) -> None:
    result = await uow.repository(Article).search_by_fields(tags=hostile)
    assert [a.id for a in result] == ["a4"]
    assert (
        await uow.repository(Article).search_by_fields({"tags": hostile + "x"}) == type(result)()
    )  # nothing


async def test_search_by_fields_checks_names_and_values_before_sending(
    uow: UnitOfWork, es_client: AsyncElasticsearch
) -> None:
    repo = uow.repository(Article)
    assert [
        a.id for a in await repo.search_by_fields({"author.name": "Bob", "tags": ["es", "rust"]})
    ] == ["a2"]
    with record_requests(es_client) as log:
        with pytest.raises(QueryError, match="did you mean 'views'"):
            await repo.search_by_fields(veiws=3)
        with pytest.raises(QueryError):
            await repo.search_by_fields(views="many")
        with pytest.raises(QueryError):
            await repo.search_by_fields()
    assert len(log) == 0


async def test_pagination_totals_and_named_sort_options(uow: UnitOfWork) -> None:
    repo = uow.repository(Article)
    A = repo.fields
    options = SortOptions(
        {"popular": Sort(A.views.desc()), "title": Sort(A.title.asc())}, default="popular"
    )
    first = await repo.page(pagination=Pagination(page=1, page_size=2), sort=options.resolve(None))
    assert [a.id for a in first.items] == ["a5", "a4"]
    assert (first.total, first.total_is_exact, first.pages, first.has_next) == (5, True, 3, True)
    last = await repo.page(
        pagination=Pagination(page=3, page_size=2), sort=options.resolve("popular")
    )
    assert [a.id for a in last.items] == ["a1"] and not last.has_next
    by_title = await repo.page(
        pagination=Pagination(page=1, page_size=5), sort=options.resolve("title")
    )
    assert [a.title for a in by_title.items] == sorted(a.title for a in ARTICLES)
    filtered = await repo.page(A.tags == "rust", Pagination(1, 10))
    assert filtered.total == 2
    with pytest.raises(QueryError, match="popular"):
        options.resolve("nope")
    with pytest.raises(QueryError):
        Pagination(page=0)
    with pytest.raises(QueryError):
        Pagination(page=1, page_size=0)
    with pytest.raises(QueryError):
        Sort.by("")


async def test_lower_bound_totals_are_marked(uow: UnitOfWork) -> None:
    result = await uow.repository(Article).search(size=1, track_total_hits=2)
    assert result.total == 2 and not result.total_is_exact


async def test_capped_totals_on_a_page_and_offsets_by_fields(uow: UnitOfWork) -> None:
    repo = uow.repository(Article)
    page = await repo.page(pagination=Pagination(page=1, page_size=2), track_total_hits=3)
    assert (page.total, page.total_is_exact, len(page.items)) == (3, False, 2)
    ann = await repo.search_by_fields({"author.name": "Ann"}, sort="id", size=1, offset=1)
    assert [a.id for a in ann] == ["a3"]


# -- entities of their own --------------------------------------------------------------------


class Labelled(BaseModel):
    id: str | None = None
    labels: dict[str, str] = {}


async def test_dict_of_str_values_match_exactly(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    # without a dynamic template the server maps "Dark Red" as analyzed text: no term matches
    registry = await registered(es_client, index_prefix, Labelled)
    await store(es_client, registry, Labelled(id="1", labels={"color": "Dark Red"}))

    async with UnitOfWork(es_client, registry) as uow:
        repo = uow.repository(Labelled)
        assert [e.id for e in await repo.search(repo.fields.labels["color"] == "Dark Red")] == ["1"]


class Event(BaseModel):
    id: str | None = None
    at: datetime.datetime


NOON = datetime.datetime(2024, 1, 1, 12, tzinfo=datetime.UTC)


async def test_datetime_comparisons_are_exact_to_the_microsecond(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    # "...T12:00:00Z" without fraction is rounded up by the server for gt/lte/term
    registry = await registered(es_client, index_prefix, Event)
    later = NOON + datetime.timedelta(milliseconds=500)
    await store(es_client, registry, Event(id="noon", at=NOON), Event(id="later", at=later))

    async with UnitOfWork(es_client, registry) as uow:
        repo = uow.repository(Event)
        F = repo.fields
        assert [e.id for e in await repo.search(F.at > NOON)] == ["later"]
        assert [e.id for e in await repo.search(F.at <= NOON)] == ["noon"]
        assert [e.id for e in await repo.search(F.at == NOON)] == ["noon"]


async def test_a_bool_without_clauses_or_anything_matches_every_document(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    registry = await registered(es_client, index_prefix, Event)
    old = NOON.replace(year=2020)
    await store(es_client, registry, Event(id="a", at=NOON), Event(id="b", at=old))

    async with UnitOfWork(es_client, registry) as uow:
        repo = uow.repository(Event)
        assert len(await repo.search(bool_())) == 2
        assert len(await repo.search(bool_() | repo.fields.at.range(lt="2021-01-01"))) == 2


class Post(BaseModel):
    id: str | None = None
    title: Annotated[str, Text(keyword=True)]
    created: datetime.datetime = Field(alias="createdAt")


POSTS = [
    Post(id="1", title="B", createdAt=datetime.datetime(2024, 1, 1)),
    Post(id="2", title="A", createdAt=datetime.datetime(2024, 1, 2)),
]


@pytest.mark.parametrize("sort", ["title", "-created"])
async def test_sort_names_resolve_to_the_stored_sortable_field(
    es_client: AsyncElasticsearch, index_prefix: str, sort: str
) -> None:
    # sent unresolved, "title" sorts the analyzed text (400, fielddata) and "created" is no
    # stored name (400, no mapping found)
    registry = await registered(es_client, index_prefix, Post)
    await store(es_client, registry, *POSTS)
    mapping = registry.mapping_for(Post)

    found = await es_client.search(index=mapping.index, sort=to_sort_list(sort, on=mapping))

    assert [hit["_id"] for hit in found["hits"]["hits"]] == ["2", "1"]


@pytest.mark.parametrize("sort", ["title", "-created"])
async def test_default_sort_names_resolve_in_repository_searches(
    es_client: AsyncElasticsearch, index_prefix: str, sort: str
) -> None:
    registry = await registered(es_client, index_prefix, Post, default_sort=sort)
    await store(es_client, registry, *POSTS)

    async with UnitOfWork(es_client, registry) as uow:
        assert [p.id for p in await uow.repository(Post).search()] == ["2", "1"]
