"""Issue 10: a stream must not keep its point in time open past its unit of work.

`async for ... in repo.iterate(...)` left with `break` (or by an exception in the loop
body) without `async with` never reaches the stream's end, so its point in time stays
open on the server until the stream object is garbage collected, or until its
keep-alive runs out. The unit of work that opened the stream has ended by then; leaving
its block must close every stream it opened.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable

import pytest
from elasticsearch import ApiError, AsyncElasticsearch

from esorm.repository import HitStream
from tests.integration._blog import BlogUnitOfWork, Counter
from tests.integration._support import seed

pytestmark = pytest.mark.integration

MakeUow = Callable[..., BlogUnitOfWork]


class UseCaseFailed(Exception):
    pass


async def leave_with_break(stream: HitStream[Counter]) -> None:
    async for _ in stream:
        break


async def leave_with_an_error(stream: HitStream[Counter]) -> None:
    async for _ in stream:
        raise UseCaseFailed


@pytest.mark.parametrize(
    "leave", [leave_with_break, leave_with_an_error], ids=["break", "exception"]
)
async def test_leaving_the_unit_of_work_closes_the_point_in_time_of_a_stream_left_early(
    make_uow: MakeUow,
    es_client: AsyncElasticsearch,
    leave: Callable[[HitStream[Counter]], Awaitable[None]],
) -> None:
    await seed(make_uow, *(Counter(id=str(i), value=i) for i in range(5)))
    streams: list[HitStream[Counter]] = []  # held, so no finalizer closes it for us
    open_while_running: list[str | None] = []
    with contextlib.suppress(UseCaseFailed):
        async with make_uow() as uow:
            stream = uow.counters.iterate(page_size=2)
            streams.append(stream)
            try:
                await leave(stream)
            finally:
                open_while_running.append(stream.pit_id)
    (stream,) = streams
    (pit_id,) = open_while_running
    assert pit_id is not None  # the stream may go on while its unit of work runs
    assert stream.pit_id is None, "the stream still holds its point in time"
    with pytest.raises(ApiError) as caught:  # and the server no longer has it
        await es_client.search(pit={"id": pit_id}, size=0)
    assert caught.value.meta.status == 404
