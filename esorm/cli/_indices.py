"""`esorm indices plan|create`: compare the live indices with the registry, or create them."""

from __future__ import annotations

import sys

import click

from esorm.cli._load import load_registry
from esorm.cli._options import EXIT_DRIFT, registry_option, run_async, wait_option
from esorm.client import ConnectionSettings, connect
from esorm.indices import IndexManager, IndexPlan, IndexReport, PlanStatus
from esorm.mapping import Registry


@click.group()
def indices() -> None:
    """The registry's indices: plan, create."""


@indices.command("plan")
@registry_option
@wait_option
def plan(registry_spec: str, wait: float) -> None:
    """Show, without changing anything, what each entity's index needs.

    Exits 0 when every index is up to date, 3 when one must be created, get fields, or be
    migrated.
    """
    registry = load_registry(registry_spec)
    plans = run_async(_plan(registry, wait))
    for one in plans:
        click.echo(str(one))
    if any(one.status is not PlanStatus.UP_TO_DATE for one in plans):
        sys.exit(EXIT_DRIFT)


@indices.command("create")
@registry_option
@wait_option
@click.option("--dry-run", is_flag=True, help="Show the plan and change nothing.")
@click.option("--no-backfill", is_flag=True, help="Do not fill defaults of added fields in.")
def create(registry_spec: str, wait: float, dry_run: bool, no_backfill: bool) -> None:
    """Create missing indices and add new fields in place; refuses type changes (migrate)."""
    registry = load_registry(registry_spec)
    if dry_run:
        for one in run_async(_plan(registry, wait)):
            click.echo(str(one))
        return
    for report in run_async(_create(registry, wait, not no_backfill)):
        click.echo(str(report))


async def _plan(registry: Registry, wait: float) -> list[IndexPlan]:
    async with connect(ConnectionSettings.from_env(), wait=wait) as client:
        return await IndexManager(client, registry).plan()


async def _create(registry: Registry, wait: float, backfill: bool) -> list[IndexReport]:
    async with connect(ConnectionSettings.from_env(), wait=wait) as client:
        return await IndexManager(client, registry).create_all(backfill=backfill)
