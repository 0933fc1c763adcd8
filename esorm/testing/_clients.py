"""Clients for the test server, one per event loop; the server is checked once per session."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from elasticsearch import AsyncElasticsearch

from esorm.client import ConnectionSettings, check_server_version, create_client, wait_until_ready
from esorm.errors import ConfigurationError


class LoopClients:
    """Opens clients to one server and finds the one open on the running loop.

    An ``AsyncElasticsearch`` belongs to the loop it first sent on, so every
    loop gets its own. Creating one does no I/O; only the first client of the
    session waits for the server and checks its version (a failure is kept and
    raised again at once for later clients rather than waited for again).
    """

    def __init__(self, settings: ConnectionSettings, *, wait: float) -> None:
        self._settings = settings
        self._wait = wait
        self._open: dict[asyncio.AbstractEventLoop, AsyncElasticsearch] = {}
        self._info: Mapping[str, Any] | None = None
        self._failure: Exception | None = None
        self.opened = 0
        """How many clients were opened so far (one per loop)."""

    @property
    def server_is_emulator(self) -> bool:
        """True when the server said it is the noida-db emulator; known after the first open."""
        if self._info is None:
            raise ConfigurationError("no client to the test server was opened yet")
        return bool(self._info.get("version", {}).get("build_hash") == "noida")

    @asynccontextmanager
    async def open(self) -> AsyncIterator[AsyncElasticsearch]:
        """A client for the running loop, closed on exit (before its loop closes)."""
        loop = asyncio.get_running_loop()
        if loop in self._open:
            raise ConfigurationError("an esorm test client is already open on this event loop")
        client = create_client(self._settings)
        try:
            await self._check(client)
            self._open[loop] = client
            self.opened += 1
            yield client
        finally:
            self._open.pop(loop, None)
            await client.close()

    def on_running_loop(self) -> AsyncElasticsearch:
        """The client opened on the running loop."""
        client = self._open.get(asyncio.get_running_loop())
        if client is None:
            raise ConfigurationError("no esorm test client is open on this event loop")
        return client

    async def _check(self, client: AsyncElasticsearch) -> None:
        if self._info is not None:
            return
        if self._failure is not None:
            raise self._failure
        try:
            await wait_until_ready(client, timeout=self._wait)
            await check_server_version(client)
            self._info = (await client.info()).body
        except Exception as exc:
            self._failure = exc
            raise
