"""The local runner's pure parts: Quartz crons, triggers, Mustache, conditions, date math,
throttle and ack transitions, and what the runner refuses (naming the watch and the part)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from esorm.watchers import (
    Action,
    Condition,
    NotRunnableLocallyError,
    Schedule,
    Watch,
    WatchDefinitionError,
)
from esorm.watchers._compile import compile_watch
from esorm.watchers._cron import CronSchedule, parse
from esorm.watchers._datemath import evaluate
from esorm.watchers._decide import compile_condition, lenient_compare
from esorm.watchers._status import (
    ACKABLE,
    ACKED,
    AWAITS,
    ActionOutcome,
    StatusChange,
    WatchState,
    acknowledge,
    apply,
    throttle_reason,
)
from esorm.watchers._templates import Template, render_strings
from esorm.watchers._triggers import local_trigger

pytestmark = pytest.mark.unit

T0 = datetime(2026, 1, 1, tzinfo=UTC)  # a Thursday


def fires(trigger: dict[str, Any], count: int, after: datetime = T0) -> list[str]:
    local = local_trigger(trigger, "w")
    found: list[str] = []
    moment: datetime | None = after
    for _ in range(count):
        assert moment is not None
        moment = local.next_after(moment)
        if moment is None:
            break
        found.append(moment.strftime("%a %Y-%m-%d %H:%M:%S"))
    return found


# -- Quartz crons ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cron", "expected"),
    [
        ("0/20 * * * * ?", ["Thu 2026-01-01 00:00:20", "Thu 2026-01-01 00:00:40"]),
        ("5/20 0 0 * * ?", ["Thu 2026-01-01 00:00:05", "Thu 2026-01-01 00:00:25"]),
        ("0 0 12 ? * 2", ["Mon 2026-01-05 12:00:00", "Mon 2026-01-12 12:00:00"]),  # 2 = MON
        ("0 0 12 ? * 1,7", ["Sat 2026-01-03 12:00:00", "Sun 2026-01-04 12:00:00"]),
        ("0 0 12 ? * FRI-MON", ["Fri 2026-01-02 12:00:00", "Sat 2026-01-03 12:00:00"]),
        ("0 0 22-2/2 * * ?", ["Thu 2026-01-01 02:00:00", "Thu 2026-01-01 22:00:00"]),
        ("0 0 9 L * ?", ["Sat 2026-01-31 09:00:00", "Sat 2026-02-28 09:00:00"]),
        ("0 0 9 ? * 6L", ["Fri 2026-01-30 09:00:00", "Fri 2026-02-27 09:00:00"]),
        ("0 0 9 ? * L", ["Sat 2026-01-31 09:00:00", "Sat 2026-02-28 09:00:00"]),
        ("0 0 9 ? * 2#1", ["Mon 2026-01-05 09:00:00", "Mon 2026-02-02 09:00:00"]),
        ("0 0 9 1W * ?", ["Thu 2026-01-01 09:00:00", "Mon 2026-02-02 09:00:00"]),
        ("0 0 9 1W 8 ?", ["Mon 2026-08-03 09:00:00", "Mon 2027-08-02 09:00:00"]),  # Sat, Sun
        ("0 0 9 15W 8 ?", ["Fri 2026-08-14 09:00:00", "Mon 2027-08-16 09:00:00"]),
        ("0 0 9 1 JAN-MAR/2 ? 2027", ["Fri 2027-01-01 09:00:00", "Mon 2027-03-01 09:00:00"]),
        ("0 0 0 1 1 ? 2025", []),
    ],
)
def test_quartz_crons_fire_when_quartz_says(cron: str, expected: list[str]) -> None:
    assert fires(Schedule.cron(cron), 2) == expected  # type: ignore[arg-type]


def test_several_crons_fire_on_their_union() -> None:
    trigger = Schedule.cron("0 0 12 * * ?", "0 30 6 * * ?")
    assert fires(trigger, 3) == [  # type: ignore[arg-type]
        "Thu 2026-01-01 06:30:00",
        "Thu 2026-01-01 12:00:00",
        "Fri 2026-01-02 06:30:00",
    ]


@pytest.mark.parametrize(
    ("cron", "problem"),
    [
        ("0 0 25 * * ?", "hours value 25 is out of range 0-23"),
        ("0 0 12 ? * 0", "day-of-week value 0 is out of range 1-7 (1 = SUN ... 7 = SAT)"),
        ("0 0 12 ? * FUN", "day-of-week value 'FUN' is not a number or one of SUN"),
        ("0 0/0 12 * * ?", "minutes step 0"),
        ("0 0 12 ? * 2#6", "the n in 'day#n' must be 1 to 5"),
        ("0 0 12 ? * 2#1,3", "write 'nL' or 'n#k' alone in the field"),
        ("0 0 12 L,1 * ?", "write 'L', 'LW', 'L-n' or 'nW' alone"),
        ("0 0 12 * * ? 1969", "year value 1969 is out of range 1970-2099"),
    ],
)
def test_malformed_crons_fail_when_built_naming_the_field(cron: str, problem: str) -> None:
    with pytest.raises(WatchDefinitionError, match=re.escape(problem)):
        Schedule.cron(cron)


@pytest.mark.parametrize(
    ("cron", "problem"),
    [
        ("0 0 12 LW * ?", "'LW' (the last weekday of the month) has no croniter equivalent"),
        ("0 0 12 L-3 * ?", "'L-3' (days before the last of the month)"),
        ("0 0 12 30W * ?", "Quartz leaves 'nW' undefined in months without day 30"),
    ],
)
def test_valid_quartz_forms_croniter_lacks_are_refused_for_local_runs(
    cron: str, problem: str
) -> None:
    parsed = parse(Schedule.cron(cron)["schedule"]["cron"], "watch 'w'")  # valid for Watcher
    with pytest.raises(NotRunnableLocallyError, match=re.escape(problem)) as info:
        CronSchedule([parsed], "watch 'w'")
    assert str(info.value).startswith(f"watch 'w': cron {cron!r} cannot run locally")


# -- other schedules ---------------------------------------------------------------------------


def test_intervals_are_aligned_to_the_epoch() -> None:
    assert fires(Schedule.every("30s"), 2, T0 + timedelta(seconds=7)) == [  # type: ignore[arg-type]
        "Thu 2026-01-01 00:00:30",
        "Thu 2026-01-01 00:01:00",
    ]
    assert fires(Schedule.every("1d"), 1, T0) == ["Fri 2026-01-02 00:00:00"]  # type: ignore[arg-type]


def test_calendar_schedules_become_quartz_crons() -> None:
    assert fires(Schedule.hourly(15, 45), 2) == [  # type: ignore[arg-type]
        "Thu 2026-01-01 00:15:00",
        "Thu 2026-01-01 00:45:00",
    ]
    assert fires(Schedule.weekly(["mon", "sunday"], "noon"), 2) == [  # type: ignore[arg-type]
        "Sun 2026-01-04 12:00:00",
        "Mon 2026-01-05 12:00:00",
    ]
    yearly = {"schedule": {"yearly": {"in": ["feb", "march"], "on": 29, "at": "08:15"}}}
    assert fires(yearly, 3) == [
        "Sun 2026-03-29 08:15:00",
        "Mon 2027-03-29 08:15:00",
        "Tue 2028-02-29 08:15:00",
    ]
    daily = {"schedule": {"daily": {"at": {"hour": [6, 18], "minute": [0, 30]}}}}
    assert fires(daily, 3) == [
        "Thu 2026-01-01 06:00:00",
        "Thu 2026-01-01 06:30:00",
        "Thu 2026-01-01 18:00:00",
    ]


def test_hand_written_calendar_schedules_are_checked() -> None:
    with pytest.raises(WatchDefinitionError, match=re.escape("invalid month 'smarch'")):
        local_trigger({"schedule": {"yearly": {"in": "smarch", "on": 1}}}, "w")
    with pytest.raises(WatchDefinitionError, match=re.escape("a monthly schedule needs 'on'")):
        local_trigger({"schedule": {"monthly": {"at": "noon"}}}, "w")


# -- templates ---------------------------------------------------------------------------------

MODEL: dict[str, Any] = {
    "ctx": {
        "watch_id": "w1",
        "execution_time": datetime(2026, 1, 1, 12, 0, 0, 250000, tzinfo=UTC),
        "payload": {
            "hits": {"total": 3, "hits": [{"_id": "a"}, {"_id": "b"}]},
            "ok": True,
            "tags": ["x", "y"],
            "quote": 'say "hi"',
            "nothing": None,
        },
    }
}


@pytest.mark.parametrize(
    ("template", "rendered"),
    [
        ("{{ctx.payload.hits.total}} hits in {{ ctx.watch_id }}", "3 hits in w1"),
        ("first {{ctx.payload.hits.hits.0._id}}", "first a"),
        ("at {{ctx.execution_time}}", "at 2026-01-01T12:00:00.250Z"),
        ("{{ctx.payload.ok}} {{ctx.payload.nothing}}|{{ctx.payload.missing}}|", "true ||"),
        ("{{ctx.payload.tags}} {{ctx.payload.hits.hits.1}}", "[x, y] {_id=b}"),
        ("{{#toJson}}ctx.payload.tags{{/toJson}}", '["x","y"]'),
        ("{{#join}}ctx.payload.tags{{/join}}", "x,y"),
        ("{{#url}}a b/{{ctx.watch_id}}{{/url}}", "a%20b%2Fw1"),
        ("{{! a comment }}plain", "plain"),
        ("{{ctx.payload.quote}}", 'say "hi"'),
        ('__json__::{"q": "{{ctx.payload.quote}}"}', '{"q": "say \\"hi\\""}'),
        ('__json__::{"q": "{{{ctx.payload.quote}}}"}', '{"q": "say "hi""}'),
    ],
)
def test_mustache_variables_render_as_watcher_renders_them(template: str, rendered: str) -> None:
    assert Template(template, "w").render(MODEL) == rendered


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("{{#ctx.payload.hits.hits}}{{_id}}{{/ctx.payload.hits.hits}}", "the section"),
        ("{{^ctx.payload.ok}}no{{/ctx.payload.ok}}", "the inverted section {{^ctx.payload.ok}}"),
        ("{{> header}}", "the partial {{>header}}"),
        ("{{=<% %>=}}", "a delimiter change"),
        ("{{#join delimiter=' '}}ctx.payload.tags{{/join}}", "the join lambda with options"),
        ("{{#toJson}}ctx.payload", "the toJson lambda is never closed"),
    ],
)
def test_unsupported_mustache_is_refused_naming_the_tag(template: str, problem: str) -> None:
    with pytest.raises(NotRunnableLocallyError, match=re.escape(problem)) as info:
        Template(template, "watch 'w', action 'a'")
    assert str(info.value).startswith("watch 'w', action 'a': the Mustache tag ")


def test_search_bodies_render_strings_as_json() -> None:
    body = {"query": {"term": {"who": "{{ctx.payload.quote}}"}}, "size": 0}
    assert render_strings(body, MODEL, "w") == {
        "query": {"term": {"who": 'say \\"hi\\"'}},
        "size": 0,
    }


# -- conditions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("v1", "v2", "expected"),
    [
        (5, 3, 1),
        ("5", 5, 0),
        (5, "10", 1),  # against a string, both compare as text: "5" > "10"
        ("abc", 1, None),
        (True, 1, None),
        (None, None, 0),
        (None, 1, None),
        ("2026-01-01T00:00:00Z", datetime(2025, 1, 1, tzinfo=UTC), 1),
        (1767225600000, datetime(2026, 1, 1, tzinfo=UTC), 0),
        ([1], [1], 0),
        ([1], [2], None),
    ],
)
def test_lenient_compare_follows_watcher(v1: Any, v2: Any, expected: int | None) -> None:
    assert lenient_compare(v1, v2) == expected


def test_compare_conditions_with_paths_date_math_and_missing_values() -> None:
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    model = {
        "ctx": {
            "execution_time": now,
            "payload": {"n": 3, "limit": 2, "at": "2026-01-01T11:58:00Z"},
        }
    }

    def holds(condition: Any) -> bool:
        return compile_condition(condition, "w")(model, now)

    assert holds(Condition.compare("ctx.payload.n", "gt", "{{ctx.payload.limit}}"))
    assert holds(Condition.compare("ctx.payload.at", "gte", "<{now-5m}>"))
    assert not holds(Condition.compare("ctx.payload.at", "gte", "<{now-1m}>"))
    assert not holds(Condition.compare("ctx.payload.missing", "eq", 1))
    assert holds(Condition.compare("ctx.payload.missing", "not_eq", 1))
    assert holds(Condition.always()) and not holds(Condition.never())


def test_array_compare_some_and_all() -> None:
    buckets = {"ctx": {"payload": {"b": [{"doc_count": 3}, {"doc_count": 30}]}}}
    now = datetime(2026, 1, 1, tzinfo=UTC)

    def holds(op: Any, value: int, quantifier: Any) -> bool:
        condition = Condition.array_compare(
            "ctx.payload.b", op, value, element="doc_count", quantifier=quantifier
        )
        return compile_condition(condition, "w")(buckets, now)

    assert holds("gte", 25, "some") and not holds("gte", 25, "all")
    assert holds("gt", 1, "all")
    with pytest.raises(ValueError, match="did not evaluate to an array"):
        compile_condition(Condition.array_compare("ctx.payload", "eq", 1), "w")(buckets, now)


def test_date_math() -> None:
    now = datetime(2026, 3, 31, 15, 45, 10, tzinfo=UTC)
    assert evaluate("now-1M", now) == datetime(2026, 2, 28, 15, 45, 10, tzinfo=UTC)
    assert evaluate("now/d", now) == datetime(2026, 3, 31, tzinfo=UTC)
    assert evaluate("now+2h/h", now) == datetime(2026, 3, 31, 17, tzinfo=UTC)
    assert evaluate("now/w", now) == datetime(2026, 3, 30, tzinfo=UTC)  # a Monday


# -- throttling and acks -----------------------------------------------------------------------


def test_ack_and_throttle_transitions() -> None:
    state = WatchState(id="w")
    period = timedelta(minutes=5)
    run = T0

    def execute(met: bool, status: str = "success") -> None:
        actions = [ActionOutcome(name="a", status=status)] if met else []
        apply(state, StatusChange(checked_at=run, condition_met=met, actions=actions))

    assert throttle_reason(state, "a", period, run) is None
    assert acknowledge(state, ["a"], run) == []  # awaits a successful execution
    execute(True)
    assert state.action("a").ack_state == ACKABLE
    assert throttle_reason(state, "a", period, run + period) is not None  # at the period
    assert throttle_reason(state, "a", period, run + period + timedelta(seconds=1)) is None
    assert acknowledge(state, ["a"], run) == ["a"]
    assert state.action("a").ack_state == ACKED
    reason = throttle_reason(state, "a", period, run + timedelta(days=1))
    assert reason == "action [a] was acked at [2026-01-01T00:00:00.000Z]"
    execute(False)
    assert state.action("a").ack_state == AWAITS
    execute(True, "failure")
    assert state.action("a").ack_state == AWAITS
    assert state.action("a").last_execution_successful is False


# -- what the runner refuses -------------------------------------------------------------------


def every(name: str = "w", **parts: Any) -> Watch:
    return Watch(name, trigger=Schedule.every("1m"), **parts)


@pytest.mark.parametrize(
    ("watch", "problem"),
    [
        (
            every(actions={"mail": Action.email("ops@example.com", "down")}),
            "watch 'w', action 'mail': action 'mail' is a email action, which needs an account",
        ),
        (
            every(actions={"chat": Action.slack("#ops", "down")}),
            "is a Slack action, which needs an account configured on the Elasticsearch nodes",
        ),
        (
            every(actions={"a": Action.with_options(Action.logging("x"), foreach="ctx.payload.x")}),
            "watch 'w', action 'a': 'foreach' cannot run locally",
        ),
        (
            every(
                actions={
                    "a": Action.with_options(Action.logging("x"), condition=Condition.script("1"))
                }
            ),
            "watch 'w', action 'a': the condition is a script",
        ),
        (
            every(input={"http": {"request": {"host": "example.com", "port": 80}}}),
            "watch 'w': an http input cannot run locally",
        ),
        (
            every(transform={"script": {"source": "return ctx.payload"}}),
            "watch 'w': a script transform cannot run locally",
        ),
        (
            every(
                actions={
                    "a": Action.logging("{{#ctx.payload.hits.hits}}x{{/ctx.payload.hits.hits}}")
                }
            ),
            "watch 'w', action 'a': the Mustache tag",
        ),
        (
            every(condition=Condition.compare("ctx.payload.t", "gt", "<{2020-01-01||+1d}>")),
            "watch 'w': the date math '2020-01-01||+1d' cannot be evaluated locally",
        ),
        (
            Watch("w", trigger=Schedule.cron("0 0 12 LW * ?")),
            "watch 'w': cron '0 0 12 LW * ?' cannot run locally",
        ),
    ],
)
def test_what_cannot_run_locally_is_refused_naming_watch_and_part(
    watch: Watch, problem: str
) -> None:
    with pytest.raises(NotRunnableLocallyError, match=re.escape(problem)):
        compile_watch(watch, "t_" + watch.name)
