"""pytest plugin: a real Elasticsearch-compatible server, a client per event loop, a test prefix.

Loaded through the ``pytest11`` entry point. ``ESORM_TEST_BACKEND`` picks the
server: ``embedded`` (default, the noida-db binary), ``docker``
(testcontainers) or ``url`` (``ESORM_URL`` and friends). Importing this module
needs neither noida-db nor testcontainers nor pytest-asyncio.

The server is started once per session. ``es_client`` and ``index_prefix``
follow the event loop the test runs on, whatever pytest-asyncio's loop scopes
are: each loop gets its own client, opened on it and closed before it closes,
so a session loop shares one client and a function loop gets a fresh one.
Tests marked ``embedded_gap(reason)`` are expected to fail on the embedded
backend and run normally elsewhere. ``memory_store`` is an ``InMemoryStore`` per
test, for service-layer tests that need no server at all.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from elasticsearch import AsyncElasticsearch

    from esorm.testing._backends import RunningServer
    from esorm.testing._clients import LoopClients
    from esorm.testing._loops import LoopScope
    from esorm.testing.memory import InMemoryStore

try:
    import pytest_asyncio  # noqa: F401 - only whether it is there

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


@pytest.fixture(scope="session")
def _esorm_clients(esorm_server: RunningServer) -> LoopClients:
    """Opens the per-loop clients; the first one waits for the server and checks its version."""
    from esorm.testing._clients import LoopClients

    return LoopClients(esorm_server.settings, wait=float(os.environ.get(WAIT_ENV, "30")))


@pytest.fixture
def es_client(request: pytest.FixtureRequest) -> AsyncElasticsearch:
    """A connected ``AsyncElasticsearch`` on the event loop this test runs on."""
    from esorm.testing._fixtures import client_name

    client: AsyncElasticsearch = request.getfixturevalue(client_name(_loop_scope(request)))
    return client


@pytest.fixture
def index_prefix(request: pytest.FixtureRequest, es_client: AsyncElasticsearch) -> str:
    """A unique lower-case prefix such as ``t1a2b3c4_``; everything under it is removed after."""
    from esorm.testing._fixtures import prefix_name

    prefix: str = request.getfixturevalue(prefix_name(_loop_scope(request)))
    return prefix


@pytest.fixture
def memory_store() -> InMemoryStore:
    """A fresh in-memory document store (one "cluster") for this test: no server, no client.

    Create a registry's indices with ``memory_store.create_indices(registry)``, then build
    units of work on it: ``MyUnitOfWork(memory_store, registry)``.
    """
    from esorm.testing.memory import InMemoryStore

    return InMemoryStore()


@pytest.fixture
def _esorm_embedded_gap(
    request: pytest.FixtureRequest, es_client: AsyncElasticsearch, _esorm_clients: LoopClients
) -> None:
    """Expect a test marked ``embedded_gap`` to fail when the server is the noida-db emulator."""
    marker = request.node.get_closest_marker("embedded_gap")
    if marker is None or not _esorm_clients.server_is_emulator:
        return  # (no marker: a sibling parametrization shares the fixture list)
    reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
    request.node.add_marker(pytest.mark.xfail(reason=f"embedded server gap: {reason}"))


def _loop_scope(request: pytest.FixtureRequest) -> LoopScope:
    """The scope of the loop the requesting test runs on."""
    if not _HAS_PYTEST_ASYNCIO:
        pytest.fail("esorm's es_client and index_prefix need pytest-asyncio", pytrace=False)
    from esorm.testing._loops import loop_scope_of

    return loop_scope_of(request.node)


if _HAS_PYTEST_ASYNCIO:
    from esorm.testing._fixtures import client_fixture, prefix_fixture

    _esorm_client_function = client_fixture("function")
    _esorm_client_class = client_fixture("class")
    _esorm_client_module = client_fixture("module")
    _esorm_client_package = client_fixture("package")
    _esorm_client_session = client_fixture("session")
    _esorm_prefix_function = prefix_fixture("function")
    _esorm_prefix_class = prefix_fixture("class")
    _esorm_prefix_module = prefix_fixture("module")
    _esorm_prefix_package = prefix_fixture("package")
    _esorm_prefix_session = prefix_fixture("session")
