"""The `esorm` command: `esorm watchers run --registry app.models:registry`, `esorm outbox relay`.

Needs the `cli` extra (`pip install 'esorm[cli]'`, for click); `import esorm` does not.
The command only parses arguments, loads what they name, connects from the `ESORM_*`
environment and calls the packages that do the work.
"""

try:
    import click as _click  # noqa: F401
except ModuleNotFoundError as _missing:  # pragma: no cover - depends on the environment
    raise ModuleNotFoundError(
        "the esorm command needs click; install it with `pip install 'esorm[cli]'`"
    ) from _missing

from esorm.cli._load import load_bus, load_object, load_registry, load_watches
from esorm.cli._root import cli, main

__all__ = ["cli", "load_bus", "load_object", "load_registry", "load_watches", "main"]
