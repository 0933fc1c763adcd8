"""The blog over HTTP (FastAPI): posts with ETags, changed or deleted only under `If-Match`.

A client reads a post and gets its `ETag`; it sends it back as `If-Match` when it writes.
The write is guarded by that version in Elasticsearch itself, so a client that read an
older version gets 412 with the current `ETag`, even when another request wrote between
this one's read and its commit. `If-None-Match: *` on a PUT creates a post only.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from pydantic import BaseModel, Field

from esorm.fastapi import (
    EXPOSE_HEADERS,
    PRECONDITION_HEADERS,
    ReadPreconditions,
    WritePreconditions,
    conditional_responses,
    install_error_handlers,
    read_preconditions,
    set_etag,
    write_preconditions,
)
from examples.blog.container import BlogContainer
from examples.blog.domain import Post
from examples.blog.uow import BlogUnitOfWork

POST_PATH = "/regions/{region}/posts/{post_id}"
"""Posts are routed by region, so the region is part of the address."""


class PostContent(BaseModel):
    """What a client sends to create or replace a post; the server keeps the rest."""

    author_id: str
    title: str
    body: str
    tags: list[str] = Field(default_factory=list)


async def unit_of_work(request: Request) -> AsyncIterator[BlogUnitOfWork]:
    """The request's own unit of work, from the container the app was created with."""
    container: BlogContainer = request.app.state.container
    async with container.unit_of_work() as uow:
        yield uow


Uow = Annotated[BlogUnitOfWork, Depends(unit_of_work)]
Reads = Annotated[ReadPreconditions, Depends(read_preconditions())]
Writes = Annotated[WritePreconditions, Depends(write_preconditions())]  # 428 without If-Match

router = APIRouter()


@router.get(POST_PATH, responses=conditional_responses())
async def read_post(
    region: str, post_id: str, response: Response, uow: Uow, preconditions: Reads
) -> Post:
    """The post with its `ETag`; 304 while the client's copy (`If-None-Match`) is current."""
    post = await uow.posts.get(post_id, routing=region)
    return preconditions.answer(response, uow, post)


@router.put(POST_PATH, responses=conditional_responses(200, 201, write=True))
async def put_post(
    region: str,
    post_id: str,
    content: PostContent,
    response: Response,
    uow: Uow,
    preconditions: Writes,
) -> Post:
    """Replace the post under `If-Match` (200), or create it under `If-None-Match: *` (201)."""
    post = await preconditions.find(uow.posts, post_id, routing=region)
    if post is None:
        post = preconditions.add(uow.posts, _new_post(post_id, region, content))
        response.status_code = 201
    elif content.author_id != post.author_id:
        raise HTTPException(422, detail=f"post {post_id!r} keeps its author {post.author_id!r}")
    else:
        post.edit(title=content.title, body=content.body, tags=content.tags)
    await uow.commit()
    return set_etag(response, uow, post)


@router.delete(POST_PATH, status_code=204, responses=conditional_responses(204, write=True))
async def delete_post(region: str, post_id: str, uow: Uow, preconditions: Writes) -> None:
    """Delete the post if it is still at the version `If-Match` names."""
    uow.posts.remove(await preconditions.load(uow.posts, post_id, routing=region))
    await uow.commit()


def create_app(container: BlogContainer, *, origins: list[str] | None = None) -> FastAPI:
    """The blog's HTTP API over a container whose resources the caller initialises.

    Args:
        origins: browser origins allowed by CORS; they may send the precondition headers
            and read the `ETag` (and total-hit) headers.
    """
    app = FastAPI(title="esorm blog")
    app.state.container = container
    install_error_handlers(app)  # 412 with the current ETag, 404, 409, 503, ...
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins or [],
        allow_methods=["GET", "PUT", "DELETE"],
        allow_headers=["content-type", *PRECONDITION_HEADERS],
        expose_headers=list(EXPOSE_HEADERS),
    )
    app.include_router(router)
    return app


def _new_post(post_id: str, region: str, content: PostContent) -> Post:
    return Post(
        id=post_id,
        region=region,
        author_id=content.author_id,
        title=content.title,
        body=content.body,
        tags=content.tags,
        published_at=datetime.datetime.now(datetime.UTC),
    )
