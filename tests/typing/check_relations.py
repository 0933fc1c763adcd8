"""Checked by mypy, never run: relation values and relation loading type as users expect."""

from __future__ import annotations

from typing import assert_type

from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel

from esorm import Registry, UnitOfWork
from esorm.domain import Many, One
from esorm.mapping import ByQuery, ToMany, ToOne, by_query, to_many, to_one


class Author(BaseModel):
    id: str
    name: str
    books: Many[Book] = Many()


class Book(BaseModel):
    id: str
    author_id: str
    author: One[Author] = One()


async def usage(client: AsyncElasticsearch) -> None:
    assert_type(to_one(Author, key="author_id"), ToOne[Author])
    assert_type(to_many(Book, key="author_id"), ToMany[Book])
    assert_type(by_query(Author, lambda a: {"term": {"name": a.name}}), ByQuery[Author])
    registry = Registry()
    registry.register(Author)
    registry.register(Book, relations={"author": to_one(Author, key="author_id")})
    registry.relate(Author, {"books": to_many(Book, key="author_id")}, load=["books"])
    async with UnitOfWork(client, registry, relation_concurrency=4) as uow:
        books = uow.repository(Book)
        book = await books.get("1", load=["author", "author.books"], depth=2)
        assert_type(book.author.loaded, bool)
        assert_type(book.author.get(), Author | None)
        assert_type(book.author.value, Author | None)
        author = book.author.get()
        if author is not None:
            assert_type(author.books.get(), list[Book])
            for each in author.books:
                assert_type(each, Book)
        assert_type(await books.load([book], "author"), list[Book])
        found = await books.search({"match_all": {}}, load=["author"])
        assert_type(found.items[0].author, One[Author])
