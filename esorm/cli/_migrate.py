"""`esorm migrate run|status|resume|rollback|cleanup ENTITY`: migrations, with a progress bar."""

from __future__ import annotations

import sys
from collections.abc import Callable, Coroutine
from typing import Any

import click

from esorm.cli._load import load_object, load_registry
from esorm.cli._options import EXIT_BUSY, entity_of, registry_option, run_async, wait_option
from esorm.client import ConnectionSettings, connect
from esorm.indices import IndexManager
from esorm.mapping import Registry
from esorm.migrations import (
    Migration,
    MigrationInProgressError,
    MigrationProgress,
    MigrationReport,
)

Step = Callable[[Migration], Coroutine[Any, Any, Any]]


@click.group()
def migrate() -> None:
    """Migrate an entity's index without downtime; resume, roll back, clean up."""


def _migration_options(command: Any) -> Any:
    command = click.argument("entity")(command)
    command = registry_option(command)
    return wait_option(command)


@migrate.command("run")
@_migration_options
@click.option("--transform", metavar="MODULE:ATTRIBUTE", help="A function upcasting documents.")
@click.option("--copy", "copy_mode", type=click.Choice(["client", "server"]), default="client")
@click.option("--on-invalid", type=click.Choice(["stop", "skip"]), default="stop")
@click.option("--force", is_flag=True, help="Migrate even when the index matches the entity.")
@click.option("--dry-run", is_flag=True, help="Show the plan for the entity; change nothing.")
def run(
    entity: str,
    registry_spec: str,
    wait: float,
    transform: str | None,
    copy_mode: str,
    on_invalid: str,
    force: bool,
    dry_run: bool,
) -> None:
    """Copy ENTITY's documents into a new index, catch up, switch the alias."""
    registry = load_registry(registry_spec)
    options: dict[str, Any] = {"copy": copy_mode, "on_invalid": on_invalid, "force": force}
    if transform:
        options["transform"] = load_object(transform, "--transform")
    if dry_run:
        _dry_run(registry, entity, wait)
        return
    _report(_with_bar(registry, entity, wait, options, lambda m: m.run()))


@migrate.command("status")
@_migration_options
def status(entity: str, registry_spec: str, wait: float) -> None:
    """What the cluster records of ENTITY's latest migration."""
    registry = load_registry(registry_spec)
    state = run_async(_one(registry, entity, wait, {}, lambda m: m.status()))
    if state is None:
        click.echo(f"{entity}: no migration recorded")
        return
    click.echo(
        f"{state.id}: {state.source} -> {state.target} {state.phase}; {state.copied} copied, "
        f"{state.deleted} deleted, {state.passes} passes"
        + (f"; writes paused {state.write_pause_ms:.0f} ms" if state.write_pause_ms else "")
        + (f"; error: {state.error}" if state.error else "")
    )


@migrate.command("resume")
@_migration_options
@click.option("--transform", metavar="MODULE:ATTRIBUTE", help="The run's transform again.")
def resume(entity: str, registry_spec: str, wait: float, transform: str | None) -> None:
    """Go on with ENTITY's unfinished migration."""
    registry = load_registry(registry_spec)
    options = {"transform": load_object(transform, "--transform")} if transform else {}
    _report(_with_bar(registry, entity, wait, options, lambda m: m.resume()))


@migrate.command("rollback")
@_migration_options
@click.option("--reverse", metavar="MODULE:ATTRIBUTE", help="A function downcasting documents.")
def rollback(entity: str, registry_spec: str, wait: float, reverse: str | None) -> None:
    """Move ENTITY's alias back to the old index, with the writes made since."""
    registry = load_registry(registry_spec)
    options = {"reverse": load_object(reverse, "--reverse")} if reverse else {}
    _report(_with_bar(registry, entity, wait, options, lambda m: m.rollback()))


@migrate.command("cleanup")
@_migration_options
def cleanup(entity: str, registry_spec: str, wait: float) -> None:
    """Delete the index ENTITY's finished migration left behind."""
    registry = load_registry(registry_spec)
    _report(_with_bar(registry, entity, wait, {}, lambda m: m.cleanup()))


def _with_bar(
    registry: Registry, entity: str, wait: float, options: dict[str, Any], step: Step
) -> MigrationReport:
    """Run a step with a progress bar on stderr (one bar per phase)."""
    bars: dict[str, Any] = {}
    shown: dict[str, int] = {}

    def progress(seen: MigrationProgress) -> None:
        bar = bars.get(seen.phase)
        if bar is None:
            for old in bars.values():
                old.render_finish()
            bar = bars[seen.phase] = click.progressbar(
                length=seen.total or None, label=seen.phase, file=sys.stderr, show_pos=True
            )
        bar.update(seen.done - shown.get(seen.phase, 0))
        shown[seen.phase] = seen.done

    try:
        report: MigrationReport = run_async(
            _one(registry, entity, wait, {**options, "on_progress": progress}, step)
        )
    except MigrationInProgressError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_BUSY)
    finally:
        for bar in bars.values():
            bar.render_finish()
    return report


async def _one(
    registry: Registry, entity: str, wait: float, options: dict[str, Any], step: Step
) -> Any:
    async with connect(ConnectionSettings.from_env(), wait=wait) as client:
        return await step(Migration(client, registry, entity_of(registry, entity), **options))


def _dry_run(registry: Registry, entity: str, wait: float) -> None:
    async def plan() -> str:
        async with connect(ConnectionSettings.from_env(), wait=wait) as client:
            manager = IndexManager(client, registry)
            return str(await manager.plan_for(entity_of(registry, entity)))

    click.echo(run_async(plan()))


def _report(report: MigrationReport) -> None:
    click.echo(str(report))
    for skipped in report.skipped:
        click.echo(f"  skipped {skipped}")
