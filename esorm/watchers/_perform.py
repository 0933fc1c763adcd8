"""The actions the local runner performs: logging, index, webhook and delete-matching.

A webhook that POSTs `{"query": ...}` to `.../<index>/_delete_by_query` (what
`delete_matching` builds) runs as `_delete_by_query` through the runner's own client:
same index (registry prefix included), query, `conflicts`, `max_docs` and `routing`, with
the client's credentials and TLS instead of the password stored in the watch. Email,
Slack, PagerDuty and Jira actions need the notification accounts configured on
Elasticsearch nodes, so they are refused when the runner starts.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote

import aiohttp
from elasticsearch import AsyncElasticsearch

from esorm.client import client_hosts, translate_transport_errors
from esorm.watchers._errors import NotRunnableLocallyError
from esorm.watchers._history import ActionRecord
from esorm.watchers._paths import iso
from esorm.watchers._templates import Template
from esorm.watchers._webhook import Webhook

DEFAULT_LOG_CATEGORY = "esorm.watchers.actions.logging"
_LEVELS = {
    "error": logging.ERROR,
    "warn": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
    "trace": 5,
}
_DELETE_PATH = re.compile(r"(?:.*/)?([^/]+)/_delete_by_query")
_NOTIFIERS = {"email": "email", "slack": "Slack", "pagerduty": "PagerDuty", "jira": "Jira"}


@dataclass(frozen=True, slots=True)
class ActionEnv:
    """What an action may use: the client, the HTTP session, the execution's time."""

    client: AsyncElasticsearch
    http: Callable[[], aiohttp.ClientSession]
    execution_time: datetime


Performer = Callable[[ActionEnv, dict[str, Any]], Awaitable[ActionRecord]]


def compile_performer(name: str, kind: str, spec: Mapping[str, Any], where: str) -> Performer:
    """The function performing one action; refuses what cannot run locally."""
    if kind == "logging":
        return _logging(name, spec, where)
    if kind == "index":
        return _index(name, spec)
    if kind == "webhook":
        delete = _delete_matching(name, spec)
        if delete is not None:
            return delete
        webhook = Webhook(name, spec, where)
        return lambda env, model: webhook.call(env.http(), model)
    label = _NOTIFIERS.get(kind, kind)
    raise NotRunnableLocallyError(
        f"{where}: action {name!r} is a {label} action, which needs an account configured on "
        f"the Elasticsearch nodes; the local runner performs logging, index, webhook and "
        f"delete-matching actions (run this watch with Watcher, or call your {label} "
        f"gateway with a webhook)"
    )


def _logging(name: str, spec: Mapping[str, Any], where: str) -> Performer:
    text = Template(str(spec.get("text", "")), where)
    logger = logging.getLogger(str(spec.get("category") or DEFAULT_LOG_CATEGORY))
    level = _LEVELS.get(str(spec.get("level", "info")), logging.INFO)

    async def log(env: ActionEnv, model: dict[str, Any]) -> ActionRecord:
        rendered = text.render(model)
        logger.log(level, "%s", rendered)
        return ActionRecord(id=name, type="logging", status="success", logged_text=rendered)

    return log


def _index(name: str, spec: Mapping[str, Any]) -> Performer:
    index = spec.get("index")
    options: dict[str, Any] = {}
    for key in ("op_type", "refresh", "timeout"):
        if spec.get(key) is not None:
            options[key] = spec[key]
    time_field = spec.get("execution_time_field")

    async def index_payload(env: ActionEnv, model: dict[str, Any]) -> ActionRecord:
        payload: dict[str, Any] = model["ctx"]["payload"]
        docs = payload["_doc"] if isinstance(payload.get("_doc"), list | tuple) else [payload]
        targets: set[str] = set()
        with translate_transport_errors(client_hosts(env.client)):
            for doc in docs:
                body = {k: v for k, v in dict(doc).items() if k not in ("_index", "_id")}
                if time_field:
                    body[str(time_field)] = iso(env.execution_time)
                target = str(doc.get("_index") or index or "")
                doc_id = doc.get("_id") or (spec.get("doc_id") if len(docs) == 1 else None)
                if not target:
                    return _failure(name, "index", "no index: set one on the action or _index")
                await env.client.index(index=target, id=doc_id, document=body, **options)
                targets.add(target)
        return ActionRecord(
            id=name,
            type="index",
            status="success",
            index=",".join(sorted(targets)),
            indexed=len(docs),
        )

    return index_payload


def _delete_matching(name: str, spec: Mapping[str, Any]) -> Performer | None:
    """A webhook to `<index>/_delete_by_query` as a local `_delete_by_query`, else None."""
    match = _DELETE_PATH.fullmatch(str(spec.get("path", "")))
    if match is None or str(spec.get("method", "post")).lower() != "post":
        return None
    try:
        body = json.loads(str(spec.get("body") or "{}"))
    except ValueError:
        return None
    if not isinstance(body, dict) or set(body) - {"query"} or "{{" in str(spec.get("body")):
        return None
    index = unquote(match.group(1))
    params = dict(spec.get("params") or {})
    options: dict[str, Any] = {"conflicts": params.get("conflicts", "abort")}
    if params.get("max_docs"):
        options["max_docs"] = int(params["max_docs"])
    if params.get("routing"):
        options["routing"] = params["routing"]
    if "query" in body:
        options["query"] = body["query"]

    async def delete(env: ActionEnv, model: dict[str, Any]) -> ActionRecord:
        with translate_transport_errors(client_hosts(env.client)):
            response = await env.client.delete_by_query(index=index, **options)
        result = response.body
        failures = result.get("failures") or []
        return ActionRecord(
            id=name,
            type="delete_by_query",
            status="failure" if failures else "success",
            reason=f"{len(failures)} deletions failed: {failures[:3]}" if failures else None,
            index=index,
            deleted=int(result.get("deleted", 0)),
            version_conflicts=int(result.get("version_conflicts", 0)),
        )

    return delete


def _failure(name: str, kind: str, reason: str) -> ActionRecord:
    return ActionRecord(id=name, type=kind, status="failure", reason=reason)
