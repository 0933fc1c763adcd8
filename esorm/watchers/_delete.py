"""`delete_matching`: a watch that periodically deletes an entity's documents matching a query.

Watcher has no delete action, so the watch calls the cluster's own `_delete_by_query`
through a webhook, as ESORM's `DeleteWatcher` did, with what that needs on Elasticsearch
8/9: a JSON Content-Type, `conflicts=proceed`, a search input and a condition so the call is
only made when something matches, TLS and credentials taken from `ConnectionSettings`.

The trade-off: a webhook is a plain HTTP call, so it cannot act as the user who stored the
watch (the search input can). Its basic-auth password is stored inside the watch, and
Elasticsearch keeps it in clear text in `.watches` unless `xpack.watcher.encrypt_sensitive_data`
is enabled (get-watch answers show it redacted either way). An API key or bearer token could
only go into a header, which Watcher stores and returns unredacted, so those are refused.
Use a dedicated user whose only privileges are `read` and `delete` on the index; with
https, the nodes' own HTTP client must trust the cluster's certificate
(`xpack.http.ssl.certificate_authorities`). Where storing a credential in the cluster is not
acceptable, run `_delete_by_query` from the application's own scheduler instead; for
time-based data, ILM or data-stream retention deletes whole indices far more cheaply.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, SecretStr

from esorm.client import ConnectionSettings
from esorm.mapping import EntityMapping, Registry
from esorm.query import QueryLike, to_query_dict
from esorm.watchers import _checks
from esorm.watchers._actions import basic_auth, webhook_target
from esorm.watchers._conditions import Condition
from esorm.watchers._inputs import search_input
from esorm.watchers._schedule import Schedule
from esorm.watchers._targets import entity_mapping
from esorm.watchers._watch import Watch
from esorm.watchers.dsl import TriggerDict

_WHERE = "delete_matching"


def delete_matching(
    entity: type[BaseModel] | EntityMapping[Any],
    query: QueryLike,
    *,
    settings: ConnectionSettings,
    registry: Registry | None = None,
    every: str | int | timedelta = "1h",
    trigger: TriggerDict | None = None,
    name: str | None = None,
    url: str | None = None,
    auth: tuple[str, str | SecretStr] | None = None,
    conflicts: Literal["proceed", "abort"] = "proceed",
    max_docs: int | None = None,
    routing: str | None = None,
    read_timeout: str | timedelta = "60s",
    metadata: Mapping[str, Any] | None = None,
    active: bool = True,
) -> Watch:
    """A watch deleting the documents of `entity` that match `query`, on a schedule.

    Each run counts the matches (search input, `size: 0`) and, when there are any, POSTs
    `{"query": ...}` to `/<index>/_delete_by_query?conflicts=proceed` on the cluster itself.
    Documents changed meanwhile are skipped and caught by the next run. The webhook waits
    for the deletion to finish (its response is in the watch history); bound large backlogs
    with `max_docs` or raise `read_timeout`.

    Args:
        entity: a registered entity class (needs `registry`) or its `EntityMapping`.
        query: which documents to delete; an esorm query or a raw DSL dict. Required: to
            delete everything, say so with `match_all()`.
        settings: where the cluster is: the first host's scheme, host, port and path prefix
            (and its basic-auth credentials) are what the nodes call.
        every: the interval between runs; `trigger` (e.g. `Schedule.cron(...)`) replaces it.
        name: the watch name (default `delete-<index without prefix>`).
        url: the URL the nodes reach the cluster at, when not the first of `settings.hosts`
            (e.g. behind a load balancer the nodes cannot reach).
        auth: `(user, password)` for the webhook; default `settings.basic_auth`. Settings
            with an API key or bearer token need it, since those would be stored readable.
        conflicts: `"proceed"` (skip documents changed meanwhile) or `"abort"`.
        max_docs: delete at most this many documents per run.
        routing: search and delete only on the shard of this routing value (the value the
            registry's `routing=` computes for the documents to delete).
    """
    mapping = entity_mapping(entity, registry, _WHERE)
    if query is None:
        raise _checks.fail(
            _WHERE, "pass the query of the documents to delete (match_all() to delete all)"
        )
    rendered = to_query_dict(query)
    if conflicts not in ("proceed", "abort"):
        raise _checks.fail(_WHERE, f"conflicts must be 'proceed' or 'abort', not {conflicts!r}")
    webhook = webhook_target(url if url is not None else settings.hosts[0], _WHERE)
    prefix = webhook.get("path", "").rstrip("/")
    webhook["method"] = "post"
    webhook["path"] = f"{prefix}/{quote(mapping.index, safe='')}/_delete_by_query"
    params: dict[str, str] = {"conflicts": conflicts}
    if max_docs is not None:
        if not isinstance(max_docs, int) or isinstance(max_docs, bool) or max_docs < 1:
            raise _checks.fail(_WHERE, f"max_docs must be a whole number >= 1, got {max_docs!r}")
        params["max_docs"] = str(max_docs)
    if routing is not None:
        if not isinstance(routing, str) or not routing:
            raise _checks.fail(_WHERE, f"routing must be a non-empty string, got {routing!r}")
        params["routing"] = routing
    webhook["params"] = params
    webhook["headers"] = {"Content-Type": "application/json"}
    webhook["body"] = _json({"query": rendered})
    credentials = auth if auth is not None else _settings_auth(settings)
    if credentials is not None:
        webhook["auth"] = basic_auth(credentials, _WHERE)
    webhook["read_timeout"] = _checks.time_value(read_timeout, _WHERE)
    return Watch(
        name if name is not None else f"delete-{mapping.base_index}",
        trigger=trigger if trigger is not None else Schedule.every(every),
        input=search_input(mapping, rendered, size=0),
        condition=Condition.hits_above(0),
        actions={"delete_matching": {"webhook": webhook}},
        metadata=metadata,
        active=active,
    )


def _settings_auth(settings: ConnectionSettings) -> tuple[str, SecretStr] | None:
    if settings.basic_auth is not None:
        return settings.basic_auth
    if settings.api_key is not None or settings.bearer_auth is not None:
        kind = "an API key" if settings.api_key is not None else "a bearer token"
        raise _checks.fail(
            _WHERE,
            f"the connection settings authenticate with {kind}, which a webhook can only send "
            f"as a header that Watcher stores and returns unredacted; pass auth=(user, "
            f"password) of a user allowed only to read and delete in the index",
        )
    return None  # a cluster without security


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
