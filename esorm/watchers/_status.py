"""A watch's status as Watcher keeps it: per-action throttling and acknowledgement.

Pure transitions over the state document the lease module stores, so the same rules hold
whichever runner executes the watch: an action is throttled while acked, or when its last
successful execution is at most one throttle period old; a successful execution makes an
action ackable; acking makes it acked; a check whose condition does not hold resets every
action to awaiting a successful execution.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel

from esorm.watchers._paths import iso

AWAITS = "awaits_successful_execution"
ACKABLE = "ackable"
ACKED = "acked"


class ActionStatus(BaseModel):
    """One action's status: ack state and its last execution, success and throttle."""

    name: str
    ack_state: str = AWAITS
    ack_timestamp: datetime | None = None
    last_execution: datetime | None = None
    last_execution_successful: bool | None = None
    last_execution_reason: str | None = None
    last_successful_execution: datetime | None = None
    last_throttle: datetime | None = None
    last_throttle_reason: str | None = None


class WatchState(BaseModel):
    """The stored state of one watch: the lease on its executions and its status.

    Attributes:
        id: the watch id (registry prefix included).
        trigger: the scheduled time of the latest trigger a runner took.
        taken_by: the runner (node) that took the latest execution.
        holder: the runner (node) executing the watch now; None when none is.
        run_id: the execution that holds the lease.
        expires_at: when the holder's lease lapses unless renewed.
    """

    id: str
    trigger: datetime | None = None
    taken_by: str | None = None
    holder: str | None = None
    run_id: str | None = None
    expires_at: datetime | None = None
    last_checked: datetime | None = None
    last_met_condition: datetime | None = None
    actions: list[ActionStatus] = []

    def action(self, name: str) -> ActionStatus:
        """The status of an action, added in its initial state when unknown."""
        for status in self.actions:
            if status.name == name:
                return status
        status = ActionStatus(name=name)
        self.actions.append(status)
        return status


class ActionOutcome(BaseModel):
    """What happened to one action in one execution, as far as the status cares."""

    name: str
    status: str  # success, failure, throttled, condition_failed
    reason: str | None = None


class StatusChange(BaseModel):
    """The status changes of one execution, re-applicable to a freshly loaded state."""

    checked_at: datetime
    condition_met: bool | None
    actions: list[ActionOutcome] = []


def throttle_reason(
    state: WatchState | None, name: str, period: timedelta, now: datetime
) -> str | None:
    """Why an action is throttled now (acked, or within its period), or None."""
    if state is None:
        return None
    status = state.action(name)
    if status.ack_state == ACKED and status.ack_timestamp is not None:
        return f"action [{name}] was acked at [{iso(status.ack_timestamp)}]"
    last = status.last_successful_execution
    if last is not None and now - last <= period:
        elapsed = now - last
        return (
            f"throttling interval is set to [{_seconds(period)}] but time elapsed since last "
            f"execution is [{_seconds(elapsed)}]"
        )
    return None


def apply(state: WatchState, change: StatusChange) -> None:
    """Record an execution's check and action outcomes in the state, as Watcher does."""
    moment = change.checked_at
    if change.condition_met is not None:
        state.last_checked = moment
        if change.condition_met:
            state.last_met_condition = moment
        else:
            for status in state.actions:
                status.ack_state, status.ack_timestamp = AWAITS, moment
    for outcome in change.actions:
        status = state.action(outcome.name)
        if outcome.status == "success":
            status.last_execution = status.last_successful_execution = moment
            status.last_execution_successful, status.last_execution_reason = True, None
            if status.ack_state == AWAITS:
                status.ack_state, status.ack_timestamp = ACKABLE, moment
        elif outcome.status == "failure":
            status.last_execution, status.last_execution_successful = moment, False
            status.last_execution_reason = outcome.reason
        elif outcome.status == "throttled":
            status.last_throttle, status.last_throttle_reason = moment, outcome.reason


def acknowledge(state: WatchState, names: Iterable[str], now: datetime) -> list[str]:
    """Ack the named actions that are ackable; the named ones acked after the call."""
    acked: list[str] = []
    for name in names:
        status = state.action(name)
        if status.ack_state == ACKABLE:
            status.ack_state, status.ack_timestamp = ACKED, now
        if status.ack_state == ACKED:
            acked.append(name)
    return acked


def ack_states(state: WatchState | None, names: Sequence[str]) -> dict[str, str]:
    """Each action's ack state (the initial one for actions never run)."""
    return {n: (state.action(n).ack_state if state is not None else AWAITS) for n in names}


def _seconds(period: timedelta) -> str:
    seconds = period.total_seconds()
    return f"{int(seconds)}s" if seconds == int(seconds) else f"{seconds:g}s"
