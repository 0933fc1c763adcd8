"""A real HTTP server answering the Watcher API the way Elasticsearch 8.x does.

The embedded server has no Watcher API, so this stands in for a licensed Elasticsearch:
it stores watches (versions, `_seq_no`, active state), executes them (stored or inline)
with the `always`, `never` and `compare` conditions, and can be switched to behave like a
server without Watcher (400 "no handler found") or under the basic license (403). It only
speaks the Watcher endpoints, `GET _xpack` and `GET _watcher/stats`; everything it
received is kept in `requests`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from esorm.testing import find_free_port

PRODUCT = {"X-Elastic-Product": "Elasticsearch"}
REDACTED = "::es_redacted::"
WATCH_FIELDS = frozenset(
    {
        "trigger",
        "input",
        "condition",
        "transform",
        "throttle_period",
        "throttle_period_in_millis",
        "actions",
        "metadata",
        "status",
    }
)
ACTION_TYPES = frozenset({"email", "webhook", "index", "logging", "slack", "pagerduty", "jira"})
COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "not_eq": lambda a, b: a != b,
    "gt": lambda a, b: a is not None and a > b,
    "gte": lambda a, b: a is not None and a >= b,
    "lt": lambda a, b: a is not None and a < b,
    "lte": lambda a, b: a is not None and a <= b,
}


@dataclass(frozen=True, slots=True)
class Received:
    """One request the stand-in received."""

    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    body: Any = field(default=None, repr=False)


@dataclass(slots=True)
class _Stored:
    body: dict[str, Any]
    active: bool
    version: int
    seq_no: int
    activated_at: str
    status: dict[str, Any] = field(default_factory=dict)
    acks: dict[str, str] = field(default_factory=dict)


class _Answer(Exception):
    """Raised inside a handler to answer with an error."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _error(status: int, kind: str, reason: str, **extra: Any) -> _Answer:
    cause = {"type": kind, "reason": reason, **extra}
    return _Answer(status, {"error": {"root_cause": [cause], **cause}, "status": status})


class WatcherStandIn:
    """Serves the Watcher API on 127.0.0.1 at `url`.

    Switches, changeable at any time:
        watcher: False answers every request like a server without Watcher (400).
        license: "basic" refuses every Watcher request like a basic license (403).
        refuse_containing: a definition (put or inline execute) whose JSON contains this
            text is refused with a 400 `parse_exception` echoing it.
        search_total: the hit count a `search` input's payload reports (nothing is searched).
    """

    def __init__(self) -> None:
        self.port = find_free_port()
        self.watcher = True
        self.license = "trial"
        self.refuse_containing: str | None = None
        self.search_total = 0
        self.requests: list[Received] = []
        self.watches: dict[str, _Stored] = {}
        self._seq_no = -1
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> WatcherStandIn:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    # -- dispatch ------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            body = raw.decode(errors="replace")
        self.requests.append(Received(request.method, request.path, dict(request.query), body))
        try:
            if self.watcher and request.method == "GET" and request.path == "/_xpack":
                return self._json(200, self._xpack())
            if self.watcher and request.method == "GET" and request.path == "/_watcher/stats":
                if self.license == "basic":
                    raise _non_compliant()
                return self._json(200, {"stats": [{"node_id": "n1", "watcher_state": "started"}]})
            if not self.watcher or not request.path.startswith("/_watcher/watch/"):
                raise _no_handler(request)
            if self.license == "basic":
                raise _non_compliant()
            if isinstance(body, str):
                raise _error(400, "parse_exception", "request body is not valid JSON")
            status, answer = self._route(request, body)
        except _Answer as exc:
            status, answer = exc.status, exc.body
        return self._json(status, answer)

    def _json(self, status: int, answer: dict[str, Any]) -> web.Response:
        return web.Response(
            status=status,
            body=json.dumps(answer).encode(),
            content_type="application/json",
            headers=PRODUCT,
        )

    def _xpack(self) -> dict[str, Any]:
        """`GET _xpack`: the license and whether the Watcher feature is available."""
        return {
            "build": {"hash": "standin"},
            "license": {
                "uid": "standin",
                "type": self.license,
                "mode": self.license,
                "status": "active",
            },
            "features": {
                "watcher": {"available": self.license != "basic", "enabled": True},
            },
        }

    def _route(self, request: web.Request, body: Any) -> tuple[int, dict[str, Any]]:
        parts = request.path.removeprefix("/_watcher/watch/").split("/")
        handlers: dict[str, Callable[[], tuple[int, dict[str, Any]]]] = {}
        if parts == ["_execute"]:
            handlers["PUT"] = handlers["POST"] = lambda: self._execute(None, body)
        elif len(parts) == 1 and parts[0]:
            watch_id = parts[0]
            handlers["PUT"] = handlers["POST"] = lambda: self._put(watch_id, request.query, body)
            handlers["GET"] = lambda: self._get(watch_id)
            handlers["DELETE"] = lambda: self._delete(watch_id)
        elif len(parts) == 2 and parts[0] and parts[1] in ("_activate", "_deactivate"):
            watch_id, active = parts[0], parts[1] == "_activate"
            handlers["PUT"] = handlers["POST"] = lambda: self._set_active(watch_id, active)
        elif len(parts) in (2, 3) and parts[0] and parts[1] == "_ack":
            watch_id = parts[0]
            ids = parts[2].split(",") if len(parts) == 3 else None
            handlers["PUT"] = handlers["POST"] = lambda: self._ack(watch_id, ids)
        elif len(parts) == 2 and parts[0] and parts[1] == "_execute":
            watch_id = parts[0]
            handlers["PUT"] = handlers["POST"] = lambda: self._execute(watch_id, body)
        if not handlers:
            raise _no_handler(request)
        handler = handlers.get(request.method)
        if handler is None:
            raise _Answer(
                405,
                {
                    "error": f"Incorrect HTTP method for uri [{request.path_qs}] and method "
                    f"[{request.method}], allowed: {sorted(handlers)}",
                    "status": 405,
                },
            )
        return handler()

    # -- endpoints -----------------------------------------------------------------------------

    def _put(self, watch_id: str, query: Any, body: Any) -> tuple[int, dict[str, Any]]:
        active = _boolean(query.get("active", "true"), "active")
        definition = self._parse(watch_id, body)
        existing = self.watches.get(watch_id)
        now = _now()
        version = existing.version + 1 if existing else 1
        stored = _Stored(definition, active, version, self._next_seq_no(), now)
        if existing and existing.active == active:
            stored.activated_at = existing.activated_at
        self.watches[watch_id] = stored
        answer = {
            "_id": watch_id,
            "_version": version,
            "_seq_no": stored.seq_no,
            "_primary_term": 1,
            "created": existing is None,
        }
        return (201 if existing is None else 200), answer

    def _get(self, watch_id: str) -> tuple[int, dict[str, Any]]:
        stored = self.watches.get(watch_id)
        if stored is None:
            return 404, {"found": False, "_id": watch_id}
        return 200, {
            "found": True,
            "_id": watch_id,
            "_version": stored.version,
            "_seq_no": stored.seq_no,
            "_primary_term": 1,
            "status": self._status(stored),
            "watch": _redact(stored.body),
        }

    def _delete(self, watch_id: str) -> tuple[int, dict[str, Any]]:
        stored = self.watches.pop(watch_id, None)
        if stored is None:
            return 404, {"found": False, "_id": watch_id, "_version": 1}
        self._next_seq_no()
        return 200, {"found": True, "_id": watch_id, "_version": stored.version + 1}

    def _set_active(self, watch_id: str, active: bool) -> tuple[int, dict[str, Any]]:
        stored = self._stored(watch_id)
        if stored.active != active:
            stored.active = active
            stored.activated_at = _now()
        stored.version += 1
        stored.seq_no = self._next_seq_no()
        return 200, {"status": self._status(stored)}

    def _ack(self, watch_id: str, ids: list[str] | None) -> tuple[int, dict[str, Any]]:
        """Ackable actions become acked; others keep their state, as in Watcher."""
        stored = self._stored(watch_id)
        for action_id in ids or list(stored.body.get("actions") or {}):
            if stored.acks.get(action_id) == "ackable":
                stored.acks[action_id] = "acked"
        return 200, {"status": self._status(stored)}

    def _execute(self, watch_id: str | None, body: Any) -> tuple[int, dict[str, Any]]:
        request = body if isinstance(body, dict) else {}
        inline = request.get("watch")
        if watch_id is None and inline is None:
            raise _error(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: a watch execution request must either have a watch "
                "id or an inline watch source, but both are missing;",
            )
        if watch_id is not None and inline is not None:
            raise _error(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: a watch execution request must either have a watch "
                "id or an inline watch source but not both;",
            )
        if inline is not None and request.get("record_execution"):
            raise _error(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: the execution of an inline watch cannot be recorded;",
            )
        stored: _Stored | None = None
        if watch_id is not None:
            stored = self._stored(watch_id)
            definition = stored.body
        else:
            watch_id = "_inlined_"
            definition = self._parse(watch_id, inline)
        now = _now()
        if "alternative_input" in request:
            input_result = {
                "type": "simple",
                "status": "success",
                "payload": request["alternative_input"],
            }
        else:
            input_result = self._run_input(definition.get("input") or {"none": {}})
        payload = input_result["payload"]
        condition: dict[str, Any]
        if request.get("ignore_condition"):
            condition = {"always": {}}
        else:
            condition = definition.get("condition") or {"always": {}}
        met = self._evaluate(condition, payload)
        actions: list[dict[str, Any]] = []
        if met:
            modes: dict[str, str] = request.get("action_modes") or {}
            for action_id, action in (definition.get("actions") or {}).items():
                mode = modes.get(action_id) or modes.get("_all") or "execute"
                actions.append(self._run_action(action_id, action, mode, payload))
        if stored is not None and request.get("record_execution"):
            stored.status["last_checked"] = now
            if met:
                stored.status["last_met_condition"] = now
            else:
                stored.acks.clear()
            for result in actions:
                if result["status"] == "success" and result["id"] not in stored.acks:
                    stored.acks[result["id"]] = "ackable"
        record: dict[str, Any] = {
            "watch_id": watch_id,
            "node": "standin",
            "state": "executed" if met else "execution_not_needed",
            "trigger_event": {
                "type": "manual",
                "triggered_time": now,
                "manual": {"schedule": {"scheduled_time": now}},
            },
            "input": definition.get("input") or {"none": {}},
            "condition": condition,
            "result": {
                "execution_time": now,
                "execution_duration": 1,
                "input": input_result,
                "condition": {"type": next(iter(condition)), "status": "success", "met": met},
                "actions": actions,
            },
            "messages": [],
        }
        if stored is not None:
            record["status"] = self._status(stored)
        return 200, {"_id": f"{watch_id}_{uuid.uuid4()}-{now}", "watch_record": record}

    # -- helpers -------------------------------------------------------------------------------

    def _next_seq_no(self) -> int:
        self._seq_no += 1
        return self._seq_no

    def _stored(self, watch_id: str) -> _Stored:
        stored = self.watches.get(watch_id)
        if stored is None:
            raise _error(
                404,
                "resource_not_found_exception",
                f"Watch with id [{watch_id}] does not exist",
            )
        return stored

    def _status(self, stored: _Stored) -> dict[str, Any]:
        actions = {
            action_id: {
                "ack": {
                    "timestamp": stored.activated_at,
                    "state": stored.acks.get(action_id, "awaits_successful_execution"),
                }
            }
            for action_id in stored.body.get("actions") or {}
        }
        return {
            "version": stored.version,
            "state": {"active": stored.active, "timestamp": stored.activated_at},
            "actions": actions,
            **stored.status,
        }

    def _parse(self, watch_id: str, body: Any) -> dict[str, Any]:
        """A definition as the server parses it: required trigger, known fields, the marker."""
        if not isinstance(body, dict):
            raise _error(400, "parse_exception", f"could not parse watch [{watch_id}]")
        marker = self.refuse_containing
        if marker and marker in json.dumps(body):
            raise _error(
                400,
                "parse_exception",
                f"could not parse watch [{watch_id}]",
                caused_by={
                    "type": "x_content_parse_exception",
                    "reason": f"failed to parse value [{marker}]",
                },
            )
        for name in body:
            if name not in WATCH_FIELDS:
                raise _error(
                    400,
                    "parse_exception",
                    f"could not parse watch [{watch_id}]. unexpected field [{name}]",
                )
        if "trigger" not in body:
            raise _error(
                400,
                "parse_exception",
                f"could not parse watch [{watch_id}]. missing required field [trigger]",
            )
        for action_id, action in (body.get("actions") or {}).items():
            if not isinstance(action, dict) or not ACTION_TYPES & set(action):
                raise _error(
                    400,
                    "parse_exception",
                    f"could not parse action [{watch_id}/{action_id}]. missing action type",
                )
        return body

    def _run_input(self, given: dict[str, Any]) -> dict[str, Any]:
        kind, spec = next(iter(given.items()))
        if kind == "none":
            payload: dict[str, Any] = {}
        elif kind == "simple":
            payload = dict(spec)
        elif kind == "search":
            as_int = spec.get("request", {}).get("rest_total_hits_as_int", False)
            total: Any = (
                self.search_total if as_int else {"value": self.search_total, "relation": "eq"}
            )
            payload = {
                "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
                "hits": {"total": total, "max_score": None, "hits": []},
                "took": 1,
                "timed_out": False,
            }
        elif kind == "chain":
            payload = {}
            for item in spec.get("inputs") or []:
                name, inner = next(iter(item.items()))
                payload[name] = self._run_input(inner)["payload"]
        else:
            raise _error(500, "illegal_state_exception", f"the stand-in cannot run [{kind}] inputs")
        return {"type": kind, "status": "success", "payload": payload}

    def _evaluate(self, condition: dict[str, Any], payload: dict[str, Any]) -> bool:
        kind, spec = next(iter(condition.items()))
        if kind == "always":
            return True
        if kind == "never":
            return False
        if kind == "compare":
            path, check = next(iter(spec.items()))
            operator, expected = next(iter(check.items()))
            return bool(COMPARE[operator](_resolve(path, payload), expected))
        raise _error(
            500, "illegal_state_exception", f"the stand-in cannot evaluate [{kind}] conditions"
        )

    def _run_action(
        self, action_id: str, action: dict[str, Any], mode: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        kind = next(name for name in action if name in ACTION_TYPES)
        result: dict[str, Any] = {"id": action_id, "type": kind}
        if "condition" in action and not self._evaluate(action["condition"], payload):
            return {**result, "status": "condition_failed", "reason": "condition not met"}
        if mode == "skip":
            return {**result, "status": "throttled", "reason": "manually skipped"}
        simulated = mode in ("simulate", "force_simulate")
        return {**result, "status": "simulated" if simulated else "success"}


def _non_compliant() -> _Answer:
    """What Watcher answers under the basic license."""
    return _error(
        403,
        "security_exception",
        "current license is non-compliant for [watcher]",
        **{"license.expired.feature": "watcher"},
    )


def _no_handler(request: web.Request) -> _Answer:
    """What a server without the Watcher API answers."""
    reason = f"no handler found for uri [{request.path_qs}] and method [{request.method}]"
    return _Answer(400, {"error": reason})


def _boolean(value: str, name: str) -> bool:
    if value in ("true", ""):
        return True
    if value == "false":
        return False
    raise _error(
        400,
        "illegal_argument_exception",
        f"Failed to parse value [{value}] as only [true] or [false] are allowed.",
        parameter=name,
    )


def _resolve(path: str, payload: dict[str, Any]) -> Any:
    """`ctx.payload.hits.total` -> the value in the payload (None when absent)."""
    parts = path.split(".")
    if parts[:2] != ["ctx", "payload"]:
        return None
    value: Any = payload
    for part in parts[2:]:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _redact(value: Any) -> Any:
    """The stored definition as GET answers it: passwords replaced by the server."""
    if isinstance(value, dict):
        return {k: REDACTED if k == "password" else _redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value
