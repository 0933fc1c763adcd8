"""Which runs the watches: Elasticsearch's Watcher, or esorm's local runner.

`auto` asks the cluster: `GET _xpack` for the Watcher feature under the current license,
then `GET _watcher/stats` through the same boundary that turns "no handler" and license
refusals into `WatcherUnavailableError`. Anything short of a started Watcher under a
license that includes it means local.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from typing import Literal, TypeAlias

from elasticsearch import ApiError, AsyncElasticsearch

from esorm.client import client_hosts, error_reason, translate_transport_errors
from esorm.watchers._errors import WatcherUnavailableError, watcher_boundary

_log = logging.getLogger("esorm.watchers")

Mode: TypeAlias = Literal["auto", "watcher", "local"]
MODES = ("auto", "watcher", "local")


class WatchBackend(enum.StrEnum):
    """Where watches run."""

    WATCHER = "watcher"
    LOCAL = "local"


@dataclass(frozen=True, slots=True)
class BackendChoice:
    """The backend chosen and why (what the cluster answered)."""

    backend: WatchBackend
    reason: str

    def __str__(self) -> str:
        if self.backend is WatchBackend.WATCHER:
            return f"watches run in Elasticsearch's Watcher ({self.reason})"
        return f"watches run locally by esorm ({self.reason})"


async def probe_watcher(client: AsyncElasticsearch) -> tuple[bool, str]:
    """Whether the cluster can run watches itself, and what its answers said."""
    with translate_transport_errors(client_hosts(client)):
        try:
            info = (await client.xpack.info(categories="features,license")).body
        except ApiError as exc:
            return False, f"the server has no X-Pack info API ({error_reason(exc)})"
    feature = (info.get("features") or {}).get("watcher") or {}
    license_type = (info.get("license") or {}).get("type", "unknown")
    license_status = (info.get("license") or {}).get("status", "unknown")
    if not feature.get("available"):
        return False, f"Watcher is not available under the {license_type!r} license"
    if not feature.get("enabled", True):
        return False, "Watcher is disabled on the cluster (xpack.watcher.enabled)"
    if license_status != "active":
        return False, f"the {license_type!r} license is {license_status}"
    try:
        with watcher_boundary(client, "probing Watcher"):
            stats = (await client.watcher.stats()).body
    except WatcherUnavailableError as exc:
        return False, str(exc)
    states = {str(node.get("watcher_state")) for node in stats.get("stats") or []}
    if states and not states & {"started", "starting"}:
        return False, f"Watcher is {', '.join(sorted(states))} (POST _watcher/_start)"
    return True, f"{license_type!r} license, Watcher available"


async def choose_backend(client: AsyncElasticsearch, mode: Mode) -> BackendChoice:
    """The backend for `mode`: `local` and `watcher` as asked (the latter checked), `auto`
    by probing; the choice is logged.

    Raises:
        WatcherUnavailableError: `mode="watcher"` on a cluster that cannot run watches.
        ValueError: an unknown mode.
    """
    if mode not in MODES:
        raise ValueError(f"unknown watcher mode {mode!r}: use one of {', '.join(MODES)}")
    if mode == "local":
        choice = BackendChoice(WatchBackend.LOCAL, "mode='local'")
    else:
        available, why = await probe_watcher(client)
        if mode == "watcher" and not available:
            raise WatcherUnavailableError(
                f"mode='watcher' but the cluster at {', '.join(client_hosts(client))} cannot "
                f"run watches: {why}; use mode='auto' or 'local' to run them in the application"
            )
        backend = WatchBackend.WATCHER if available else WatchBackend.LOCAL
        choice = BackendChoice(backend, f"mode={mode!r}: {why}")
    _log.info("%s", choice)
    return choice
