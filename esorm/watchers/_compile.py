"""A `Watch` prepared for the local runner: every part checked and compiled up front.

Compiling is where the runner refuses what it cannot run as Watcher would (a script
condition, an email action, `foreach`, a Mustache section, an `LW` cron...), so a watch
is refused when the runner starts, with a message naming the watch and the part, never
halfway through an execution.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from esorm.watchers import _checks
from esorm.watchers._decide import Decision, compile_condition
from esorm.watchers._errors import NotRunnableLocallyError
from esorm.watchers._payload import Loader, compile_input, compile_transform
from esorm.watchers._perform import Performer, compile_performer
from esorm.watchers._timevalues import parse_period
from esorm.watchers._triggers import Trigger, local_trigger
from esorm.watchers._watch import Watch


@dataclass(frozen=True, slots=True)
class LocalAction:
    """One action ready to run: its performer, its own condition/transform and throttle."""

    name: str
    kind: str
    perform: Performer
    condition: Decision | None
    transform: Loader | None
    throttle_period: timedelta | None


@dataclass(frozen=True, slots=True)
class LocalWatch:
    """One watch ready to run locally under its stored id (registry prefix included)."""

    watch: Watch
    id: str
    trigger: Trigger
    input: Loader
    condition: Decision
    transform: Loader | None
    actions: tuple[LocalAction, ...]
    throttle_period: timedelta | None

    @property
    def name(self) -> str:
        """The watch name, without the prefix."""
        return self.watch.name


def compile_watch(watch: Watch, watch_id: str) -> LocalWatch:
    """Check and compile one watch; `NotRunnableLocallyError` names what cannot run."""
    where = f"watch {watch.name!r}"
    actions = tuple(
        _action(str(name), action, f"{where}, action {name!r}")
        for name, action in watch.actions.items()
    )
    return LocalWatch(
        watch=watch,
        id=watch_id,
        trigger=local_trigger(watch.trigger, where),
        input=compile_input(watch.input, where),
        condition=compile_condition(watch.condition, where),
        transform=compile_transform(watch.transform, where),
        actions=actions,
        throttle_period=parse_period(watch.throttle_period),
    )


def _action(name: str, action: Mapping[str, Any], where: str) -> LocalAction:
    if "foreach" in action or "max_iterations" in action:
        raise NotRunnableLocallyError(
            f"{where}: 'foreach' cannot run locally; run this watch with Watcher, or act on "
            f"the whole payload (the index action takes a list in ctx.payload._doc)"
        )
    kind = next(k for k in action if k in _checks.ACTION_TYPES)
    condition = action.get("condition")
    period: timedelta | None = None
    if "throttle_period" in action:
        period = parse_period(str(action["throttle_period"]))
    elif "throttle_period_in_millis" in action:
        period = timedelta(milliseconds=int(action["throttle_period_in_millis"]))
    return LocalAction(
        name=name,
        kind=kind,
        perform=compile_performer(name, kind, action[kind], where),
        condition=None if condition is None else compile_condition(condition, where),
        transform=compile_transform(action.get("transform"), where),
        throttle_period=period,
    )
