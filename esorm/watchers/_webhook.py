"""The webhook action run locally: one HTTP request, its parts rendered from the context.

As in Watcher, the path, parameter values, header values and body are Mustache templates,
host and port are not, timeouts default to 10 seconds, and an answer of 400 or more fails
the action. The response's status and (the start of) its body go into the history.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
from pydantic import SecretStr

from esorm.watchers import _checks
from esorm.watchers._history import ActionRecord
from esorm.watchers._templates import Template
from esorm.watchers._timevalues import parse_period

_KEEP_BODY = 2000
_DEFAULT_TIMEOUT = 10.0


class Webhook:
    """One compiled webhook: templates checked at start, rendered per execution."""

    def __init__(self, name: str, spec: Mapping[str, Any], where: str) -> None:
        self.name = name
        target = dict(spec)
        if "url" in target:
            parts = urlsplit(str(target.pop("url")))
            target.setdefault("scheme", parts.scheme or "http")
            target.setdefault("host", parts.hostname or "")
            target.setdefault("port", parts.port or (443 if parts.scheme == "https" else 80))
            target.setdefault("path", parts.path)
            target["params"] = {**dict(parse_qsl(parts.query)), **(target.get("params") or {})}
        if not target.get("host"):
            raise _checks.fail(where, f"webhook {name!r} needs a host")
        self.method = str(target.get("method", "post")).upper()
        scheme = target.get("scheme", "http")
        self.base = f"{scheme}://{target['host']}:{target.get('port', 80)}"
        self.path = Template(str(target.get("path", "")), where)
        self.params = {k: Template(str(v), where) for k, v in (target.get("params") or {}).items()}
        self.headers = {
            k: Template(str(v), where) for k, v in (target.get("headers") or {}).items()
        }
        body = target.get("body")
        self.body = None if body is None else Template(str(body), where)
        self.auth = _auth(target.get("auth"))
        proxy = target.get("proxy")
        self.proxy = None if not proxy else f"http://{proxy['host']}:{proxy['port']}"
        self.timeout = aiohttp.ClientTimeout(
            sock_connect=_seconds(target.get("connection_timeout")),
            sock_read=_seconds(target.get("read_timeout")),
        )

    def _headers(self, model: dict[str, Any]) -> dict[str, str]:
        headers = {k: t.render(model) for k, t in self.headers.items()}
        if self.auth is not None:
            headers["Authorization"] = self.auth
        return headers

    async def call(self, session: aiohttp.ClientSession, model: dict[str, Any]) -> ActionRecord:
        """Send the request; success below status 400."""
        path = self.path.render(model)
        url = self.base + (path if path.startswith("/") or not path else "/" + path)
        async with session.request(
            self.method,
            url,
            params={k: t.render(model) for k, t in self.params.items()},
            headers=self._headers(model),
            data=None if self.body is None else self.body.render(model).encode(),
            proxy=self.proxy,
            timeout=self.timeout,
        ) as response:
            text = await response.text(errors="replace")
        ok = response.status < 400
        return ActionRecord(
            id=self.name,
            type="webhook",
            status="success" if ok else "failure",
            reason=None if ok else f"received [{response.status}] status code",
            status_code=response.status,
            response_body=text[:_KEEP_BODY],
        )


def _auth(auth: Any) -> str | None:
    """The `Authorization` header of basic auth, or None."""
    if not isinstance(auth, Mapping) or "basic" not in auth:
        return None
    basic = auth["basic"]
    password = basic.get("password", "")
    if isinstance(password, SecretStr):
        password = password.get_secret_value()
    pair = f"{basic.get('username', '')}:{password}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def _seconds(value: Any) -> float:
    period = parse_period(value) if isinstance(value, str) else None
    return _DEFAULT_TIMEOUT if period is None else period.total_seconds()
