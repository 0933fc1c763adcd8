"""pytest plugin: a real Elasticsearch-compatible server, a client and a per-test index prefix.

Loaded through the ``pytest11`` entry point. ``ESORM_TEST_BACKEND`` picks the
server: ``embedded`` (default, the noida-db binary), ``docker``
(testcontainers) or ``url`` (``ESORM_URL`` and friends). Importing this module
needs neither noida-db nor testcontainers nor pytest-asyncio.

``es_client`` lives on the session's event loop, so async tests using it need
``asyncio_default_test_loop_scope = "session"`` (or ``loop_scope="session"``).
Tests marked ``embedded_gap(reason)`` are expected to fail on the embedded
backend and run normally elsewhere.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from elasticsearch import AsyncElasticsearch

    from esorm.testing._backends import RunningServer

try:
    import pytest_asyncio

    _HAS_PYTEST_ASYNCIO = True
except ModuleNotFoundError:  # pragma: no cover - the async fixtures need it
    _HAS_PYTEST_ASYNCIO = False

WAIT_ENV = "ESORM_TEST_WAIT"


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers the plugin understands."""
    config.addinivalue_line(
        "markers",
        "embedded_gap(reason): behaviour where the embedded server differs from "
        "Elasticsearch; expected to fail when the server is the noida-db emulator",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Check the backend choice, and let tests marked ``embedded_gap`` learn the server."""
    from esorm.errors import ConfigurationError
    from esorm.testing._backends import backend_kind

    try:
        backend_kind()
    except ConfigurationError as exc:
        raise pytest.UsageError(str(exc)) from None
    for item in items:
        if item.get_closest_marker("embedded_gap") is not None:
            # decided at setup, from what the server says it is (also on the url backend)
            item.fixturenames.append("_esorm_embedded_gap")  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def esorm_server() -> Iterator[RunningServer]:
    """The server for this test session (``.settings``, ``.url``, ``.kind``); stopped at the end."""
    from esorm.testing._backends import run_backend

    with run_backend() as server:
        yield server


async def _es_client(esorm_server: RunningServer) -> AsyncIterator[AsyncElasticsearch]:
    """A connected ``AsyncElasticsearch`` for the session; ready and version-checked."""
    from esorm.client import check_server_version, create_client, wait_until_ready

    client = create_client(esorm_server.settings)
    try:
        await wait_until_ready(client, timeout=float(os.environ.get(WAIT_ENV, "30")))
        await check_server_version(client)
        yield client
    finally:
        await client.close()


async def _index_prefix(es_client: AsyncElasticsearch) -> AsyncIterator[str]:
    """A unique lower-case prefix such as ``t1a2b3c4_``; everything under it is removed after."""
    from esorm.testing._cleanup import delete_prefixed

    prefix = f"t{uuid.uuid4().hex[:8]}_"
    yield prefix
    await delete_prefixed(es_client, prefix)


async def _embedded_gap(request: pytest.FixtureRequest, es_client: AsyncElasticsearch) -> None:
    """Expect a test marked ``embedded_gap`` to fail when the server is the noida-db emulator."""
    marker = request.node.get_closest_marker("embedded_gap")
    if marker is None:  # a sibling parametrization shares the fixture list
        return
    info = await es_client.info()
    if info.get("version", {}).get("build_hash") != "noida":
        return
    reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
    request.node.add_marker(pytest.mark.xfail(reason=f"embedded server gap: {reason}"))


if _HAS_PYTEST_ASYNCIO:
    _esorm_embedded_gap: Any = pytest_asyncio.fixture(
        scope="function", loop_scope="session", name="_esorm_embedded_gap"
    )(_embedded_gap)
    es_client: Any = pytest_asyncio.fixture(
        scope="session", loop_scope="session", name="es_client"
    )(_es_client)
    index_prefix: Any = pytest_asyncio.fixture(
        scope="function", loop_scope="session", name="index_prefix"
    )(_index_prefix)
