"""(h) The blog's service-layer checks, timed on the server and on the in-memory store.

The same checks the example's test suite runs (`examples.blog.service_checks.CHECKS`),
each on fresh indices as a test gets them: creating the indices is timed, deleting them
afterwards is not. The ratio is the in-memory time over the server's.
"""

from __future__ import annotations

import uuid
from typing import Any

from benchmarks._context import Bench
from benchmarks._harness import Case
from esorm.indices import IndexManager
from esorm.mapping import Registry
from esorm.store import DocumentStore, ElasticsearchStore
from esorm.testing import InMemoryStore, RecordingStore, delete_prefixed
from examples.blog.mapping import blog_registry
from examples.blog.service_checks import CHECKS, Blog
from examples.blog.uow import BlogUnitOfWork

CHECK_COUNT = len(CHECKS)


def _blog(store: DocumentStore, registry: Registry) -> Blog:
    calls = RecordingStore(store)
    return Blog(calls, lambda: BlogUnitOfWork(calls, registry, refresh="wait_for"))


def cases(bench: Bench) -> list[Case]:
    base = blog_registry()  # built once, as an application does; each check gets a prefix

    async def server_setup() -> str:
        return f"{bench.registry.prefix}svc-{uuid.uuid4().hex[:6]}-"

    async def on_server(run_prefix: str) -> None:
        store = ElasticsearchStore(bench.client)
        for number, check in enumerate(CHECKS):
            registry = base.with_prefix(f"{run_prefix}{number}-")
            await IndexManager(bench.client, registry).create_all()
            await check(_blog(store, registry))

    async def server_teardown(run_prefix: Any) -> None:
        await delete_prefixed(bench.client, str(run_prefix))

    async def in_memory(_: None) -> None:
        for check in CHECKS:
            store = InMemoryStore()
            store.create_indices(base)
            await check(_blog(store, base))

    note = f"{len(CHECKS)} checks, fresh indices each"
    return [
        Case(
            "blog checks on the server",
            "esorm",
            "baseline",
            on_server,
            setup=server_setup,
            teardown=server_teardown,
            note=note,
        ),
        Case("blog checks in memory", "esorm", "target", in_memory, note=note),
    ]
