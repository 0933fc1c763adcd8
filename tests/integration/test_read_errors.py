"""Issue 10: reads that meet an error answer raise esorm's errors, never the client's.

Refused credentials (401), a missing privilege (403) and server errors (5xx) reach the
caller today as `elasticsearch.AuthenticationException`, `AuthorizationException` or
`ApiError`, so `except esorm.EsormError` misses them. They must be
`ConnectionFailedError`s (the cluster cannot be worked with as configured), and, like
every esorm message, never show a credential: the proxy client's URL carries
`PROXY_USER:PROXY_PASSWORD@`.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from esorm.errors import ConnectionFailedError
from tests.integration._blog import BlogUnitOfWork, User
from tests.integration._fault_proxy import (
    PROXY_PASSWORD,
    PROXY_USER,
    Fault,
    FaultProxy,
    on_request,
)
from tests.integration._support import seed

pytestmark = pytest.mark.integration

MakeUow = Callable[..., BlogUnitOfWork]


async def first_streamed(uow: BlogUnitOfWork) -> Any:
    async with uow.users.iterate(page_size=10) as stream:
        async for user in stream:
            return user
    return None


READS: dict[str, Callable[[BlogUnitOfWork], Awaitable[Any]]] = {
    "get": lambda uow: uow.users.get("u1"),
    "find": lambda uow: uow.users.find("u1"),
    "get_many": lambda uow: uow.users.get_many(["u1", "u2"]),
    "exists": lambda uow: uow.users.exists("u1"),
    "search": lambda uow: uow.users.search(size=10),
    "count": lambda uow: uow.users.count(),
    "iterate": first_streamed,
}

ANSWERS = {
    "401": Fault.unauthorized(),
    "403": Fault.forbidden(),
    "500": Fault.server_error(500),
    "503": Fault.server_error(503),
}


@pytest.mark.parametrize("answer", list(ANSWERS))
@pytest.mark.parametrize("read", list(READS))
async def test_a_read_refused_by_the_server_raises_connection_failed_without_credentials(
    fault_proxy: FaultProxy,
    make_uow: MakeUow,
    make_proxy_uow: MakeUow,
    read: str,
    answer: str,
) -> None:
    await seed(make_uow, User(id="u1", first_name="a"), User(id="u2", first_name="b"))
    fault_proxy.decide = on_request(lambda request: not request.is_bulk, ANSWERS[answer])
    async with make_proxy_uow() as uow:
        with pytest.raises(ConnectionFailedError) as caught:
            await READS[read](uow)
    assert fault_proxy.requests, "the read never reached the proxy"
    message = str(caught.value)
    token = base64.b64encode(f"{PROXY_USER}:{PROXY_PASSWORD}".encode()).decode()
    for secret in (PROXY_PASSWORD, PROXY_USER, token):
        assert secret not in message
