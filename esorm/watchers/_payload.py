"""Watch inputs and transforms run locally: search through esorm's client, simple, chain.

A search request's body is rendered as a Mustache template first (`{{ctx.metadata.x}}`
inside strings), as Watcher renders it, and the response becomes the payload, trimmed to
`extract` when given. `http` inputs and script transforms are refused when the runner
starts: they need Elasticsearch (or a network call the application should make itself).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from elasticsearch import AsyncElasticsearch

from esorm.client import client_hosts, translate_transport_errors
from esorm.watchers import _checks
from esorm.watchers._errors import NotRunnableLocallyError, WatchDefinitionError
from esorm.watchers._paths import MISSING, plain, resolve
from esorm.watchers._templates import check_strings, render_strings

Loader = Callable[[AsyncElasticsearch, dict[str, Any]], Awaitable[dict[str, Any]]]
"""A compiled input or transform: (client, template model) -> the new payload."""

_SEARCH_KEYS = frozenset(
    {"indices", "body", "rest_total_hits_as_int", "search_type", "indices_options", "template"}
)
_INDICES_OPTIONS = frozenset({"expand_wildcards", "ignore_unavailable", "allow_no_indices"})


def compile_input(spec: Mapping[str, Any] | None, where: str) -> Loader:
    """An input dict as a loader; refuses what cannot run locally."""
    if spec is None:
        return _empty
    kind, body = next(iter(spec.items()))
    if kind == "none":
        return _empty
    if kind == "simple":
        static = plain(body or {})

        async def simple(client: AsyncElasticsearch, model: dict[str, Any]) -> dict[str, Any]:
            return plain(static)  # type: ignore[no-any-return]

        return simple
    if kind == "search":
        return _search(body, f"{where}, search input")
    if kind == "chain":
        return _chain(body, where)
    raise NotRunnableLocallyError(
        f"{where}: an {kind} input cannot run locally (the runner reads search, simple, "
        f"chain and none inputs); run this watch with Watcher, or fetch the data yourself"
    )


def compile_transform(spec: Mapping[str, Any] | None, where: str) -> Loader | None:
    """A transform dict as a loader (search, or a chain of searches); None when absent."""
    if spec is None:
        return None
    kind, body = next(iter(spec.items()))
    if kind == "search":
        return _search(body, f"{where}, search transform")
    if kind == "chain" and isinstance(body, list | tuple):
        steps = [compile_transform(step, where) for step in body]

        async def chain(client: AsyncElasticsearch, model: dict[str, Any]) -> dict[str, Any]:
            payload: dict[str, Any] = model["ctx"]["payload"]
            for step in steps:
                if step is not None:
                    payload = await step(client, _with_payload(model, payload))
            return payload

        return chain
    raise NotRunnableLocallyError(
        f"{where}: a {kind} transform cannot run locally (scripts run only inside "
        f"Elasticsearch); the runner runs search transforms and chains of them"
    )


def _search(body: Any, where: str) -> Loader:
    if not isinstance(body, Mapping) or not isinstance(body.get("request"), Mapping):
        raise WatchDefinitionError(f"{where}: needs a 'request' with 'indices' and 'body'")
    request: Mapping[str, Any] = body["request"]
    unknown = sorted(set(request) - _SEARCH_KEYS)
    if unknown:
        raise WatchDefinitionError(f"{where}: unknown request keys {unknown}")
    if "template" in request:
        raise NotRunnableLocallyError(
            f"{where}: a search template cannot run locally; write the query in 'body' "
            f"(its strings may hold {{{{ctx...}}}} variables)"
        )
    indices = list(request.get("indices") or [])
    search_body = dict(request.get("body") or {})
    check_strings(search_body, where)
    options: dict[str, Any] = {
        k: v for k, v in (request.get("indices_options") or {}).items() if k in _INDICES_OPTIONS
    }
    if request.get("rest_total_hits_as_int"):
        options["rest_total_hits_as_int"] = True
    if request.get("search_type"):
        options["search_type"] = request["search_type"]
    if body.get("timeout"):
        options["timeout"] = _checks.time_value(body["timeout"], where)
    extract = list(body.get("extract") or [])

    async def search(client: AsyncElasticsearch, model: dict[str, Any]) -> dict[str, Any]:
        rendered = render_strings(search_body, model, where)
        with translate_transport_errors(client_hosts(client)):
            response = await client.search(index=indices or None, body=rendered, **options)
        payload = dict(response.body)
        return _extract(payload, extract) if extract else payload

    return search


def _chain(body: Any, where: str) -> Loader:
    items = body.get("inputs") if isinstance(body, Mapping) else None
    if not isinstance(items, list | tuple) or not items:
        raise WatchDefinitionError(f"{where}: a chain input needs 'inputs': [{{name: input}}]")
    steps: list[tuple[str, Loader]] = []
    for item in items:
        if not isinstance(item, Mapping) or len(item) != 1:
            raise WatchDefinitionError(f"{where}: each chained input is {{name: input}}")
        name, part = next(iter(item.items()))
        steps.append((str(name), compile_input(part, f"{where}, chained input {name!r}")))

    async def chain(client: AsyncElasticsearch, model: dict[str, Any]) -> dict[str, Any]:
        payload: dict[str, Any] = {}
        for name, step in steps:
            payload[name] = await step(client, _with_payload(model, payload))
        return payload

    return chain


def _with_payload(model: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    return {**model, "ctx": {**model["ctx"], "payload": payload}}


def _extract(payload: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """Only the given dotted paths of the payload, nested as they were."""
    kept: dict[str, Any] = {}
    for path in paths:
        value = resolve(path, payload)
        if value is MISSING:
            continue
        target = kept
        *parents, last = path.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value
    return kept


async def _empty(client: AsyncElasticsearch, model: dict[str, Any]) -> dict[str, Any]:
    return {}
