"""Pick and start the server the tests talk to: embedded, docker or a given URL."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from esorm.client import ConnectionSettings
from esorm.errors import ConfigurationError

BACKEND_ENV = "ESORM_TEST_BACKEND"
BackendKind = Literal["embedded", "docker", "url"]
_KINDS: dict[str, BackendKind] = {"embedded": "embedded", "docker": "docker", "url": "url"}


@dataclass(frozen=True, slots=True)
class RunningServer:
    """A server ready for tests: how to connect, where it is, and what kind it is."""

    kind: BackendKind
    settings: ConnectionSettings
    pid: int | None = None
    """Process id of the embedded server; ``None`` for the other backends."""

    @property
    def url(self) -> str:
        """The first host URL, with any credentials redacted."""
        return self.settings.url

    @property
    def is_embedded(self) -> bool:
        """True for the noida-db emulator, whose gaps tests may mark."""
        return self.kind == "embedded"


def backend_kind(environ: Mapping[str, str] | None = None) -> BackendKind:
    """The backend chosen by ``ESORM_TEST_BACKEND``; ``embedded`` when unset."""
    env = os.environ if environ is None else environ
    value = env.get(BACKEND_ENV, "").strip().lower() or "embedded"
    kind = _KINDS.get(value)
    if kind is not None:
        return kind
    raise ConfigurationError(f"{BACKEND_ENV}={value!r} is not one of {', '.join(_KINDS)}")


@contextmanager
def run_backend(kind: BackendKind | None = None) -> Iterator[RunningServer]:
    """Start (or just describe) the chosen server and stop it on exit."""
    kind = kind or backend_kind()
    if kind == "embedded":
        from esorm.testing._embedded import EmbeddedServer

        with EmbeddedServer() as server:
            settings = ConnectionSettings(hosts=[server.url])
            yield RunningServer("embedded", settings, pid=server.pid)
    elif kind == "docker":
        from esorm.testing._docker import docker_elasticsearch

        with docker_elasticsearch() as url:
            yield RunningServer("docker", ConnectionSettings(hosts=[url]))
    else:
        settings = ConnectionSettings.from_env()
        if not os.environ.get("ESORM_URL", "").strip():
            raise ConfigurationError(
                f"{BACKEND_ENV}=url needs ESORM_URL (and optionally ESORM_API_KEY, "
                f"ESORM_USERNAME/ESORM_PASSWORD, ESORM_CA_CERTS)"
            )
        yield RunningServer("url", settings)
