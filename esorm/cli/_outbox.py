"""`esorm outbox ...`: deliver the events outbox documents still hold (the relay)."""

from __future__ import annotations

import asyncio
import datetime

import click

from esorm.cli._load import load_bus, load_registry
from esorm.cli._options import configure_logging, log_level_option, registry_option, wait_option
from esorm.client import ConnectionSettings, connect
from esorm.errors import EsormError
from esorm.mapping import Registry
from esorm.outbox import OutboxRelay, RelayReport, serve_relay


@click.group()
def outbox() -> None:
    """The outbox: events kept in their aggregates' documents until delivered."""


@outbox.command("relay")
@registry_option
@click.option(
    "--bus",
    "bus_spec",
    metavar="MODULE:ATTRIBUTE",
    help="The MessageBus with the handlers, or a function of the connected client that "
    "returns one; default: `bus` in the registry's module.",
)
@click.option("--limit", type=int, default=1000, show_default=True, help="Documents per pass.")
@click.option("--batch-size", type=int, default=100, show_default=True)
@click.option(
    "--lease", type=float, default=300.0, show_default=True, help="Seconds a claim lasts."
)
@click.option("--max-attempts", type=int, default=10, show_default=True)
@click.option(
    "--every",
    type=float,
    help="Run a pass every so many seconds until SIGINT/SIGTERM (default: one pass).",
)
@wait_option
@log_level_option
def relay(
    registry_spec: str,
    bus_spec: str | None,
    limit: int,
    batch_size: int,
    lease: float,
    max_attempts: int,
    every: float | None,
    wait: float,
    log_level: str,
) -> None:
    """Deliver due outbox events: one bounded pass (exit 1 when some event failed), or a
    pass every --every seconds. Connects from ESORM_URL and the other ESORM_* variables."""
    configure_logging(log_level)
    registry = load_registry(registry_spec)
    spec = bus_spec or f"{registry_spec.partition(':')[0]}:bus"
    options = {"batch_size": batch_size, "max_attempts": max_attempts, "lease": lease}
    try:
        settings = ConnectionSettings.from_env()
        report = asyncio.run(_run(settings, registry, spec, wait, limit, every, options))
    except EsormError as exc:
        raise click.ClickException(str(exc)) from None
    if report is not None:
        click.echo(f"outbox relay: {report}")
        for problem in (*report.failures, *report.undeliverable):
            click.echo(f"  {problem}", err=True)
        if not report.ok:
            raise SystemExit(1)


async def _run(
    settings: ConnectionSettings,
    registry: Registry,
    bus_spec: str,
    wait: float,
    limit: int,
    every: float | None,
    options: dict[str, float],
) -> RelayReport | None:
    async with connect(settings, wait=wait) as client:
        bus = await load_bus(bus_spec, client)
        relay = OutboxRelay(
            client,
            registry,
            bus,
            batch_size=int(options["batch_size"]),
            lease=datetime.timedelta(seconds=options["lease"]),
            max_attempts=int(options["max_attempts"]),
        )
        if every is None:
            return await relay.run_once(limit=limit)
        await serve_relay(relay, every=every, limit=limit)
        return None
