"""Options several commands share: the registry, the entity, the wait for the cluster, the
log level of the long-running ones."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import click
from pydantic import BaseModel

from esorm.errors import EsormError
from esorm.mapping import Registry

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

EXIT_DRIFT = 3
"""`esorm indices plan` found indices that need creating, fields added, or a migration."""
EXIT_BUSY = 4
"""Another migration holds the index."""


def registry_option(command: F) -> F:
    """`--registry MODULE:ATTRIBUTE`, the application's esorm Registry."""
    return click.option(
        "--registry",
        "registry_spec",
        required=True,
        metavar="MODULE:ATTRIBUTE",
        help="The application's esorm Registry, e.g. app.models:registry.",
    )(command)


def wait_option(command: F) -> F:
    """`--wait SECONDS` for the cluster to answer."""
    return click.option(
        "--wait",
        type=float,
        default=30.0,
        show_default=True,
        help="Seconds to wait for the cluster to answer.",
    )(command)


def log_level_option(command: F) -> F:
    """`--log-level` of a long-running command (the outbox relay, the watch runner)."""
    return click.option(
        "--log-level",
        type=click.Choice(["debug", "info", "warning", "error"]),
        default="info",
        show_default=True,
    )(command)


def configure_logging(level: str) -> None:
    """Log to stderr at `level`, with time and logger name (what `--log-level` asks)."""
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def entity_of(registry: Registry, name: str) -> type[BaseModel]:
    """The registered entity class called `name` (its class name or its index name)."""
    for mapping in registry:
        if name in (mapping.name, mapping.base_index, mapping.index):
            return mapping.entity
    known = ", ".join(sorted(mapping.name for mapping in registry)) or "none"
    raise click.BadParameter(f"no registered entity {name!r}; known: {known}", param_hint="ENTITY")


def run_async(work: Coroutine[Any, Any, T]) -> T:
    """Run a command's work; esorm's errors become a clean message and exit code 1."""
    try:
        return asyncio.run(work)
    except EsormError as exc:
        raise click.ClickException(str(exc)) from None
