"""A real HTTP proxy in front of the server that rejects chosen bulk items with 429.

The embedded server never runs out of write capacity, so this stands in for an
overloaded Elasticsearch: rejected items are not forwarded, and their slots in the
`_bulk` answer carry the `es_rejected_execution_exception` a busy node sends.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import ClientSession, web

from esorm.testing import find_free_port


class RejectingProxy:
    """Forwards everything to `upstream`; `reject(doc_id, attempt)` picks bulk items to refuse."""

    def __init__(self, upstream: str, reject: Callable[[str, int], bool]) -> None:
        self.upstream = upstream.rstrip("/")
        self.reject = reject
        self.attempts: dict[str, int] = {}
        self.port = find_free_port()
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> RejectingProxy:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._session = ClientSession()
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None and self._session is not None
        await self._runner.cleanup()
        await self._session.close()

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if request.path.endswith("/_bulk") and request.method in ("POST", "PUT"):
            return await self._bulk(request, body)
        return await self._forward(request, body)

    async def _forward(self, request: web.Request, body: bytes) -> web.Response:
        assert self._session is not None
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")
        }
        async with self._session.request(
            request.method, self.upstream + request.path_qs, data=body or None, headers=headers
        ) as upstream:
            payload = await upstream.read()
            keep = {
                k: v
                for k, v in upstream.headers.items()
                if k.lower() in ("content-type", "x-elastic-product")
            }
            return web.Response(status=upstream.status, body=payload, headers=keep)

    async def _bulk(self, request: web.Request, body: bytes) -> web.Response:
        lines = [line for line in body.split(b"\n") if line.strip()]
        items: list[tuple[bytes, bytes | None, dict[str, Any]]] = []
        position = 0
        while position < len(lines):
            action = json.loads(lines[position])
            name = next(iter(action))
            source = lines[position + 1] if name != "delete" else None
            position += 1 if source is None else 2
            items.append((lines[position - (1 if source is None else 2)], source, action))
        forwarded: list[bytes] = []
        answers: list[dict[str, Any] | None] = []
        for action_line, source, action in items:
            name, meta = next(iter(action.items()))
            attempt = self.attempts.get(meta["_id"], 0) + 1
            self.attempts[meta["_id"]] = attempt
            if self.reject(meta["_id"], attempt):
                answers.append(
                    {
                        name: {
                            "_index": meta["_index"],
                            "_id": meta["_id"],
                            "status": 429,
                            "error": {
                                "type": "es_rejected_execution_exception",
                                "reason": "rejected execution: write queue full",
                            },
                        }
                    }
                )
            else:
                forwarded.extend([action_line] + ([source] if source is not None else []))
                answers.append(None)
        upstream_items: list[dict[str, Any]] = []
        if forwarded:
            response = await self._forward(request, b"\n".join(forwarded) + b"\n")
            upstream_items = json.loads(response.body)["items"]  # type: ignore[arg-type]
        merged = iter(upstream_items)
        result = [answer if answer is not None else next(merged) for answer in answers]
        payload = {
            "took": 1,
            "errors": any(next(iter(i.values())).get("error") for i in result),
            "items": result,
        }
        return web.json_response(payload, headers={"X-Elastic-Product": "Elasticsearch"})
