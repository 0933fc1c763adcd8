"""A real HTTP server on 127.0.0.1 that webhook actions call in tests.

It records every request and answers with `status`; with `hold` set, each request waits
until the test calls `release()`, so a test can act while an execution is in flight.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiohttp import web

from esorm.testing import find_free_port


@dataclass(frozen=True, slots=True)
class Call:
    """One request the target received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: str = field(repr=False)


class WebhookTarget:
    """Serves any path; `calls` lists what arrived, `received` is set on each arrival."""

    def __init__(self, *, status: int = 200, hold: bool = False) -> None:
        self.port = find_free_port()
        self.status = status
        self.hold = hold
        self.calls: list[Call] = []
        self.received = asyncio.Event()
        self._released = asyncio.Event()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def release(self) -> None:
        """Let held requests answer."""
        self._released.set()

    async def __aenter__(self) -> WebhookTarget:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release()
        assert self._runner is not None
        await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.text()
        self.calls.append(
            Call(request.method, request.path, dict(request.query), dict(request.headers), body)
        )
        self.received.set()
        if self.hold:
            await self._released.wait()
        return web.json_response({"ok": self.status < 400}, status=self.status)
