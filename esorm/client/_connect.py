"""Create a client, wait for the server and open a checked connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from elasticsearch import ApiError, AsyncElasticsearch, TransportError, UnsupportedProductError

from esorm.client._errors import client_hosts, describe_connection_error, probe_failure
from esorm.client._settings import ConnectionSettings
from esorm.client._version import check_server_version
from esorm.errors import ConnectionFailedError


def create_client(settings: ConnectionSettings) -> AsyncElasticsearch:
    """Build an ``AsyncElasticsearch`` from settings; no request is sent.

    The request timeout is set once here: passing ``request_timeout`` per call
    takes a slow deprecated path in elasticsearch-py 9.
    """
    return AsyncElasticsearch(**settings.client_kwargs())


async def wait_until_ready(
    client: AsyncElasticsearch,
    *,
    timeout: float,  # noqa: ASYNC109 - a deadline for many polls, not one await
    interval: float = 0.25,
) -> None:
    """Poll ``GET /`` until the server answers, or fail at the deadline.

    Connection errors, timeouts and 5xx answers (a node still starting) are
    retried every ``interval`` seconds. An answer that cannot improve by
    waiting fails at once: a rejected compatibility header raises
    ``VersionMismatchError``; refused credentials, a 404 or a server that is
    not Elasticsearch raise ``ConnectionFailedError``.

    Raises:
        ConnectionFailedError: The deadline passed (the message names the
            redacted URL and the last underlying error, never credentials),
            or the server answered with an error that waiting cannot fix.
        VersionMismatchError: The server refused the client's headers.
    """
    hosts = client_hosts(client)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: BaseException | None = None
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        try:
            async with asyncio.timeout(remaining):
                await client.info()
        except TransportError as exc:
            last = exc
        except TimeoutError as exc:
            last = exc
        except ApiError as exc:
            if exc.meta.status < 500 or isinstance(exc, UnsupportedProductError):
                raise probe_failure(exc, hosts) from exc
            last = exc
        else:
            return
        await asyncio.sleep(max(0.0, min(interval, deadline - loop.time())))
    detail = describe_connection_error(last, hosts) if last else f"could not reach {hosts}"
    raise ConnectionFailedError(f"{detail} (gave up after {timeout:g}s)") from last


@asynccontextmanager
async def connect(
    settings: ConnectionSettings, *, wait: float | None = None, check_version: bool = True
) -> AsyncIterator[AsyncElasticsearch]:
    """Open a client, optionally wait for the server and check its version; close on exit.

    Args:
        settings: Where and how to connect.
        wait: Seconds to wait for the server to answer; ``None`` does not wait.
        check_version: Whether to run ``check_server_version`` before yielding.
    """
    client = create_client(settings)
    try:
        if wait is not None:
            await wait_until_ready(client, timeout=wait)
        if check_version:
            await check_server_version(client)
        yield client
    finally:
        await client.close()
