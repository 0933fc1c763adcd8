"""Put, read, (de)activate, execute and delete the watches of an application."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from elasticsearch import ApiError, AsyncElasticsearch, NotFoundError

from esorm.client import error_reason
from esorm.mapping import Registry
from esorm.watchers import _checks
from esorm.watchers._backend import BackendChoice, Mode, WatchBackend, choose_backend
from esorm.watchers._errors import (
    WatchDefinitionError,
    WatchNotFoundError,
    scrub,
    watcher_boundary,
)
from esorm.watchers._results import StoredWatch, WatchChange, WatchExecution, WatchReport
from esorm.watchers._watch import Watch


class WatcherManager:
    """Keeps a registry's watches on the server; names get the registry's prefix.

    Every call goes through one error boundary: an unreachable server raises
    `ConnectionFailedError`, a server without Watcher (an emulator, a basic license)
    `WatcherUnavailableError`, a refused definition `WatchDefinitionError`, and a named
    watch that does not exist `WatchNotFoundError` (`get` answers None, `delete` False).

    `mode` says where an application's watches run (`WatchService` follows it):
    `"watcher"` puts them into Elasticsearch's Watcher, `"local"` runs them in the
    application (`WatchRunner`), and `"auto"` probes the cluster's license and Watcher and
    picks one, logging the choice; `backend` tells which once chosen.
    """

    def __init__(
        self, client: AsyncElasticsearch, registry: Registry, *, mode: Mode = "auto"
    ) -> None:
        self._client = client
        self._registry = registry
        if mode not in ("auto", "watcher", "local"):
            raise ValueError(f"unknown watcher mode {mode!r}: use 'auto', 'watcher' or 'local'")
        self._mode: Mode = mode
        self._choice: BackendChoice | None = None

    @property
    def client(self) -> AsyncElasticsearch:
        """The client the manager (and a local runner it starts) talks through."""
        return self._client

    @property
    def mode(self) -> Mode:
        """`"auto"`, `"watcher"` or `"local"`, as given."""
        return self._mode

    @property
    def backend(self) -> WatchBackend | None:
        """Where watches run: chosen by `choose_backend()`; None before."""
        return None if self._choice is None else self._choice.backend

    @property
    def choice(self) -> BackendChoice | None:
        """The backend chosen and why; None before `choose_backend()`."""
        return self._choice

    async def choose_backend(self) -> WatchBackend:
        """Decide (once) where watches run, following `mode`; the choice is logged.

        Raises:
            WatcherUnavailableError: `mode="watcher"` and the cluster cannot run watches.
        """
        if self._choice is None:
            self._choice = await choose_backend(self._client, self._mode)
        return self._choice.backend

    @property
    def registry(self) -> Registry:
        """The registry whose prefix the watch names get."""
        return self._registry

    def watch_id(self, name: str) -> str:
        """The stored id of a watch name: the registry prefix, then the name."""
        return self._registry.prefix + _checks.check_name(name)

    async def put(self, watch: Watch) -> WatchReport:
        """Create or replace one watch; its `active` flag decides whether it runs."""
        watch_id = self.watch_id(watch.name)
        doing = f"putting watch {watch_id!r}"
        try:
            with watcher_boundary(self._client, doing):
                response = await self._client.watcher.put_watch(
                    id=watch_id, active=watch.active, body=watch.to_dict()
                )
        except ApiError as exc:
            if exc.meta.status != 400:
                raise
            raise _refused(exc, f"watch {watch_id!r}", watch.secrets()) from None
        body = response.body
        version = int(body.get("_version", 1))
        created = body.get("created")
        change = created if isinstance(created, bool) else version == 1
        return WatchReport(
            watch_id, WatchChange.CREATED if change else WatchChange.UPDATED, version, watch.active
        )

    async def put_all(self, watches: Iterable[Watch]) -> list[WatchReport]:
        """Put several watches in order; two with the same name fail before any request."""
        listed = list(watches)
        seen: set[str] = set()
        for watch in listed:
            if watch.name in seen:
                raise WatchDefinitionError(
                    f"two watches are named {watch.name!r}; the second would replace the first"
                )
            seen.add(watch.name)
        return [await self.put(watch) for watch in listed]

    async def get(self, name: str) -> StoredWatch | None:
        """The stored watch, or None when there is none by that name."""
        watch_id = self.watch_id(name)
        try:
            with watcher_boundary(self._client, f"reading watch {watch_id!r}"):
                response = await self._client.watcher.get_watch(id=watch_id)
        except NotFoundError:
            return None
        body = response.body
        if not body.get("found", True):
            return None
        status: Mapping[str, Any] = body.get("status") or {}
        return StoredWatch(
            id=watch_id,
            name=name,
            version=int(body.get("_version") or status.get("version") or 0),
            active=bool((status.get("state") or {}).get("active", False)),
            body=body.get("watch") or {},
            status=status,
            seq_no=body.get("_seq_no"),
            primary_term=body.get("_primary_term"),
        )

    async def delete(self, name: str) -> bool:
        """Delete a watch; False when there was none by that name."""
        watch_id = self.watch_id(name)
        try:
            with watcher_boundary(self._client, f"deleting watch {watch_id!r}"):
                response = await self._client.watcher.delete_watch(id=watch_id)
        except NotFoundError:
            return False
        return bool(response.body.get("found", True))

    async def activate(self, name: str) -> None:
        """Let a stored watch run on its schedule again."""
        await self._set_active(name, True)

    async def deactivate(self, name: str) -> None:
        """Stop a stored watch from running on its schedule, keeping it stored."""
        await self._set_active(name, False)

    async def ack(self, name: str, actions: Sequence[str] | None = None) -> list[str]:
        """Acknowledge a stored watch's actions (all when None): Watcher throttles an acked
        action until the watch's condition next fails. Returns the named actions that are
        acked after the call (an action that never ran successfully cannot be acked)."""
        watch_id = self.watch_id(name)
        doing = f"acknowledging watch {watch_id!r}"
        try:
            with watcher_boundary(self._client, doing):
                response = await self._client.watcher.ack_watch(
                    watch_id=watch_id, action_id=list(actions) if actions else None
                )
        except NotFoundError:
            raise WatchNotFoundError(watch_id, doing) from None
        statuses: Mapping[str, Any] = (response.body.get("status") or {}).get("actions") or {}
        chosen = list(actions) if actions else list(statuses)
        return [a for a in chosen if (statuses.get(a) or {}).get("ack", {}).get("state") == "acked"]

    async def execute(
        self,
        watch: str | Watch,
        *,
        simulate: bool = True,
        ignore_condition: bool = False,
        record: bool = False,
        alternative_input: Mapping[str, Any] | None = None,
        trigger_data: Mapping[str, Any] | None = None,
    ) -> WatchExecution:
        """Run a watch now: a stored one by name, or a `Watch` value without storing it.

        Args:
            simulate: simulate every action (a dry run: no email, no webhook call, no
                write); False executes them for real.
            ignore_condition: run the actions even when the condition does not hold.
            record: keep the run in the watch history and update the stored watch's status
                (stored watches only).
            alternative_input: a payload used instead of running the input.
            trigger_data: the trigger event's data (`triggered_time`, `scheduled_time`).
        """
        kwargs: dict[str, Any] = {}
        if isinstance(watch, Watch) and record:
            raise WatchDefinitionError(
                f"watch {watch.name!r}: the run of a watch that is not stored cannot be "
                f"recorded; put it first and execute it by name, or pass record=False"
            )
        if isinstance(watch, Watch):
            kwargs["watch"] = watch.to_dict()
            target, secrets = "an inline watch", watch.secrets()
        else:
            kwargs["id"] = self.watch_id(watch)
            target, secrets = f"watch {kwargs['id']!r}", []
        if simulate:
            kwargs["action_modes"] = {"_all": "simulate"}
        if ignore_condition:
            kwargs["ignore_condition"] = True
        if record:
            kwargs["record_execution"] = True
        if alternative_input is not None:
            kwargs["alternative_input"] = dict(alternative_input)
        if trigger_data is not None:
            kwargs["trigger_data"] = dict(trigger_data)
        try:
            with watcher_boundary(self._client, f"executing {target}"):
                response = await self._client.watcher.execute_watch(**kwargs)
        except NotFoundError:
            raise WatchNotFoundError(kwargs["id"], f"executing {target}") from None
        except ApiError as exc:
            if exc.meta.status != 400:
                raise
            raise _refused(exc, target, secrets) from None
        return WatchExecution.from_response(response.body)

    async def _set_active(self, name: str, active: bool) -> None:
        watch_id = self.watch_id(name)
        doing = f"{'activating' if active else 'deactivating'} watch {watch_id!r}"
        try:
            with watcher_boundary(self._client, doing):
                if active:
                    await self._client.watcher.activate_watch(watch_id=watch_id)
                else:
                    await self._client.watcher.deactivate_watch(watch_id=watch_id)
        except NotFoundError:
            raise WatchNotFoundError(watch_id, doing) from None


def _refused(exc: ApiError, what: str, secrets: list[str]) -> WatchDefinitionError:
    """A refused (400) definition, its reason kept and secrets masked.

    Raised without chaining the original: a refused body may echo the password it carried.
    """
    reason = scrub(error_reason(exc), secrets)
    return WatchDefinitionError(f"the server refused {what}: {reason}")
