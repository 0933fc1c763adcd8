"""`Watch`: one watch definition as a frozen value, checked on construction."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import SecretStr

from esorm._internal.frozen import FrozenMap, to_json
from esorm.watchers import _checks
from esorm.watchers.dsl import ActionDict, ConditionDict, InputDict, TransformDict, TriggerDict

_MASK = "***"
_SECRET_KEYS = frozenset({"password", "secret", "token", "api_key"})
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "cookie"})


@dataclass(frozen=True, init=False, repr=False)
class Watch:
    """A watch: when it runs (trigger), what it reads (input), whether it acts (condition),
    and what it does (actions). Compared by value; `to_dict()` is the `put_watch` body.

    The name is written without the registry prefix; `WatcherManager` puts the prefix
    before it. Every part is checked here, so a bad interval, cron, condition or an action
    without a type fails before any request. `repr()`/`str()` mask passwords and
    authorization headers.

    Args:
        name: the watch id (no whitespace).
        trigger: `Schedule.every("10m")`, `Schedule.cron(...)`, ... or a trigger dict.
        input: `search_input(...)`, `simple_input(...)`, ... or an input dict; none when
            omitted (empty payload).
        condition: `Condition....` or a condition dict; `always` when omitted.
        actions: action dicts by action name, e.g. `{"notify": Action.logging("...")}`.
        metadata: static data available as `ctx.metadata` and stored with the watch.
        transform: a transform of the payload before the actions run.
        throttle_period: the least time between two runs of each action (`"5m"`).
        active: whether the stored watch runs on its schedule (`put_watch`'s `active`).
    """

    name: str
    trigger: Mapping[str, Any]
    input: Mapping[str, Any] | None
    condition: Mapping[str, Any] | None
    actions: Mapping[str, Mapping[str, Any]]
    metadata: Mapping[str, Any] | None
    transform: Mapping[str, Any] | None
    throttle_period: str | None
    active: bool

    def __init__(
        self,
        name: str,
        *,
        trigger: TriggerDict,
        input: InputDict | None = None,
        condition: ConditionDict | None = None,
        actions: Mapping[str, ActionDict] | None = None,
        metadata: Mapping[str, Any] | None = None,
        transform: TransformDict | None = None,
        throttle_period: str | timedelta | None = None,
        active: bool = True,
    ) -> None:
        _checks.check_name(name)
        where = f"watch {name!r}"
        _checks.check_trigger(trigger, where)
        if input is not None:
            _checks.one_type(input, _checks.INPUT_TYPES, where, "input")
        if condition is not None:
            _checks.one_type(condition, _checks.CONDITION_TYPES, where, "condition")
        if transform is not None:
            _checks.one_type(transform, _checks.TRANSFORM_TYPES, where, "transform")
        if actions is not None and not isinstance(actions, Mapping):
            raise _checks.fail(where, "actions must be a dict of action name -> action")
        for action_name, action in (actions or {}).items():
            _checks.check_action(action_name, action, where)
        if metadata is not None and not isinstance(metadata, Mapping):
            raise _checks.fail(where, f"metadata must be a dict, got {type(metadata).__name__}")
        if not isinstance(active, bool):
            raise _checks.fail(where, f"active must be True or False, got {active!r}")
        period = None if throttle_period is None else _checks.time_value(throttle_period, where)
        setattr_ = object.__setattr__
        setattr_(self, "name", name)
        setattr_(self, "trigger", FrozenMap(trigger))
        setattr_(self, "input", None if input is None else FrozenMap(input))
        setattr_(self, "condition", None if condition is None else FrozenMap(condition))
        setattr_(self, "actions", FrozenMap(actions or {}))
        setattr_(self, "metadata", None if metadata is None else FrozenMap(metadata))
        setattr_(self, "transform", None if transform is None else FrozenMap(transform))
        setattr_(self, "throttle_period", period)
        setattr_(self, "active", active)

    def to_dict(self) -> dict[str, Any]:
        """The `put_watch` body, as a fresh dict; secrets revealed (send it, do not log it)."""
        body: dict[str, Any] = _render(self._parts(), reveal=True)
        return body

    def redacted(self) -> dict[str, Any]:
        """The body with passwords and authorization headers replaced by `***`."""
        body: dict[str, Any] = _render(self._parts(), reveal=False)
        return body

    def secrets(self) -> list[str]:
        """The secret values the watch carries, for masking them in foreign messages."""
        return list(_secret_values(self._parts()))

    def _parts(self) -> dict[str, Any]:
        parts: dict[str, Any] = {"trigger": self.trigger}
        for key in ("input", "condition", "transform"):
            if getattr(self, key) is not None:
                parts[key] = getattr(self, key)
        parts["actions"] = self.actions
        if self.metadata is not None:
            parts["metadata"] = self.metadata
        if self.throttle_period is not None:
            parts["throttle_period"] = self.throttle_period
        return parts

    def __str__(self) -> str:
        return to_json(self.redacted())

    def __repr__(self) -> str:
        state = "" if self.active else ", active=False"
        return f"Watch({self.name!r}, {self}{state})"


def _render(value: Any, *, reveal: bool, key: str = "", in_headers: bool = False) -> Any:
    if isinstance(value, SecretStr):
        return value.get_secret_value() if reveal else _MASK
    if not reveal and isinstance(value, str) and _is_secret(key, in_headers):
        return _MASK
    if isinstance(value, Mapping):
        return {
            k: _render(v, reveal=reveal, key=k, in_headers=key == "headers")
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_render(v, reveal=reveal) for v in value]
    return value


def _is_secret(key: str, in_headers: bool) -> bool:
    return key.lower() in (_SECRET_HEADERS if in_headers else _SECRET_KEYS)


def _secret_values(value: Any, key: str = "", headers: bool = False) -> Iterator[str]:
    if isinstance(value, SecretStr):
        yield value.get_secret_value()
    elif isinstance(value, str) and _is_secret(key, headers):
        yield value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _secret_values(v, k, key == "headers")
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _secret_values(v)
