"""A fault-injecting HTTP proxy in front of the real server, for adversarial commit tests.

`FaultProxy` is a real aiohttp server in the test process. Every request it receives is
recorded (`proxy.exchanges`: method, path, for `_bulk` the items with their ids, what was
done to it) and then either forwarded unchanged or handled by the `Fault` that
`proxy.decide(request)` returns for it::

    async with FaultProxy(upstream_url, nth_bulk(1, Fault.lose_response())) as proxy:
        client = create_client(ConnectionSettings(hosts=[proxy.url]))
        ...                                  # the first _bulk is applied, its answer lost
        assert proxy.count("_bulk") == 2     # aiohttp re-sent the PUT by itself

`decide` may be replaced at any time (`proxy.decide = every_bulk(Fault.reset())`); the
helpers below build the usual ones (`nth_bulk`, `every_bulk`, `random_bulk`, `first_of`,
`limited`, `on_request`).

Dropping a connection from aiohttp's server side
------------------------------------------------
A handler can drop its connection through `request.transport`. `transport.abort()`
closes the socket at once, discarding anything buffered (the peer sees EOF:
`ServerDisconnectedError`); setting `SO_LINGER` to (on, 0) on the socket first turns the
close into a TCP RST (the peer sees `ClientOSError: [Errno 104] Connection reset by
peer`). `transport.close()` flushes what was written, then sends FIN: that is how
`Fault.truncate` delivers part of a body announced at full length. The handler then
returns any response; aiohttp drops it silently, since the transport is gone. All three
were checked on the wire (tests/integration/test_fault_proxy.py): the client really sees
a dropped connection, and aiohttp's client treats EOF and RST alike.

What the client stack does with such faults (measured through this proxy, elasticsearch
9.5.1, elastic-transport 9.4.2, aiohttp 3.14.5; pinned in test_fault_proxy.py)
------------------------------------------------------------------------------------------
- elasticsearch-py sends `_bulk` as `PUT`. aiohttp's `ClientSession` re-sends a request
  whose method is idempotent (GET, HEAD, OPTIONS, TRACE, PUT, DELETE) once when the
  connection fails with `ClientOSError`/`ServerDisconnectedError` after it was sent, on a
  fresh connection as well as a reused one, whatever the transport's `max_retries` says.
  A dropped `PUT _bulk` therefore reaches the proxy twice with `max_retries=0`, and
  2 x (max_retries + 1) times in all when every copy is dropped: 8 times with esorm's
  default `max_retries=3`. A `POST _bulk` is sent once per transport attempt. (The
  switch is `ClientSession._retry_connection`, private; aiohttp's own test client turns
  it off. `IDEMPOTENT_METHODS` in `aiohttp.client` lists the methods.)
- elastic_transport retries a request, `max_retries` times (esorm: 3), on connection
  errors (each retry again doubled by aiohttp for PUT) and on the statuses in
  `retry_on_status`, by default (429, 502, 503, 504): a whole-request 429 or a 502 after
  forwarding reaches the server 4 times. Its backoff (`retry_backoff_base`) is 0 by
  default, so the retries follow each other within milliseconds (4 whole-request 429s
  arrived within 1.5 ms). esorm's `_bulk` code sees only the last answer: a 200 whose
  items say 409 when an earlier copy was applied.
- A timeout (`ConnectionTimeout`) is retried only with `retry_on_timeout=True` (esorm's
  default is False); aiohttp never re-sends after a timeout.
- A body that does not parse (garbled, or cut short with a matching Content-Length)
  raises `SerializationError`, a `TransportError` that is not retried. A body cut short
  below its announced Content-Length is a `ClientPayloadError`, a connection error:
  retried by the transport, but not re-sent by aiohttp (the answer had begun).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import enum
import json
import random
import socket
import struct
from collections import Counter
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, web
from pydantic import SecretStr

from esorm.client import ConnectionSettings
from esorm.testing import find_free_port


class FaultKind(enum.Enum):
    """What the proxy does instead of (or after) forwarding a request."""

    RESET = "reset the connection before forwarding"
    LOSE_RESPONSE = "forward, then reset the connection without answering"
    STATUS_AFTER = "forward, then answer a status instead of the server's answer"
    STATUS = "answer a status without forwarding"
    TRUNCATE = "forward, then send only part of the answer"
    GARBLE = "forward, then answer with the JSON garbled"
    DROP_ITEMS = "forward, then drop items from the bulk answer"
    REJECT_ITEMS = "reject chosen bulk items with 429, forward the rest"
    HANG_AFTER = "forward, then hold the answer back"
    HANG_BEFORE = "hold the request, never forward it, then reset the connection"
    DELAY = "hold the request, then forward it"


PROXY_USER = "proxy-user-7f3a"
PROXY_PASSWORD = "proxy-S3cret-9c2e"
"""Credentials the proxy clients of the tests carry in their URL (the proxy ignores them
and never forwards them); no esorm message may ever show them."""

RejectItem = Callable[[str, int], bool]
"""Chooses bulk items to reject: (document id, how many times the proxy has seen it)."""

GARBLE_MARK = b"\x00<<garbled by FaultProxy>>"
"""What `Fault.garble` puts in the middle of an answer: a raw NUL is invalid JSON both
inside and outside a string, so the answer never parses."""


@dataclass(frozen=True, slots=True)
class Fault:
    """One misbehaviour; build them with the class methods."""

    kind: FaultKind
    status: int = 0
    body: bytes = b""
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)
    keep: float = 0.5
    """TRUNCATE: the fraction of the body sent."""
    full_length: bool = True
    """TRUNCATE: announce the whole body's length (then close), or the part's."""
    drop: int = 1
    """DROP_ITEMS: how many items are removed from the end of the answer."""
    drop_ids: frozenset[str] = frozenset()
    """DROP_ITEMS: remove these ids' items instead."""
    reject: RejectItem | None = None
    seconds: float = 0.0

    # -- the connection --------------------------------------------------------------------

    @classmethod
    def reset(cls) -> Fault:
        """Drop the connection (RST) before forwarding: the server sees nothing."""
        return cls(FaultKind.RESET)

    @classmethod
    def lose_response(cls) -> Fault:
        """Forward, let the server apply it, then drop the connection without answering."""
        return cls(FaultKind.LOSE_RESPONSE)

    @classmethod
    def hang(cls, seconds: float, *, forwarded: bool = True) -> Fault:
        """Hold the answer back for `seconds` (or until the proxy stops).

        With `forwarded` the server applies the request first and its answer is sent
        afterwards (to a client that gave up long ago); without, the request is never
        forwarded and the connection is dropped at the end.
        """
        return cls(FaultKind.HANG_AFTER if forwarded else FaultKind.HANG_BEFORE, seconds=seconds)

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Hold the request for `seconds`, then forward it: it may arrive after a timeout."""
        return cls(FaultKind.DELAY, seconds=seconds)

    # -- the status --------------------------------------------------------------------------

    @classmethod
    def status_after(cls, status: int = 502, *, html: bool = False) -> Fault:
        """Forward, let the server apply it, then answer `status` (502, 503, 504) instead.

        The body is JSON by default; `html` sends the text/html page a gateway like
        nginx sends.
        """
        if html:
            page = f"<html><body><h1>{status} Bad Gateway</h1></body></html>".encode()
            return cls(FaultKind.STATUS_AFTER, status, page, "text/html")
        body = json.dumps({"error": f"gateway error {status}", "status": status}).encode()
        return cls(FaultKind.STATUS_AFTER, status, body)

    @classmethod
    def status_only(
        cls,
        status: int,
        body: Mapping[str, Any] | bytes | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> Fault:
        """Answer `status` without forwarding: the server never sees the request."""
        if body is None:
            body = {"error": {"type": "proxy_error", "reason": f"status {status}"}}
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return cls(FaultKind.STATUS, status, raw, headers=dict(headers or {}))

    @classmethod
    def too_many_requests(cls) -> Fault:
        """A whole-request 429, as an Elasticsearch node under indexing pressure sends it."""
        reason = (
            "rejected execution of coordinating operation [coordinating_and_primary_bytes="
            "0, replica_bytes=0, all_bytes=0, coordinating_operation_bytes=1048576, "
            "max_coordinating_and_primary_bytes=107374182]"
        )
        error = {"type": "es_rejected_execution_exception", "reason": reason}
        return cls.status_only(429, {"error": {**error, "root_cause": [error]}, "status": 429})

    @classmethod
    def unauthorized(cls) -> Fault:
        """401 as Elasticsearch answers refused credentials (without naming the user)."""
        error = {
            "type": "security_exception",
            "reason": "unable to authenticate user for REST request",
            "header": {"WWW-Authenticate": ['Basic realm="security" charset="UTF-8"']},
        }
        return cls.status_only(
            401,
            {"error": {**error, "root_cause": [error]}, "status": 401},
            headers={"WWW-Authenticate": 'Basic realm="security" charset="UTF-8"'},
        )

    @classmethod
    def forbidden(cls) -> Fault:
        """403 as Elasticsearch answers a user without the privilege."""
        error = {
            "type": "security_exception",
            "reason": "action [indices:data/read/search] is unauthorized for this user",
        }
        return cls.status_only(403, {"error": {**error, "root_cause": [error]}, "status": 403})

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        """A 5xx answer from the node itself, without forwarding."""
        error = {"type": "internal_server_error", "reason": f"the node failed ({status})"}
        return cls.status_only(
            status, {"error": {**error, "root_cause": [error]}, "status": status}
        )

    # -- the body ---------------------------------------------------------------------------

    @classmethod
    def truncate(cls, keep: float = 0.5, *, full_length: bool = True) -> Fault:
        """Forward, then send only the first `keep` of the answer.

        With `full_length` the headers announce the whole body and the connection is
        closed after the part (a payload error for the client); without, the part is
        sent as a complete, unparseable body.
        """
        return cls(FaultKind.TRUNCATE, keep=keep, full_length=full_length)

    @classmethod
    def garble(cls) -> Fault:
        """Forward, then answer with `GARBLE_MARK` in the middle of the server's JSON."""
        return cls(FaultKind.GARBLE)

    @classmethod
    def drop_items(cls, count: int = 1, *, ids: Iterable[str] = ()) -> Fault:
        """Forward, then remove items from the `_bulk` answer (the last `count`, or `ids`)."""
        return cls(FaultKind.DROP_ITEMS, drop=count, drop_ids=frozenset(ids))

    @classmethod
    def reject_items(cls, reject: RejectItem) -> Fault:
        """Answer the chosen bulk items with a 429 rejection; forward only the others."""
        return cls(FaultKind.REJECT_ITEMS, reject=reject)


@dataclass(frozen=True, slots=True)
class BulkItem:
    """One item of a `_bulk` request: its action and the NDJSON lines that carry it."""

    action: str
    index: str | None
    id: str | None
    lines: tuple[bytes, ...] = field(repr=False)


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """A request as the proxy received it; what `decide` looks at."""

    number: int
    """1-based position among all requests the proxy received."""
    method: str
    path: str
    query: str
    body: bytes = field(repr=False)
    bulk_number: int | None = None
    """1-based position among the `_bulk` requests, None for other requests."""
    items: tuple[BulkItem, ...] = ()
    received_at: float = 0.0
    """The event loop's clock when the request arrived."""

    @property
    def is_bulk(self) -> bool:
        return self.bulk_number is not None

    @property
    def endpoint(self) -> str:
        """The last path segment naming the API (`_bulk`, `_doc`, `_search`), or the path."""
        return next((p for p in reversed(self.path.split("/")) if p.startswith("_")), self.path)

    @property
    def ids(self) -> tuple[str | None, ...]:
        """The document ids of a `_bulk` request's items, in order."""
        return tuple(item.id for item in self.items)


@dataclass(slots=True)
class Exchange:
    """What happened to one request: the fault applied, whether the server saw it."""

    request: RequestInfo
    fault: Fault | None
    forwarded: bool = False
    upstream_status: int | None = None
    """What the server answered, when the request was forwarded."""
    answered: int | None = None
    """The status the client was sent; None when the connection was dropped."""


Decide = Callable[[RequestInfo], Fault | None]


class FaultProxy:
    """Forwards every request to `upstream`, misbehaving where `decide` says so.

    Use as `async with FaultProxy(url, decide) as proxy:`. The client's own
    `Authorization` header is not forwarded; `upstream_headers` (e.g. the real
    server's credentials) are sent instead.
    """

    def __init__(
        self,
        upstream: str,
        decide: Decide | None = None,
        *,
        upstream_headers: Mapping[str, str] | None = None,
        verify_upstream_certs: bool = True,
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.decide = decide
        self.exchanges: list[Exchange] = []
        self.item_attempts: Counter[str] = Counter()
        """How many times each document id came in a `_bulk` request."""
        self.port = find_free_port()
        self._upstream_headers = dict(upstream_headers or {})
        self._verify = verify_upstream_certs
        self._bulk_count = 0
        self.bulk_in_flight = 0
        """`_bulk` requests received and not yet answered, now."""
        self.most_bulk_in_flight = 0
        """The most `_bulk` requests that were in flight at once."""
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self._stopping = asyncio.Event()

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url_with_credentials(self, user: str, password: str) -> str:
        """The proxy's URL with `user:password@` in it (the proxy ignores them)."""
        return f"http://{user}:{password}@127.0.0.1:{self.port}"

    async def __aenter__(self) -> FaultProxy:
        app = web.Application(client_max_size=1024**3)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._session = ClientSession(timeout=ClientTimeout(total=120))
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stopping.set()  # hanging handlers finish now
        assert self._runner is not None and self._session is not None
        await self._runner.cleanup()
        await self._session.close()

    # -- what was seen -----------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestInfo]:
        return [exchange.request for exchange in self.exchanges]

    @property
    def bulk(self) -> list[Exchange]:
        """The exchanges of `_bulk` requests, in arrival order."""
        return [exchange for exchange in self.exchanges if exchange.request.is_bulk]

    def count(self, endpoint: str | None = None, method: str | None = None) -> int:
        """How many requests came (to one endpoint such as `_bulk`, with one method)."""
        return sum(
            1
            for r in self.requests
            if (endpoint is None or r.endpoint == endpoint)
            and (method is None or r.method == method)
        )

    def bulk_ids(self, *, forwarded_only: bool = False) -> list[tuple[str | None, ...]]:
        """The item ids of every `_bulk` request received (or only those forwarded)."""
        return [e.request.ids for e in self.bulk if e.forwarded or not forwarded_only]

    def clear(self) -> None:
        """Forget what was recorded; numbering (`number`, `bulk_number`) starts again."""
        self.exchanges.clear()
        self.item_attempts.clear()
        self._bulk_count = 0
        self.most_bulk_in_flight = self.bulk_in_flight

    # -- handling ----------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        info = self._describe(request, body)
        fault = self.decide(info) if self.decide is not None else None
        exchange = Exchange(info, fault)
        self.exchanges.append(exchange)
        if info.is_bulk:
            self.bulk_in_flight += 1
            self.most_bulk_in_flight = max(self.most_bulk_in_flight, self.bulk_in_flight)
        try:
            return await self._apply(request, body, exchange, fault)
        except ClientError as exc:  # the server is unreachable: answer as a gateway does
            error = json.dumps({"error": f"upstream failed: {exc!r}", "status": 502}).encode()
            return _answer(exchange, 502, error, "application/json", {})
        finally:
            if info.is_bulk:
                self.bulk_in_flight -= 1

    async def _apply(
        self, request: web.Request, body: bytes, exchange: Exchange, fault: Fault | None
    ) -> web.StreamResponse:
        if fault is None:
            return await self._pass(request, body, exchange)
        kind = fault.kind
        if kind is FaultKind.RESET:
            return _reset(request)
        if kind is FaultKind.STATUS:
            return _answer(exchange, fault.status, fault.body, fault.content_type, fault.headers)
        if kind is FaultKind.REJECT_ITEMS:
            return await self._reject_items(request, body, exchange, fault)
        if kind is FaultKind.HANG_BEFORE:
            await self._wait(fault.seconds)
            return _reset(request)
        if kind is FaultKind.DELAY:
            await self._wait(fault.seconds)
            return await self._pass(request, body, exchange)
        status, headers, payload = await self._forward(request, body, exchange)
        if kind is FaultKind.LOSE_RESPONSE:
            return _reset(request)
        if kind is FaultKind.STATUS_AFTER:
            return _answer(exchange, fault.status, fault.body, fault.content_type, fault.headers)
        if kind is FaultKind.HANG_AFTER:
            await self._wait(fault.seconds)
            return _answer(exchange, status, payload, headers.get("Content-Type"), headers)
        if kind is FaultKind.GARBLE:
            middle = len(payload) // 2
            garbled = payload[:middle] + GARBLE_MARK + payload[middle:]
            return _answer(exchange, status, garbled, headers.get("Content-Type"), headers)
        if kind is FaultKind.DROP_ITEMS:
            return _answer(
                exchange, status, _drop_items(payload, fault), headers.get("Content-Type"), headers
            )
        if kind is FaultKind.TRUNCATE:
            return await _truncate(request, exchange, status, headers, payload, fault)
        raise AssertionError(f"unhandled fault {kind}")  # pragma: no cover

    def _describe(self, request: web.Request, body: bytes) -> RequestInfo:
        items: tuple[BulkItem, ...] = ()
        bulk_number = None
        if request.path.rstrip("/").endswith("/_bulk") and request.method in ("POST", "PUT"):
            self._bulk_count += 1
            bulk_number = self._bulk_count
            items = tuple(_bulk_items(body, _index_of_path(request.path)))
            self.item_attempts.update(item.id for item in items if item.id is not None)
        return RequestInfo(
            number=len(self.exchanges) + 1,
            method=request.method,
            path=request.path,
            query=request.query_string,
            body=body,
            bulk_number=bulk_number,
            items=items,
            received_at=asyncio.get_running_loop().time(),
        )

    async def _wait(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _forward(
        self, request: web.Request, body: bytes, exchange: Exchange
    ) -> tuple[int, dict[str, str], bytes]:
        assert self._session is not None
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() not in ("host", "content-length", "authorization", "accept-encoding")
        }
        headers.update(self._upstream_headers)
        async with self._session.request(
            request.method,
            self.upstream + request.path_qs,
            data=body or None,
            headers=headers,
            ssl=self._verify,
        ) as upstream:
            payload = await upstream.read()
            kept = {
                k: v
                for k, v in upstream.headers.items()
                if k.lower() in ("content-type", "x-elastic-product")
            }
        exchange.forwarded = True
        exchange.upstream_status = upstream.status
        return upstream.status, kept, payload

    async def _pass(self, request: web.Request, body: bytes, exchange: Exchange) -> web.Response:
        status, headers, payload = await self._forward(request, body, exchange)
        return _answer(exchange, status, payload, headers.get("Content-Type"), headers)

    async def _reject_items(
        self, request: web.Request, body: bytes, exchange: Exchange, fault: Fault
    ) -> web.StreamResponse:
        assert fault.reject is not None
        forwarded: list[bytes] = []
        answers: list[dict[str, Any] | None] = []
        for item in exchange.request.items:
            doc_id = item.id or ""
            if fault.reject(doc_id, self.item_attempts[doc_id]):
                error = {
                    "type": "es_rejected_execution_exception",
                    "reason": "rejected execution: write queue full",
                }
                slot = {"_index": item.index, "_id": item.id, "status": 429, "error": error}
                answers.append({item.action: slot})
            else:
                forwarded.extend(item.lines)
                answers.append(None)
        upstream_items: list[dict[str, Any]] = []
        if forwarded:
            status, _, payload = await self._forward(
                request, b"\n".join(forwarded) + b"\n", exchange
            )
            if status != 200:
                return _answer(exchange, status, payload, "application/json", {})
            upstream_items = json.loads(payload)["items"]
        merged = iter(upstream_items)
        result = [answer if answer is not None else next(merged) for answer in answers]
        errors = any(next(iter(item.values())).get("error") for item in result)
        payload = json.dumps({"took": 1, "errors": errors, "items": result}).encode()
        return _answer(exchange, 200, payload, "application/json", {})


# -- decide: which request gets which fault ---------------------------------------------------


def every_bulk(fault: Fault) -> Decide:
    """Every `_bulk` request gets `fault`; other requests pass."""
    return lambda info: fault if info.is_bulk else None


def nth_bulk(numbers: int | Container[int], fault: Fault) -> Decide:
    """The `_bulk` requests with these 1-based numbers (as the proxy counts) get `fault`."""
    chosen: Container[int] = {numbers} if isinstance(numbers, int) else numbers
    return lambda info: (
        fault if info.bulk_number is not None and info.bulk_number in chosen else None
    )


def random_bulk(fraction: float, fault: Fault, *, seed: int) -> Decide:
    """Each `_bulk` request gets `fault` with probability `fraction`, from a seeded random."""
    rng = random.Random(seed)
    return lambda info: fault if info.is_bulk and rng.random() < fraction else None


def after_bulk(count: int, fault: Fault) -> Decide:
    """Once `count` `_bulk` requests went through, every request gets `fault`: the server
    went away in the middle of a run of bulk requests."""
    gone = False

    def decide(info: RequestInfo) -> Fault | None:
        nonlocal gone
        gone = gone or (info.bulk_number is not None and info.bulk_number > count)
        return fault if gone else None

    return decide


def on_request(predicate: Callable[[RequestInfo], bool], fault: Fault) -> Decide:
    """Requests matching `predicate` get `fault`."""
    return lambda info: fault if predicate(info) else None


def limited(decide: Decide, times: int) -> Decide:
    """`decide`, but only the first `times` faults it picks are applied."""
    left = times

    def limit(info: RequestInfo) -> Fault | None:
        nonlocal left
        if left <= 0:
            return None
        fault = decide(info)
        if fault is not None:
            left -= 1
        return fault

    return limit


def first_of(*decisions: Decide) -> Decide:
    """The first fault any of `decisions` picks."""

    def decide(info: RequestInfo) -> Fault | None:
        for decision in decisions:
            fault = decision(info)
            if fault is not None:
                return fault
        return None

    return decide


def auth_headers(settings: ConnectionSettings) -> dict[str, str]:
    """The `Authorization` header for a `ConnectionSettings`' credentials, if it has any."""
    if settings.basic_auth is not None:
        user, password = settings.basic_auth
        token = base64.b64encode(f"{user}:{password.get_secret_value()}".encode()).decode()
        return {"Authorization": f"Basic {token}"}
    if isinstance(settings.api_key, SecretStr):
        return {"Authorization": f"ApiKey {settings.api_key.get_secret_value()}"}
    if settings.api_key is not None:
        key_id, key = settings.api_key
        token = base64.b64encode(f"{key_id}:{key.get_secret_value()}".encode()).decode()
        return {"Authorization": f"ApiKey {token}"}
    if settings.bearer_auth is not None:
        return {"Authorization": f"Bearer {settings.bearer_auth.get_secret_value()}"}
    return {}


# -- the mechanics ----------------------------------------------------------------------------


def _reset(request: web.Request) -> web.Response:
    """Drop the connection with a TCP RST; the response returned never reaches anyone."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    return web.Response(status=200)


def _answer(
    exchange: Exchange,
    status: int,
    body: bytes,
    content_type: str | None,
    headers: Mapping[str, str],
) -> web.Response:
    exchange.answered = status
    out = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    out.setdefault("X-Elastic-Product", "Elasticsearch")
    response = web.Response(status=status, body=body, headers=out)
    if content_type:
        response.headers["Content-Type"] = content_type
    return response


async def _truncate(
    request: web.Request,
    exchange: Exchange,
    status: int,
    headers: Mapping[str, str],
    payload: bytes,
    fault: Fault,
) -> web.StreamResponse:
    part = payload[: int(len(payload) * fault.keep)]
    if not fault.full_length:
        return _answer(exchange, status, part, headers.get("Content-Type"), headers)
    exchange.answered = status
    response = web.StreamResponse(status=status, headers={**headers})
    response.headers.setdefault("X-Elastic-Product", "Elasticsearch")
    response.content_length = len(payload)
    await response.prepare(request)
    await response.write(part)
    transport = request.transport
    if transport is not None:
        transport.close()  # flushes the part, then FIN: fewer bytes than announced
    return response


def _index_of_path(path: str) -> str | None:
    parts = [p for p in path.split("/") if p]
    return parts[0] if len(parts) == 2 else None


def _bulk_items(body: bytes, default_index: str | None) -> list[BulkItem]:
    lines = [line for line in body.split(b"\n") if line.strip()]
    items: list[BulkItem] = []
    position = 0
    while position < len(lines):
        action_line = lines[position]
        action = json.loads(action_line)
        name, meta = next(iter(action.items()))
        if name == "delete":
            item_lines: tuple[bytes, ...] = (action_line,)
        else:
            item_lines = (action_line, lines[position + 1])
        position += len(item_lines)
        items.append(BulkItem(name, meta.get("_index", default_index), meta.get("_id"), item_lines))
    return items


def _drop_items(payload: bytes, fault: Fault) -> bytes:
    answer = json.loads(payload)
    items = answer.get("items", [])
    if fault.drop_ids:
        items = [i for i in items if next(iter(i.values())).get("_id") not in fault.drop_ids]
    else:
        items = items[: max(0, len(items) - fault.drop)]
    answer["items"] = items
    return json.dumps(answer).encode()
