"""(d) Load 100 posts with their 20 authors."""

from __future__ import annotations

from typing import Any

from benchmarks._context import Bench
from benchmarks._harness import Case
from benchmarks._models import Author, LinkedPost, Post, author_sources, post_sources
from esorm.uow import UnitOfWork

POSTS = 100
AUTHORS = 20


async def prepare(bench: Bench) -> None:
    """Read-only workload: authors and posts seeded once."""
    await bench.seed(Author, author_sources(AUTHORS))
    await bench.seed(LinkedPost, post_sources(POSTS, AUTHORS))


async def esorm_relations(bench: Bench, uow: UnitOfWork) -> list[tuple[Any, Any]]:
    """The esorm row: one search for the posts, one mget for their authors."""
    result = await uow.repository(LinkedPost).search(size=POSTS, load=["author"])
    return [(post, post.author.get()) for post in result.items]


def cases(bench: Bench) -> list[Case]:
    client, plain = bench.client, bench.plain
    posts_index, authors_index = bench.indices.post, bench.indices.author

    async def raw(_: None) -> None:
        response = await plain.search(index=posts_index, size=POSTS, seq_no_primary_term=True)
        posts = [Post.model_validate(hit["_source"]) for hit in response.body["hits"]["hits"]]
        ids = list(dict.fromkeys(post.author_id for post in posts))
        found = await plain.mget(index=authors_index, ids=ids)
        authors = {
            doc["_id"]: Author.model_validate(doc["_source"])
            for doc in found.body["docs"]
            if doc.get("found")
        }
        pairs = [(post, authors[post.author_id]) for post in posts]
        assert len(pairs) == POSTS

    async def open_uow() -> UnitOfWork:
        uow = UnitOfWork(client, bench.registry)
        await uow.__aenter__()
        return uow

    async def close_uow(uow: UnitOfWork) -> None:
        await uow.__aexit__(None, None, None)

    async def esorm(uow: UnitOfWork) -> None:
        pairs = await esorm_relations(bench, uow)
        assert len(pairs) == POSTS
        assert all(author is not None for _, author in pairs)

    async def pe(_: None) -> None:
        posts: list[Any] = await bench.peer().Post.search({"match_all": {}}, page_size=POSTS)
        assert len(posts) == POSTS
        assert all(p.author is not None for p in posts)

    async def dsl(_: None) -> None:
        search = bench.dsl.Post.search(using=plain).extra(size=POSTS, seq_no_primary_term=True)
        posts = list(await search.execute())
        ids = list(dict.fromkeys(post.author_id for post in posts))
        found = await bench.dsl.Author.mget(ids, using=plain)
        authors = {doc.meta.id: doc for doc in found if doc is not None}
        pairs = [(post, authors[post.author_id]) for post in posts]
        assert len(pairs) == POSTS

    return [
        Case("raw search + mget", "elasticsearch", "baseline", raw, note="2 requests"),
        Case("esorm relations", "esorm", "target", esorm, open_uow, close_uow),
        Case(
            "ESORM lazy_property",
            "pyesorm",
            "peer",
            pe,
            note="one get per post, 16 at a time",
        ),
        Case("dsl search + Document.mget", "elasticsearch.dsl", "peer", dsl),
    ]
