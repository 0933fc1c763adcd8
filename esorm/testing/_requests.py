"""Recording what a client sends, at the transport, so tests can count and inspect requests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import AsyncElasticsearch


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the transport saw it."""

    method: str
    path: str
    body: Any = field(repr=False, default=None)

    @property
    def endpoint(self) -> str:
        """The last path segment naming the API, e.g. `_bulk`, `_mget`, `_search`."""
        path = self.path.split("?", 1)[0]
        return next((p for p in reversed(path.split("/")) if p.startswith("_")), path)

    def ndjson(self) -> list[dict[str, Any]]:
        """The body of a bulk-style request, one decoded dict per line."""
        raw = self.body
        if isinstance(raw, bytes | bytearray):
            raw = raw.decode()
        if isinstance(raw, str):
            return [json.loads(line) for line in raw.splitlines() if line.strip()]
        return [json.loads(line) if isinstance(line, str | bytes) else line for line in raw]


@dataclass
class RequestLog:
    """Requests recorded while a `record_requests` block was open, and peak concurrency."""

    requests: list[RecordedRequest] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    def __len__(self) -> int:
        return len(self.requests)

    def to(self, endpoint: str) -> list[RecordedRequest]:
        """The recorded requests to one API endpoint, e.g. `log.to("_bulk")`."""
        return [r for r in self.requests if r.endpoint == endpoint]

    def clear(self) -> None:
        """Forget what was recorded so far."""
        self.requests.clear()
        self.max_in_flight = self.in_flight


@contextmanager
def record_requests(client: AsyncElasticsearch, *, bodies: bool = True) -> Iterator[RequestLog]:
    """Record every request the client (and its `.options()` copies) sends inside the block.

    Args:
        bodies: keep each request's body (`RecordedRequest.body`); False records method
            and path only, for counting requests where the bodies kept alive would
            distort what is measured (peak memory).
    """
    transport = client.transport
    original = transport.perform_request
    log = RequestLog()

    async def perform_request(method: str, target: str, **kwargs: Any) -> Any:
        body = kwargs.get("body") if bodies else None
        log.requests.append(RecordedRequest(method, target, body))
        log.in_flight += 1
        log.max_in_flight = max(log.max_in_flight, log.in_flight)
        try:
            return await original(method, target, **kwargs)
        finally:
            log.in_flight -= 1

    transport.perform_request = perform_request  # type: ignore[method-assign]
    try:
        yield log
    finally:
        transport.perform_request = original  # type: ignore[method-assign]
