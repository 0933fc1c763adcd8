"""esorm.fastapi in a small app against the real server: pages, sort, totals, relations, commits.

No `from __future__ import annotations` here: FastAPI resolves an endpoint's annotations
against module globals, and the endpoints below use an alias local to `create_app`.
"""

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import pytest
from dependency_injector import providers
from elasticsearch import AsyncElasticsearch
from fastapi import Depends, FastAPI, HTTPException, Response
from httpx import ASGITransport, AsyncClient
from pydantic import BaseModel

from esorm.di import EsormContainer
from esorm.domain import Many, One, Text
from esorm.errors import UnitOfWorkStateError
from esorm.fastapi import (
    TOTAL_HITS_HEADER,
    TOTAL_RELATION_HEADER,
    PageResponse,
    install_error_handlers,
    pagination_dependency,
    set_total_headers,
    sort_dependency,
    unit_of_work_dependency,
)
from esorm.indices import IndexManager
from esorm.mapping import Registry, to_many, to_one
from esorm.query import Pagination, Sort, SortOptions, fields
from esorm.repository import Repository
from esorm.store import ElasticsearchStore
from esorm.uow import UnitOfWork
from tests.integration._fault_proxy import Fault, FaultProxy, on_request

pytestmark = pytest.mark.integration

WINDOW = 20  # the books index's max_result_window, small so its edge is cheap to reach


class Author(BaseModel):
    id: str
    name: str
    books: Many["Book"] = Many()


class Book(BaseModel):
    id: str | None = None
    title: Annotated[str, Text(keyword=True)]
    year: int
    author_id: str
    author: One[Author] = One()


Author.model_rebuild()


class NewBook(BaseModel):
    title: str
    year: int
    author_id: str


class LibraryUow(UnitOfWork):
    authors: Repository[Author]
    books: Repository[Book]


B = fields(Book)
SORTS = SortOptions(
    {
        "newest": Sort(B.year.desc(), B.id.asc()),
        "oldest": Sort(B.year.asc(), B.id.asc()),
        "title": Sort(B.title.asc()),
        "title_desc": Sort(B.title.desc()),
    },
    default="newest",
)
PAGES = pagination_dependency(default_page_size=3, max_page_size=5, max_result_window=WINDOW)
SORT = sort_dependency(SORTS)

BOOKS = [
    Book(id="b1", title="Dune", year=1965, author_id="a1"),
    Book(id="b2", title="Solaris", year=1961, author_id="a2"),
    Book(id="b3", title="Neuromancer", year=1984, author_id="a1"),
    Book(id="b4", title="Hyperion", year=1989, author_id="a2"),
    Book(id="b5", title="Foundation", year=1951, author_id="a1"),
    Book(id="b6", title="Ubik", year=1969, author_id="a2"),
    Book(id="b7", title="Contact", year=1985, author_id="a1"),
]
NEWEST_FIRST = ["b4", "b7", "b3", "b6", "b1", "b2", "b5"]


def create_app(get_uow: Callable[[], AsyncIterator[LibraryUow]]) -> FastAPI:
    """The app under test, wired to whichever unit-of-work dependency the test chose."""
    app = FastAPI()
    install_error_handlers(app)
    app.state.units = []
    Uow = Annotated[LibraryUow, Depends(get_uow)]

    @app.get("/books")
    async def list_books(
        response: Response,
        uow: Uow,
        pagination: Annotated[Pagination, Depends(PAGES)],
        sort: Annotated[Sort, Depends(SORT)],
    ) -> PageResponse[Book]:
        app.state.units.append(uow)
        page = await uow.books.page(pagination=pagination, sort=sort, load=["author"])
        return PageResponse.of(set_total_headers(response, page))

    @app.get("/books/capped")
    async def capped(response: Response, uow: Uow, cap: int) -> list[Book]:
        result = await uow.books.search(size=2, track_total_hits=cap)
        return set_total_headers(response, result).items

    @app.get("/books/{book_id}")
    async def get_book(book_id: str, uow: Uow) -> Book:
        return await uow.books.get(book_id, load=["author"])

    @app.get("/books/{book_id}/plain")
    async def get_plain_book(book_id: str, uow: Uow) -> Book:
        return await uow.books.get(book_id)

    @app.get("/authors/{author_id}")
    async def get_author(author_id: str, uow: Uow) -> Author:
        return await uow.authors.get(author_id, load=["books"])

    @app.post("/books", status_code=201)
    async def add_book(new: NewBook, uow: Uow) -> Book:
        book = uow.books.add(Book(**new.model_dump()))
        await uow.commit()
        return book

    @app.post("/books/draft", status_code=201)
    async def add_and_fail(new: NewBook, uow: Uow) -> Book:
        uow.books.add(Book(**new.model_dump()))
        raise HTTPException(status_code=400, detail="refused after adding, before commit")

    @app.post("/books/{book_id}/race")
    async def race(book_id: str, uow: Uow) -> Book:
        book = await uow.books.get(book_id)
        stored = book.model_dump(mode="json", exclude={"author"})
        assert isinstance(uow.store, ElasticsearchStore)  # another writer, behind esorm's back
        await uow.store.client.index(index=uow.books.mapping.index, id=book_id, document=stored)
        book.title = "mine"
        await uow.commit()  # the other write won: 409
        return book

    @app.get("/books-where")
    async def books_where(field: str, value: str, uow: Uow) -> list[Book]:
        return (await uow.books.search(uow.books.fields[field] == value)).items

    @app.get("/same-unit")
    async def same_unit(first: Uow, second: Uow) -> dict[str, bool]:
        return {"same": first is second}

    return app


@pytest.fixture
async def registry(es_client: AsyncElasticsearch, index_prefix: str) -> Registry:
    registry = Registry(prefix=index_prefix)
    registry.register(Author, index="authors")
    registry.register(
        Book,
        index="books",
        settings={"index": {"max_result_window": WINDOW}},
        relations={"author": to_one(Author, key="author_id")},
    )
    registry.relate(Author, {"books": to_many(Book, key="author_id", sort="id")})
    await IndexManager(es_client, registry).create_all()
    async with LibraryUow(es_client, registry, refresh=True) as uow:
        uow.authors.add(Author(id="a1", name="Ann"))
        uow.authors.add(Author(id="a2", name="Bob"))
        uow.authors.add(Author(id="a3", name="Cid"))
        uow.books.add_all(book.model_copy() for book in BOOKS)
        await uow.commit()
    return registry


@pytest.fixture
def app(es_client: AsyncElasticsearch, registry: Registry) -> FastAPI:
    # refresh=True: a test reads right after the request that wrote
    return create_app(
        unit_of_work_dependency(lambda: LibraryUow(es_client, registry, refresh=True))
    )


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
        yield client


def ids(body: dict[str, Any]) -> list[str]:
    return [item["id"] for item in body["items"]]


def error_text(body: dict[str, Any]) -> str:
    return " ".join(str(error["msg"]) for error in body["detail"])


# -- pagination --------------------------------------------------------------------------------


async def test_totals_travel_in_headers_and_body(http: AsyncClient) -> None:
    response = await http.get("/books")
    assert response.status_code == 200
    assert response.headers[TOTAL_HITS_HEADER] == "7"
    assert response.headers[TOTAL_RELATION_HEADER] == "eq"
    body = response.json()
    assert ids(body) == NEWEST_FIRST[:3]  # default page 1 of the default size 3
    assert {k: v for k, v in body.items() if k != "items"} == {
        "total": 7,
        "total_is_exact": True,
        "page": 1,
        "page_size": 3,
        "pages": 3,
        "has_next": True,
        "has_previous": False,
    }


async def test_lower_bound_totals_say_gte(http: AsyncClient) -> None:
    response = await http.get("/books/capped", params={"cap": 3})
    assert response.headers[TOTAL_HITS_HEADER] == "3"
    assert response.headers[TOTAL_RELATION_HEADER] == "gte"
    assert len(response.json()) == 2


async def test_page_boundaries(http: AsyncClient) -> None:
    pages = [
        (await http.get("/books", params={"page": n, "page_size": 3})).json() for n in (1, 2, 3)
    ]
    assert [ids(page) for page in pages] == [NEWEST_FIRST[:3], NEWEST_FIRST[3:6], ["b5"]]
    assert [(p["has_previous"], p["has_next"]) for p in pages] == [
        (False, True),
        (True, True),
        (True, False),
    ]
    past_the_end = await http.get("/books", params={"page": 4, "page_size": 3})
    assert past_the_end.status_code == 200
    assert past_the_end.json()["items"] == []
    assert past_the_end.headers[TOTAL_HITS_HEADER] == "7"  # the total is still told
    assert not past_the_end.json()["has_next"]
    whole = (await http.get("/books", params={"page_size": 5, "page": 2})).json()
    assert ids(whole) == NEWEST_FIRST[5:] and whole["pages"] == 2
    # the deepest reachable page ends exactly at the window and still answers
    deepest = await http.get("/books", params={"page": WINDOW // 5, "page_size": 5})
    assert deepest.status_code == 200 and deepest.json()["items"] == []


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"page": 0}, "page"),
        ({"page": "two"}, "page"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 6}, "page_size"),
        ({"page": WINDOW // 5 + 1, "page_size": 5}, "page"),
    ],
)
async def test_pagination_bounds_answer_422(
    http: AsyncClient, params: dict[str, Any], names: str
) -> None:
    response = await http.get("/books", params=params)
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", names]


async def test_a_page_past_the_window_says_which_page_is_the_last(http: AsyncClient) -> None:
    response = await http.get("/books", params={"page": 5, "page_size": 5})
    assert response.status_code == 422
    assert "the last page for page_size=5 is 4" in error_text(response.json())


async def test_page_size_beyond_the_maximum_names_it(http: AsyncClient) -> None:
    response = await http.get("/books", params={"page_size": 6})
    assert "less than or equal to 5" in error_text(response.json())


# -- sort --------------------------------------------------------------------------------------


async def test_named_sorts_both_directions_and_the_default(http: AsyncClient) -> None:
    async def order(**params: Any) -> list[str]:
        response = await http.get("/books", params={"page_size": 5, **params})
        assert response.status_code == 200
        return ids(response.json())

    assert await order() == NEWEST_FIRST[:5]
    assert await order(sort="newest") == NEWEST_FIRST[:5]
    assert await order(sort="oldest") == list(reversed(NEWEST_FIRST))[:5]
    by_title = sorted(BOOKS, key=lambda b: b.title)
    assert await order(sort="title") == [b.id for b in by_title][:5]
    assert await order(sort="title_desc") == [b.id for b in reversed(by_title)][:5]
    assert await order(sort="oldest", page=2) == list(reversed(NEWEST_FIRST))[5:]


@pytest.mark.parametrize("name", ["nope", "", "NEWEST", "-year"])
async def test_unknown_sort_names_answer_422_listing_the_allowed(
    http: AsyncClient, name: str
) -> None:
    response = await http.get("/books", params={"sort": name})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", "sort"]
    assert all(allowed in error["msg"] for allowed in SORTS.names)


async def test_openapi_shows_the_sort_names_as_an_enum_and_the_page_bounds(
    http: AsyncClient,
) -> None:
    schema = (await http.get("/openapi.json")).json()
    params = {p["name"]: p["schema"] for p in schema["paths"]["/books"]["get"]["parameters"]}
    assert params["sort"]["enum"] == list(SORTS.names)
    assert params["sort"]["default"] == "newest"
    assert (params["page"]["minimum"], params["page"]["default"]) == (1, 1)
    assert (params["page_size"]["minimum"], params["page_size"]["maximum"]) == (1, 5)
    assert params["page_size"]["default"] == 3
    page_model = schema["components"]["schemas"]["PageResponse_Book_"]
    assert page_model["properties"]["items"]["items"] == {"$ref": "#/components/schemas/Book"}


# -- relations in responses --------------------------------------------------------------------


async def test_loaded_relations_appear_in_responses(http: AsyncClient) -> None:
    book = (await http.get("/books/b3")).json()
    assert book["author"] == {"id": "a1", "name": "Ann"}  # its books: not loaded, left out
    author = (await http.get("/authors/a2")).json()
    assert [b["id"] for b in author["books"]] == ["b2", "b4", "b6"]
    assert all("author" not in b for b in author["books"])  # not loaded on that side
    unloaded = (await http.get("/books/b3/plain")).json()
    assert "author" not in unloaded and unloaded["id"] == "b3"  # not asked for: left out
    none = (await http.get("/authors/a3")).json()
    assert none["books"] == []  # loaded, and there are none: an empty list
    listed = (await http.get("/books", params={"sort": "title"})).json()
    assert [item["author"]["name"] for item in listed["items"]] == ["Ann", "Ann", "Ann"]


# -- the request-scoped unit of work -----------------------------------------------------------


async def test_a_post_commits_through_the_request_unit_of_work(http: AsyncClient) -> None:
    created = await http.post("/books", json={"title": "Kindred", "year": 1979, "author_id": "a2"})
    assert created.status_code == 201
    new_id = created.json()["id"]
    assert new_id  # generated by esorm on add
    fetched = await http.get(f"/books/{new_id}")
    assert fetched.json()["title"] == "Kindred"
    assert fetched.json()["author"]["name"] == "Bob"
    assert (await http.get("/books")).headers[TOTAL_HITS_HEADER] == "8"


async def test_a_request_failing_before_commit_writes_nothing(
    http: AsyncClient, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    refused = await http.post(
        "/books/draft", json={"title": "Never", "year": 2000, "author_id": "a1"}
    )
    assert refused.status_code == 400
    async with LibraryUow(es_client, registry) as uow:
        assert await uow.books.count() == 7
        assert not await uow.books.search_by_fields(title="Never")


async def test_one_unit_per_request_shared_by_its_dependencies_and_closed_after(
    app: FastAPI, http: AsyncClient
) -> None:
    assert (await http.get("/same-unit")).json() == {"same": True}
    await http.get("/books")
    await http.get("/books")
    first, second = app.state.units
    assert first is not second
    with pytest.raises(UnitOfWorkStateError, match="not active"):
        first.books.add(Book(title="late", year=1, author_id="a1"))


class LibraryContainer(EsormContainer):
    unit_of_work = providers.Factory(
        LibraryUow, client=EsormContainer.client, registry=EsormContainer.registry, refresh=True
    )


async def test_the_unit_of_work_can_come_from_the_container(
    es_client: AsyncElasticsearch, registry: Registry
) -> None:
    container = LibraryContainer(registry=registry)
    container.client.override(providers.Object(es_client))
    for title, source in (("By container", container), ("By provider", container.unit_of_work)):
        app = create_app(unit_of_work_dependency(source))  # type: ignore[arg-type]
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as http:
            new = {"title": title, "year": 2024, "author_id": "a1"}
            created = (await http.post("/books", json=new)).json()
            assert (await http.get(f"/books/{created['id']}")).json()["title"] == title


# -- errors as HTTP answers --------------------------------------------------------------------


async def test_esorm_errors_answer_with_their_status(http: AsyncClient) -> None:
    missing = await http.get("/books/nope")
    assert missing.status_code == 404
    assert "Book 'nope' not found" in missing.json()["detail"]
    conflict = await http.post(f"/books/{BOOKS[0].id}/race")
    assert conflict.status_code == 409
    (failure,) = conflict.json()["failures"]
    assert (failure["entity"], failure["id"], failure["status"]) == ("Book", BOOKS[0].id, 409)
    assert failure["error"] == "version_conflict_engine_exception"
    typo = await http.get("/books-where", params={"field": "titel", "value": "x"})
    assert typo.status_code == 400
    assert "did you mean 'title'" in typo.json()["detail"]


# -- problems of the data or of the cluster, not of the request ---------------------------------


async def test_a_stored_document_that_does_not_validate_answers_500(
    http: AsyncClient, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    index = registry.mapping_for(Book).index
    poisoned = {"id": "bad", "title": "T", "author_id": "a1"}  # written without a year
    await es_client.index(index=index, id="bad", document=poisoned, refresh=True)
    answer = await http.get("/books/bad")
    assert answer.status_code == 500
    assert answer.json() == {"detail": "stored Book 'bad' is invalid"}


async def test_a_cluster_refusing_the_apps_credentials_answers_503_not_401(
    fault_proxy: FaultProxy,
    make_proxy_client: Callable[..., AsyncElasticsearch],
    registry: Registry,
) -> None:
    client = make_proxy_client()
    app = create_app(unit_of_work_dependency(lambda: LibraryUow(client, registry)))
    fault_proxy.decide = on_request(lambda request: "/_doc/" in request.path, Fault.unauthorized())
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as http:
        answer = await http.get("/books/b1")
    assert answer.status_code == 503
    assert answer.json() == {"detail": "the data store is unavailable right now; try again later"}
