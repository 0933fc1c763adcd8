"""One execution of a compiled watch, in Watcher's order: input, condition, transform, then
each action (throttle, its condition, its transform, the action), into a history record."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from esorm.watchers import _status
from esorm.watchers._compile import LocalAction, LocalWatch
from esorm.watchers._history import ActionRecord, WatchRecord
from esorm.watchers._paths import iso, plain
from esorm.watchers._perform import ActionEnv
from esorm.watchers._status import ActionOutcome, StatusChange, WatchState

_log = logging.getLogger("esorm.watchers")


@dataclass(frozen=True, slots=True)
class Firing:
    """What started an execution: a schedule's trigger (with its due time) or a manual run."""

    kind: str  # "schedule" or "manual"
    scheduled_time: datetime | None
    triggered_time: datetime
    run_id: str


async def execute(
    local: LocalWatch,
    firing: Firing,
    *,
    env: ActionEnv,
    clock: Callable[[], datetime],
    node: str,
    state: WatchState | None,
    default_throttle: timedelta,
    ignore_condition: bool = False,
) -> tuple[WatchRecord, StatusChange]:
    """Run the watch once; failures become the record's state, never an exception."""
    started = env.execution_time
    ctx: dict[str, Any] = {
        "id": f"{local.id}_{firing.run_id}-{iso(started)}",
        "watch_id": local.id,
        "execution_time": started,
        "trigger": {
            "triggered_time": firing.triggered_time,
            "scheduled_time": firing.scheduled_time or firing.triggered_time,
        },
        "metadata": plain(local.watch.metadata or {}),
        "payload": {},
        "vars": {},
    }
    model: dict[str, Any] = {"ctx": ctx}
    record = WatchRecord(
        id=f"{local.id}-{iso(started)}-{firing.run_id[:8]}",
        watch_id=local.id,
        node=node,
        trigger=firing.kind,
        scheduled_time=firing.scheduled_time,
        triggered_time=firing.triggered_time,
        execution_time=started,
        state="failed",
    )
    change = StatusChange(checked_at=started, condition_met=None)
    step = "input"
    try:
        ctx["payload"] = await local.input(env.client, model)
        record.hits_total = _hits_total(ctx["payload"])
        step = "condition"
        met = ignore_condition or local.condition(model, clock())
        record.condition_met = change.condition_met = met
        if not met:
            record.state = "execution_not_needed"
        else:
            step = "transform"
            if local.transform is not None:
                ctx["payload"] = await local.transform(env.client, model)
            step = "actions"
            for action in local.actions:
                result = await _run_action(action, local, env, model, state, default_throttle)
                record.actions.append(result)
                change.actions.append(
                    ActionOutcome(name=action.name, status=result.status, reason=result.reason)
                )
            throttled = record.actions and all(a.status == "throttled" for a in record.actions)
            record.state = "throttled" if throttled else "executed"
    except Exception as exc:  # a failed input or condition fails the execution, as in Watcher
        record.state = "failed"
        record.messages.append(f"failed to execute the {step}: {_describe(exc)}")
        _log.warning("watch %r: the %s failed: %s", local.id, step, _describe(exc))
    record.duration_ms = max(0, int((clock() - started).total_seconds() * 1000))
    return record, change


async def _run_action(
    action: LocalAction,
    local: LocalWatch,
    env: ActionEnv,
    model: dict[str, Any],
    state: WatchState | None,
    default_throttle: timedelta,
) -> ActionRecord:
    period = action.throttle_period or local.throttle_period or default_throttle
    reason = _status.throttle_reason(state, action.name, period, env.execution_time)
    if reason is not None:
        return ActionRecord(id=action.name, type=action.kind, status="throttled", reason=reason)
    try:
        if action.condition is not None and not action.condition(model, env.execution_time):
            return ActionRecord(
                id=action.name,
                type=action.kind,
                status="condition_failed",
                reason="condition not met",
            )
        scoped = model
        if action.transform is not None:
            payload = await action.transform(env.client, model)
            scoped = {**model, "ctx": {**model["ctx"], "payload": payload}}
        return await action.perform(env, scoped)
    except Exception as exc:  # one failing action does not stop the others
        _log.warning("watch %r: action %r failed: %s", local.id, action.name, _describe(exc))
        return ActionRecord(
            id=action.name, type=action.kind, status="failure", reason=_describe(exc)
        )


def abandoned_record(state: WatchState, node: str, now: datetime) -> WatchRecord:
    """The record of an execution whose runner stopped before finishing it."""
    scheduled = state.trigger
    return WatchRecord(
        id=f"{state.id}-abandoned-{(state.run_id or '')[:8]}",
        watch_id=state.id,
        node=state.holder or "",
        trigger="schedule",
        scheduled_time=scheduled,
        triggered_time=scheduled or now,
        execution_time=scheduled or now,
        state="abandoned",
        messages=[
            f"{state.holder} stopped before finishing this execution; its lease expired at "
            f"{state.expires_at} and {node} took the watch over"
        ],
    )


def _hits_total(payload: Any) -> int | None:
    hits = payload.get("hits") if isinstance(payload, dict) else None
    total = hits.get("total") if isinstance(hits, dict) else None
    if isinstance(total, dict):
        total = total.get("value")
    return total if isinstance(total, int) and not isinstance(total, bool) else None


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if str(exc) else text
