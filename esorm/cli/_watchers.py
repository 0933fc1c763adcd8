"""`esorm watchers ...`: run an application's watches (Watcher or the local runner)."""

from __future__ import annotations

import asyncio
from typing import Any

import click

from esorm.cli._load import load_registry, load_watches
from esorm.cli._options import configure_logging, log_level_option, registry_option, wait_option
from esorm.client import ConnectionSettings, connect
from esorm.errors import EsormError
from esorm.mapping import Registry
from esorm.watchers import Mode, Watch, WatcherManager, serve


@click.group()
def watchers() -> None:
    """Watches: put them into Elasticsearch's Watcher, or run them locally."""


@watchers.command("run")
@registry_option
@click.option(
    "--watches",
    "watches_spec",
    metavar="MODULE:ATTRIBUTE",
    help="The watches (a list, or a function returning one); default: `watches` in the "
    "registry's module.",
)
@click.option(
    "--mode",
    type=click.Choice(["auto", "watcher", "local"]),
    default="auto",
    show_default=True,
    help="auto: Watcher when the cluster's license has it, else run locally.",
)
@click.option("--node", help="This runner's name in leases and history (default host-pid).")
@click.option("--lease-ttl", default="5m", show_default=True, help="Lease of a running watch.")
@click.option(
    "--history-retention",
    default="7d",
    show_default=True,
    help="How long execution history is kept ('none' keeps it all).",
)
@wait_option
@log_level_option
def run(
    registry_spec: str,
    watches_spec: str | None,
    mode: Mode,
    node: str | None,
    lease_ttl: str,
    history_retention: str,
    wait: float,
    log_level: str,
) -> None:
    """Run the watches until SIGINT/SIGTERM (executions in flight finish first).

    Connects from ESORM_URL, ESORM_API_KEY or ESORM_USERNAME/ESORM_PASSWORD, ESORM_CA_CERTS...
    With Watcher, the watches are put into the cluster and the command returns.
    """
    configure_logging(log_level)
    registry = load_registry(registry_spec)
    module = registry_spec.partition(":")[0]
    watches = load_watches(watches_spec or f"{module}:watches")
    options: dict[str, Any] = {
        "node": node,
        "lease_ttl": lease_ttl,
        "history_retention": None if history_retention == "none" else history_retention,
    }
    try:
        settings = ConnectionSettings.from_env()
        asyncio.run(_run(settings, registry, watches, mode, wait, options))
    except EsormError as exc:
        raise click.ClickException(str(exc)) from None


async def _run(
    settings: ConnectionSettings,
    registry: Registry,
    watches: list[Watch],
    mode: Mode,
    wait: float,
    options: dict[str, Any],
) -> None:
    async with connect(settings, wait=wait) as client:
        await serve(WatcherManager(client, registry, mode=mode), watches, **options)
