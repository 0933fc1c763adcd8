"""What the server answered: a put's outcome, a stored watch, a (simulated) execution."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class WatchChange(enum.StrEnum):
    """Whether a put created the watch or replaced an existing one."""

    CREATED = "created"
    UPDATED = "updated"


@dataclass(frozen=True, slots=True)
class WatchReport:
    """The outcome of putting one watch.

    Attributes:
        id: the stored watch id (registry prefix included).
        change: created, or updated (the watch existed; its version went up).
        version: the watch's version after the put (1 when created).
        active: whether the stored watch runs on its schedule.
    """

    id: str
    change: WatchChange
    version: int
    active: bool = True

    def __str__(self) -> str:
        state = "" if self.active else ", inactive"
        return f"{self.id}: {self.change} (version {self.version}{state})"


@dataclass(frozen=True, slots=True)
class StoredWatch:
    """A watch as the server keeps it (`get_watch`).

    Attributes:
        id: the stored id (registry prefix included).
        name: the id without the manager's registry prefix.
        version: the watch's version.
        active: whether it runs on its schedule.
        body: the definition as stored; passwords come back redacted by the server.
        status: the server's status (state, last checked/met, per-action ack state).
    """

    id: str
    name: str
    version: int
    active: bool
    body: Mapping[str, Any] = field(repr=False)
    status: Mapping[str, Any] = field(repr=False)
    seq_no: int | None = None
    primary_term: int | None = None


@dataclass(frozen=True, slots=True)
class WatchExecution:
    """One execution of a watch (`execute_watch`), simulated unless asked otherwise.

    Attributes:
        watch_id: the executed watch (`_inlined_` for a definition run without storing it).
        state: `executed`, `execution_not_needed` (condition not met), `throttled`,
            `failed`...
        condition_met: whether the condition held (None when it was not evaluated).
        actions: each action's status by action id: `simulated`, `success`, `throttled`,
            `condition_failed`, `failure`...
        payload: the input's payload.
        record: the whole watch record the server returned.
    """

    watch_id: str
    state: str
    condition_met: bool | None
    actions: Mapping[str, str]
    payload: Mapping[str, Any] = field(repr=False)
    record: Mapping[str, Any] = field(repr=False)

    @classmethod
    def from_response(cls, body: Mapping[str, Any]) -> WatchExecution:
        """Read the `watch_record` of an `execute_watch` answer."""
        record: Mapping[str, Any] = body.get("watch_record") or {}
        result: Mapping[str, Any] = record.get("result") or {}
        condition = result.get("condition") or {}
        met = condition.get("met")
        actions = {
            str(a.get("id")): str(a.get("status"))
            for a in result.get("actions") or ()
            if isinstance(a, Mapping)
        }
        return cls(
            watch_id=str(record.get("watch_id", body.get("_id", ""))),
            state=str(record.get("state", "")),
            condition_met=met if isinstance(met, bool) else None,
            actions=actions,
            payload=(result.get("input") or {}).get("payload") or {},
            record=record,
        )
