"""Remove everything a test created under its index prefix."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from elasticsearch import ApiError, AsyncElasticsearch, NotFoundError

_CHUNK = 50


async def delete_prefixed(client: AsyncElasticsearch, prefix: str) -> None:
    """Delete data streams, indices and templates whose names start with ``prefix``.

    Names are resolved first and deleted by name, because Elasticsearch 8+
    refuses wildcard deletes under ``action.destructive_requires_name``
    (its default). Missing things are ignored. Every step runs; the first
    failure is raised at the end.
    """
    if not prefix or "*" in prefix:
        raise ValueError(f"refusing to clean up with prefix {prefix!r}")
    pattern = prefix + "*"
    errors: list[BaseException] = []

    async def step(fn: Callable[[], Awaitable[None]]) -> None:
        try:
            await fn()
        except NotFoundError:
            pass
        except ApiError as exc:
            if not _unsupported(exc):
                errors.append(exc)

    async def data_streams() -> None:
        resp = await client.indices.get_data_stream(name=pattern, expand_wildcards="all")
        names = [ds["name"] for ds in resp.body.get("data_streams", [])]
        for chunk in _chunks(names):
            await client.indices.delete_data_stream(name=chunk, expand_wildcards="all")

    async def indices() -> None:
        resp = await client.indices.get(
            index=pattern, expand_wildcards="all", allow_no_indices=True, ignore_unavailable=True
        )
        names = [n for n in resp.body if n.startswith(prefix)]
        for chunk in _chunks(names):
            await client.indices.delete(index=chunk, ignore_unavailable=True, allow_no_indices=True)

    async def index_templates() -> None:
        resp = await client.indices.get_index_template(name=pattern)
        for t in resp.body.get("index_templates", []):
            await _ignore_missing(client.indices.delete_index_template(name=t["name"]))

    async def component_templates() -> None:
        resp = await client.cluster.get_component_template(name=pattern)
        for t in resp.body.get("component_templates", []):
            await _ignore_missing(client.cluster.delete_component_template(name=t["name"]))

    async def legacy_templates() -> None:
        resp = await client.indices.get_template(name=pattern)
        for name in resp.body:
            await _ignore_missing(client.indices.delete_template(name=name))

    await step(data_streams)
    await step(indices)
    await step(index_templates)
    await step(component_templates)
    await step(legacy_templates)
    if errors:
        raise errors[0]


async def _ignore_missing(call: Awaitable[Any]) -> None:
    with contextlib.suppress(NotFoundError):
        await call


def _unsupported(exc: ApiError) -> bool:
    """True when the server has no such endpoint (e.g. data streams on an emulator)."""
    return exc.meta.status in (400, 405) and "no handler found" in f"{exc.message} {exc.body}"


def _chunks(names: list[str]) -> list[list[str]]:
    return [names[i : i + _CHUNK] for i in range(0, len(names), _CHUNK)]
