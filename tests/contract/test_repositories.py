"""Repositories on either store: relations in batches, partial loads, streams, pages, put."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel

from esorm.domain import Many, One
from esorm.mapping import Registry, to_many, to_one
from esorm.query import Pagination, SearchRequest
from esorm.repository import Repository
from esorm.store import DocumentStore
from esorm.testing import InMemoryStore, RecordingStore
from esorm.uow import UnitOfWork
from tests.contract._catalog import CreateIndices

pytestmark = pytest.mark.contract


class Author(BaseModel):
    id: str
    name: str
    region: str = "eu"
    books: Many[Book] = Many()


class Book(BaseModel):
    id: str
    title: str
    author_id: str
    year: int = 2000
    blurb: str = ""
    author: One[Author] = One()


Author.model_rebuild()


class LibraryUow(UnitOfWork):
    authors: Repository[Author]
    books: Repository[Book]


MakeUow = Callable[..., LibraryUow]


@pytest.fixture
async def library(calls: RecordingStore, prefix: str, create_indices: CreateIndices) -> MakeUow:
    registry = Registry(prefix=prefix)
    registry.register(Author, index="authors", default_sort="id")
    registry.register(
        Book,
        index="books",
        default_sort="id",
        relations={"author": to_one(Author, key="author_id")},
    )
    registry.relate(Author, {"books": to_many(Book, key="author_id", sort="id")})
    await create_indices(registry)

    def make(**options: Any) -> LibraryUow:
        return LibraryUow(calls, registry, **options)

    async with make(refresh=True) as uow:
        for n in range(3):
            uow.authors.add(Author(id=f"a{n}", name=f"Author {n}"))
        for n in range(12):
            book = Book(id=f"b{n:02}", title=f"Book {n}", author_id=f"a{n % 3}", year=1990 + n)
            uow.books.add(book)
        await uow.commit()
    calls.clear()
    return make


async def test_relations_load_for_a_whole_result_in_one_request_each(
    library: MakeUow, calls: RecordingStore
) -> None:
    async with library() as uow:
        books = (await uow.books.search(size=12, load=["author"])).items
        assert calls.methods() == ["search", "mget"]  # not one request per book
        authors = {book.author.get().id for book in books}  # type: ignore[union-attr]
        assert authors == {"a0", "a1", "a2"}
        assert books[0].author.get() is await uow.authors.get("a0")  # the tracked instance
        calls.clear()
        owners = await uow.authors.load([await uow.authors.get(f"a{n}") for n in range(3)], "books")
        assert calls.methods() == ["search"]  # one terms search for every owner
        assert [b.id for b in owners[1].books.get()] == ["b01", "b04", "b07", "b10"]
        assert owners[1].books.get()[0] is books[1]


async def test_a_partial_load_writes_only_what_changed(
    library: MakeUow, calls: RecordingStore
) -> None:
    async with library(refresh=True) as uow:
        book = await uow.books.get("b01", source_includes=["title", "author_id"])
        assert (book.title, book.year) == ("Book 1", 2000)  # left out: the default
        book.title = "Renamed"
        calls.clear()
        await uow.commit()
        (bulk,) = calls.to("bulk")
        assert [w.action for w in bulk.writes] == ["update"]
    async with library() as uow:
        stored = await uow.books.get("b01")
        assert (stored.title, stored.year, stored.author_id) == ("Renamed", 1991, "a1")


async def test_streams_walk_every_match_once_through_a_point_in_time(
    library: MakeUow, calls: RecordingStore, store: DocumentStore
) -> None:
    async with library() as uow:
        F = uow.books.fields
        async with uow.books.iterate(F.year >= 1992, page_size=4, sort="-year") as stream:
            years = [book.year async for book in stream]
        assert years == list(range(2001, 1991, -1))
        assert stream.pages == 3
        methods = calls.methods()
        assert methods[0] == "open_point_in_time" and methods[-1] == "close_point_in_time"
        assert methods.count("search_point_in_time") == 3
        assert len(uow.identity_map) == 0  # streamed entities are not tracked
        everything = await uow.books.all()
        assert [b.id for b in everything] == [f"b{n:02}" for n in range(12)]
    if isinstance(store, InMemoryStore):
        assert store.open_points_in_time == 0


async def test_pages_and_search_after_cursors(library: MakeUow) -> None:
    async with library() as uow:
        page = await uow.books.page(uow.books.fields.author_id == "a0", Pagination(2, 3))
        assert (page.total, page.total_is_exact, page.pages) == (4, True, 2)
        assert [b.id for b in page.items] == ["b09"]
        request = SearchRequest(sort="-year", size=5)
        first = await uow.books.execute(request)
        second = await uow.books.execute(request.replace(search_after=first.next_after))
        assert [b.year for b in first] + [b.year for b in second] == list(range(2001, 1991, -1))
        assert await uow.books.count(uow.books.fields.year < 1995) == 5
        assert await uow.books.aggregate(aggs={"last": {"max": {"field": "year"}}}) == {
            "last": {"value": 2001.0}
        }


async def test_put_overwrites_whatever_is_stored(library: MakeUow, calls: RecordingStore) -> None:
    async with library() as uow:
        uow.books.put(Book(id="b00", title="Imported", author_id="a2"))
        calls.clear()
        assert (await uow.commit()).updated == 1
        ((write,),) = [call.writes for call in calls.to("bulk")]
        assert (write.action, write.if_seq_no) == ("index", None)  # unguarded: last write wins
    async with library() as uow:
        stored = await uow.books.get("b00")
        assert (stored.title, stored.author_id, stored.year) == ("Imported", "a2", 2000)
