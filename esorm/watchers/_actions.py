"""`Action`: builders of what a watch does when its condition is met."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, Literal, cast
from urllib.parse import parse_qsl, urlsplit

from pydantic import SecretStr

from esorm.client import redact_url, split_userinfo
from esorm.mapping import Registry
from esorm.watchers import _checks
from esorm.watchers._targets import IndexTarget, index_name
from esorm.watchers.dsl import (
    ActionDict,
    ConditionDict,
    EmailActionBody,
    EmailBodyDict,
    HttpMethod,
    IndexActionBody,
    LoggingActionBody,
    PagerDutyActionBody,
    SlackActionBody,
    TransformDict,
    WebhookDict,
)

_METHODS = ("head", "get", "post", "put", "delete")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class Action:
    """Builders of watch actions; each returns one action dict for `Watch(actions={...})`.

    Secrets given to a builder (webhook passwords) are kept as `SecretStr`, so printing an
    action or a watch never shows them; `Watch.to_dict()` reveals them for the request.
    """

    __slots__ = ()

    @staticmethod
    def webhook(
        url: str,
        *,
        method: HttpMethod = "post",
        body: str | Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        auth: tuple[str, str | SecretStr] | None = None,
        connection_timeout: str | timedelta | None = None,
        read_timeout: str | timedelta | None = None,
    ) -> ActionDict:
        """An HTTP request. A dict `body` is sent as JSON (with its Content-Type header);
        a string body is a Mustache template (`{{ctx.payload...}}`). `auth` is basic auth."""
        where = "Action.webhook"
        webhook = webhook_target(url, where)
        verb = method.lower() if isinstance(method, str) else method
        if verb not in _METHODS:
            raise _checks.fail(where, f"unknown method {method!r}: use one of {_METHODS}")
        webhook["method"] = cast(HttpMethod, verb)
        all_params = {**webhook.pop("params", {}), **dict(params or {})}
        if all_params:
            webhook["params"] = all_params
        all_headers = dict(headers or {})
        if body is not None:
            if isinstance(body, Mapping):
                body = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str)
                if not any(h.lower() == "content-type" for h in all_headers):
                    all_headers["Content-Type"] = "application/json"
            webhook["body"] = body
        if all_headers:
            webhook["headers"] = all_headers
        if auth is not None:
            webhook["auth"] = basic_auth(auth, where)
        if connection_timeout is not None:
            webhook["connection_timeout"] = _checks.time_value(connection_timeout, where)
        if read_timeout is not None:
            webhook["read_timeout"] = _checks.time_value(read_timeout, where)
        return {"webhook": webhook}

    @staticmethod
    def index(
        target: IndexTarget,
        *,
        registry: Registry | None = None,
        doc_id: str | None = None,
        op_type: Literal["index", "create"] | None = None,
        execution_time_field: str | None = None,
        refresh: Literal["true", "false", "wait_for"] | None = None,
    ) -> ActionDict:
        """Index the payload (or each of `ctx.payload._doc`) into an entity's index or a
        named one; the watch runs it with the privileges of the user who stored it."""
        body: IndexActionBody = {"index": index_name(target, registry, "Action.index")}
        if doc_id is not None:
            body["doc_id"] = doc_id
        if op_type is not None:
            body["op_type"] = op_type
        if execution_time_field is not None:
            body["execution_time_field"] = execution_time_field
        if refresh is not None:
            body["refresh"] = refresh
        return {"index": body}

    @staticmethod
    def logging(
        text: str,
        *,
        level: Literal["error", "warn", "info", "debug", "trace"] | None = None,
        category: str | None = None,
    ) -> ActionDict:
        """Write a line (a Mustache template) to the Elasticsearch log."""
        body: LoggingActionBody = {"text": _text(text, "Action.logging", "text")}
        if level is not None:
            body["level"] = level
        if category is not None:
            body["category"] = category
        return {"logging": body}

    @staticmethod
    def email(
        to: str | Sequence[str],
        subject: str,
        *,
        body: str | None = None,
        html: str | None = None,
        cc: str | Sequence[str] | None = None,
        bcc: str | Sequence[str] | None = None,
        account: str | None = None,
        priority: Literal["lowest", "low", "normal", "high", "highest"] | None = None,
    ) -> ActionDict:
        """Send an email through an account configured on the nodes (`xpack.notification.email`)."""
        email: EmailActionBody = {"to": _addresses(to, "Action.email", "to")}
        email["subject"] = _text(subject, "Action.email", "subject")
        if body is not None or html is not None:
            content: EmailBodyDict = {}
            if body is not None:
                content["text"] = body
            if html is not None:
                content["html"] = html
            email["body"] = content
        if cc is not None:
            email["cc"] = _addresses(cc, "Action.email", "cc")
        if bcc is not None:
            email["bcc"] = _addresses(bcc, "Action.email", "bcc")
        if account is not None:
            email["account"] = account
        if priority is not None:
            email["priority"] = priority
        return {"email": email}

    @staticmethod
    def slack(
        to: str | Sequence[str],
        text: str,
        *,
        account: str | None = None,
        attachments: Sequence[Mapping[str, Any]] | None = None,
    ) -> ActionDict:
        """Post to Slack channels (`"#ops"`) or users (`"@jane"`) through a configured account."""
        slack: SlackActionBody = {
            "message": {"to": _addresses(to, "Action.slack", "to"), "text": text}
        }
        if attachments:
            slack["message"]["attachments"] = [dict(a) for a in attachments]
        if account is not None:
            slack["account"] = account
        return {"slack": slack}

    @staticmethod
    def pagerduty(
        description: str,
        *,
        account: str | None = None,
        event_type: Literal["trigger", "resolve", "acknowledge"] | None = None,
        incident_key: str | None = None,
        attach_payload: bool | None = None,
    ) -> ActionDict:
        """Open (or resolve) a PagerDuty incident through a configured account."""
        pagerduty: PagerDutyActionBody = {
            "event": {"description": _text(description, "Action.pagerduty", "description")}
        }
        if event_type is not None:
            pagerduty["event"]["event_type"] = event_type
        if incident_key is not None:
            pagerduty["event"]["incident_key"] = incident_key
        if attach_payload is not None:
            pagerduty["event"]["attach_payload"] = attach_payload
        if account is not None:
            pagerduty["account"] = account
        return {"pagerduty": pagerduty}

    @staticmethod
    def with_options(
        action: ActionDict,
        *,
        throttle_period: str | timedelta | None = None,
        condition: ConditionDict | None = None,
        transform: TransformDict | None = None,
        foreach: str | None = None,
        max_iterations: int | None = None,
    ) -> ActionDict:
        """A copy of `action` with per-action options: a throttle period (at most one run
        per period), its own condition or transform, or a run per element of `foreach`."""
        where = "Action.with_options"
        result: ActionDict = {**action}
        if throttle_period is not None:
            result["throttle_period"] = _checks.time_value(throttle_period, where)
        if condition is not None:
            result["condition"] = condition
        if transform is not None:
            result["transform"] = transform
        if foreach is not None:
            result["foreach"] = foreach
        if max_iterations is not None:
            result["max_iterations"] = max_iterations
        _checks.check_action("action", result, where)
        return result


def webhook_target(url: str, where: str) -> WebhookDict:
    """Scheme, host, port, path and query params of a URL; credentials in it are refused."""
    if split_userinfo(str(url))[0] is not None:  # also a password holding `/`, `?` or `#`
        raise _checks.fail(
            where, f"URL {redact_url(url)!r} carries credentials; pass them as auth=(user, pw)"
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except (ValueError, TypeError):
        raise _checks.fail(where, f"invalid URL {redact_url(str(url))!r}") from None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise _checks.fail(
            where, f"invalid URL {redact_url(url)!r}: expected http(s)://host[:port][/path]"
        )
    if "@" in parts.netloc:
        raise _checks.fail(
            where, f"URL {redact_url(url)!r} carries credentials; pass them as auth=(user, pw)"
        )
    target: WebhookDict = {
        "scheme": cast(Literal["http", "https"], parts.scheme),
        "host": parts.hostname,
        "port": port if port is not None else _DEFAULT_PORTS[parts.scheme],
    }
    if parts.path:
        target["path"] = parts.path
    if parts.query:
        target["params"] = dict(parse_qsl(parts.query, keep_blank_values=True))
    return target


def basic_auth(auth: object, where: str) -> Any:
    """`{"basic": {"username", "password"}}` with the password kept as a `SecretStr`."""
    if not (isinstance(auth, tuple) and len(auth) == 2 and isinstance(auth[0], str) and auth[0]):
        raise _checks.fail(where, "auth must be a (username, password) pair")
    password = auth[1]
    if isinstance(password, str):
        password = SecretStr(password)
    if not isinstance(password, SecretStr) or not password.get_secret_value():
        raise _checks.fail(where, f"auth for user {auth[0]!r} needs a non-empty password")
    return {"basic": {"username": auth[0], "password": password}}


def _text(value: object, where: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _checks.fail(where, f"{what} must be a non-empty string, got {value!r}")
    return value


def _addresses(value: str | Sequence[str], where: str, what: str) -> list[str]:
    listed = [value] if isinstance(value, str) else list(value)
    if not listed or not all(isinstance(v, str) and v.strip() for v in listed):
        raise _checks.fail(where, f"{what} needs at least one non-empty address, got {value!r}")
    return listed
