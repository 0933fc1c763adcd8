"""The root `esorm` group; each area of esorm adds its commands as a group of its own."""

from __future__ import annotations

import click

from esorm.cli._indices import indices
from esorm.cli._migrate import migrate
from esorm.cli._outbox import outbox
from esorm.cli._watchers import watchers


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="esorm")
def cli() -> None:
    """esorm: async persistence for Elasticsearch, from the command line."""


cli.add_command(indices)
cli.add_command(migrate)
cli.add_command(watchers)
cli.add_command(outbox)


def main() -> None:
    """The console script's entry point."""
    cli(prog_name="esorm")
