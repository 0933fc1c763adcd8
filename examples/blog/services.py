"""Use cases of the blog: each opens its unit of work, and only the unit of work writes."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from esorm import CommitResult, retry_on_conflict
from esorm.query import Page, Pagination, QueryLike, Sort
from examples.blog.domain import Post, User
from examples.blog.mapping import POSTS_SORT
from examples.blog.uow import BlogUnitOfWork


async def onboard(
    uow: BlogUnitOfWork, users: Iterable[User], posts: Iterable[Post]
) -> CommitResult:
    """Register users with the posts they already wrote, all in one commit (one `_bulk`).

    An import, not a publication: the posts record no events, and each user's counter
    is set from the posts imported with it.
    """
    users, posts = list(users), list(posts)
    by_id = {user.id: user for user in users}
    for post in posts:
        if post.author_id not in by_id:
            raise ValueError(f"post {post.id!r}: author {post.author_id!r} is not registered")
        if post.region != by_id[post.author_id].region:
            raise ValueError(f"post {post.id!r}: a post is stored in its author's region")
    for user in users:
        user.posts_published = sum(1 for post in posts if post.author_id == user.id)
    async with uow:
        uow.users.add_all(users)
        uow.posts.add_all(posts)
        return await uow.commit()


async def publish_post(
    uow: BlogUnitOfWork,
    author_id: str,
    post_id: str,
    *,
    title: str,
    body: str,
    at: datetime.datetime,
) -> Post:
    """Publish a new post; `PostPublished` goes to the bus once the commit confirmed it
    (and into the post's own document with it, for the outbox relay)."""
    async with uow:
        author = await uow.users.get(author_id)
        post = uow.posts.add(Post.publish(post_id, author, title=title, body=body, at=at))
        await uow.commit()
        return post


@retry_on_conflict(attempts=5)
async def rename_user(uow: BlogUnitOfWork, user_id: str, name: str) -> User:
    """Rename a user; on a version conflict the whole use case runs again from a fresh load."""
    async with uow:
        user = await uow.users.get(user_id)
        user.rename(name)
        await uow.commit()
        return user


async def change_post(
    uow: BlogUnitOfWork,
    post_id: str,
    region: str,
    *,
    title: str | None = None,
    body: str | None = None,
) -> Post:
    """Load a post (routed by its region) and edit it inside an open unit; the caller commits."""
    post = await uow.posts.get(post_id, routing=region)
    post.edit(title=title, body=body)
    return post


async def edit_post(
    uow: BlogUnitOfWork,
    post_id: str,
    region: str,
    *,
    title: str | None = None,
    body: str | None = None,
    attempts: int = 5,
) -> Post:
    """Edit a post and commit; `uow.run` retries from fresh loads when someone else won."""

    async def work(unit: BlogUnitOfWork) -> Post:
        return await change_post(unit, post_id, region, title=title, body=body)

    return await uow.run(work, attempts=attempts)


async def find_post(uow: BlogUnitOfWork, post_id: str, region: str) -> Post:
    """One post by id; posts are routed, so the region is needed to reach its shard."""
    async with uow:
        return await uow.posts.get(post_id, routing=region)


@dataclass(frozen=True, slots=True)
class PostWithAuthor:
    """A post and the user who wrote it, as a page of the blog shows them."""

    post: Post
    author: User


async def load_posts_with_authors(
    uow: BlogUnitOfWork, query: QueryLike | None = None, *, size: int = 10
) -> list[PostWithAuthor]:
    """The newest posts with their authors in two requests: a search and one `mget`.

    The repository loads the `author` relation for the whole result at once, with the
    author ids de-duplicated, instead of one request per post.
    """
    async with uow:
        posts = (await uow.posts.search(query, size=size, load=["author"])).items
        pairs = []
        for post in posts:
            author = post.author.get()
            if author is None:
                raise LookupError(f"post {post.id!r} names a missing author {post.author_id!r}")
            pairs.append(PostWithAuthor(post, author))
        return pairs


async def list_posts(
    uow: BlogUnitOfWork, page: int, page_size: int, query: QueryLike | None = None
) -> Page[Post]:
    """Page `page` (from 1) of the posts matching `query`, newest first, with the total."""
    async with uow:
        return await uow.posts.page(
            query, Pagination(page, page_size), sort=Sort.by(*POSTS_SORT, on=Post)
        )


@dataclass(frozen=True, slots=True)
class Walk:
    """What a deep iteration saw: every post id in order and the pages it fetched."""

    ids: Sequence[str]
    pages: int


async def walk_all_posts(uow: BlogUnitOfWork, *, page_size: int) -> Walk:
    """Visit every post through a point in time, page by page, without tracking them."""
    async with uow, uow.posts.iterate(page_size=page_size) as stream:
        ids = [post.id async for post in stream]
        return Walk(ids, stream.pages)
