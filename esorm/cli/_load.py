"""Find what a command names as `module:attribute` (`app.models:registry`)."""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from collections.abc import Iterable
from typing import Any

import click

from esorm.events import MessageBus
from esorm.mapping import Registry
from esorm.watchers import Watch


def load_object(spec: str, option: str) -> Any:
    """The attribute a `module:attribute` names; the working directory is importable."""
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise click.BadParameter(f"write MODULE:ATTRIBUTE, got {spec!r}", param_hint=option)
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise click.BadParameter(
            f"cannot import {module_name!r}: {exc}", param_hint=option
        ) from None
    value: Any = module
    for part in attribute.split("."):
        if not hasattr(value, part):
            raise click.BadParameter(
                f"{module_name!r} has no attribute {attribute!r}", param_hint=option
            )
        value = getattr(value, part)
    return value


def load_registry(spec: str) -> Registry:
    """The `Registry` a `--registry` names."""
    value = load_object(spec, "--registry")
    if not isinstance(value, Registry):
        raise click.BadParameter(
            f"{spec!r} is a {type(value).__name__}, not an esorm Registry",
            param_hint="--registry",
        )
    return value


def load_watches(spec: str) -> list[Watch]:
    """The watches a `--watches` names: a Watch, an iterable of them, or a function
    (no arguments) returning either."""
    value = load_object(spec, "--watches")
    if callable(value) and not isinstance(value, Watch):
        value = value()
    listed = [value] if isinstance(value, Watch) else value
    if not isinstance(listed, Iterable) or isinstance(listed, str | bytes):
        raise click.BadParameter(f"{spec!r} is not a list of Watch values", param_hint="--watches")
    watches = list(listed)
    wrong = [w for w in watches if not isinstance(w, Watch)]
    if wrong:
        raise click.BadParameter(
            f"{spec!r} holds {type(wrong[0]).__name__} values, not only Watch values",
            param_hint="--watches",
        )
    return watches


async def load_bus(spec: str, client: Any) -> MessageBus:
    """The `MessageBus` a `--bus` names: a bus, or a function of the connected client
    returning one (or an awaitable of one), so handlers can open units of work on it."""
    value = load_object(spec, "--bus")
    if not isinstance(value, MessageBus) and callable(value):
        value = value(client)
        if inspect.isawaitable(value):
            value = await value
    if not isinstance(value, MessageBus):
        raise click.BadParameter(
            f"{spec!r} is a {type(value).__name__}, not an esorm MessageBus (or a function "
            f"of the client returning one)",
            param_hint="--bus",
        )
    return value
