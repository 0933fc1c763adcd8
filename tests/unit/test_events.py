"""Recording events in plain entities, the bus's queue, and the outbox's stored form."""

from __future__ import annotations

import copy
import dataclasses
import datetime
from typing import Any

import pytest
from pydantic import BaseModel

from esorm.domain import Aggregate, forget_events, recorded_events
from esorm.errors import MappingError
from esorm.events import (
    DispatchReport,
    EventChainError,
    Message,
    MessageBus,
    StoredEvent,
    event_name,
    format_time,
    outbox_value,
    parse_time,
    stored_event,
    without,
)
from esorm.mapping import OUTBOX_FIELD, Registry
from esorm.outbox import claimed, is_due, settled
from esorm.repository import Entry, IdentityMap, State, pending_changes

pytestmark = pytest.mark.unit

NOW = datetime.datetime(2025, 3, 1, 12, 0, tzinfo=datetime.UTC)


class Renamed(BaseModel):
    name: str


@dataclasses.dataclass
class Noted:
    text: str


class Account(Aggregate):
    id: str
    name: str
    tags: list[str] = []

    def rename(self, name: str) -> None:
        self.name = name
        self.record_event(Renamed(name=name))


# -- recording --------------------------------------------------------------------------------


def test_recorded_events_are_not_fields_nor_output_nor_schema() -> None:
    account = Account(id="1", name="a")
    account.rename("b")
    account.record_event(Noted("plain dataclass"))
    assert [type(r.event) for r in account.recorded_events] == [Renamed, Noted]
    assert account.model_dump() == {"id": "1", "name": "b", "tags": []}
    assert "events" not in account.model_dump_json()
    assert set(Account.model_json_schema()["properties"]) == {"id", "name", "tags"}
    assert "_esorm_events" not in account.__dict__
    ids = [r.id for r in account.recorded_events]
    assert ids == sorted(ids) and len(set(ids)) == 2  # time-ordered, unique


def test_events_alone_do_not_make_an_entity_changed() -> None:
    registry = Registry()
    mapping = registry.register(Account)
    identity = IdentityMap()
    account = Account(id="1", name="a")
    entry = Entry(account, mapping, mapping.index, "1", None, State.CLEAN, 1, 1)
    entry.snapshot = entry.take_snapshot()
    identity.put(entry)
    assert pending_changes(identity) == []
    account.record_event(Noted("x"))
    assert pending_changes(identity) == []  # the commit adds it, not the dirty check
    assert not entry.is_dirty


def test_copies_keep_the_events_and_validated_dumps_do_not() -> None:
    account = Account(id="1", name="a")
    account.rename("b")
    copied, deep = account.model_copy(), copy.deepcopy(account)
    assert copied.recorded_events == account.recorded_events == deep.recorded_events
    copied.record_event(Noted("only the copy"))
    assert len(account.recorded_events) == 1 and len(copied.recorded_events) == 2
    assert Account.model_validate(account.model_dump()).recorded_events == ()
    assert Account.model_validate(account) is account


def test_equality_ignores_recorded_events() -> None:
    recorded, plain = Account(id="1", name="a"), Account(id="1", name="a")
    recorded.record_event(Noted("x"))
    assert recorded == plain and plain == recorded
    assert recorded != Account(id="1", name="other")
    assert recorded.recorded_events  # comparing took nothing away


def test_forget_events_takes_chosen_ids_or_all() -> None:
    account = Account(id="1", name="a")
    first = account.record_event(Noted("1"))
    second = account.record_event(Noted("2"))
    forget_events(account, {first.id})
    assert account.recorded_events == (second,)
    forget_events(account)
    assert recorded_events(account) == ()
    forget_events(object())  # entities that record nothing: nothing to do
    assert recorded_events(Renamed(name="x")) == ()


# -- the bus ----------------------------------------------------------------------------------


def message(event: Any, number: int) -> Message[Any]:
    return Message(
        id=f"m{number}",
        event=event,
        name=event_name(type(event)),
        aggregate="Account",
        aggregate_id="1",
        index="accounts",
        recorded_at=NOW,
    )


async def test_handlers_run_in_order_and_nested_dispatches_queue_behind() -> None:
    bus = MessageBus()
    seen: list[str] = []
    settled_batches: list[list[str]] = []

    async def settle(report: DispatchReport) -> None:
        settled_batches.append([m.id for m in report.delivered])

    async def on_renamed(msg: Message[Renamed]) -> None:
        seen.append(f"renamed {msg.id}")
        deferred = await bus.dispatch([message(Noted(msg.id), 10 + len(seen))], settle=settle)
        assert deferred.deferred and not deferred.delivered  # queued, handled later

    def on_noted(msg: Message[Noted]) -> None:  # plain functions are handlers too
        seen.append(f"noted {msg.event.text}")

    bus.subscribe(Renamed, on_renamed)
    bus.subscribe(Noted, on_noted)
    report = await bus.dispatch(
        [message(Renamed(name="a"), 1), message(Renamed(name="b"), 2)], settle=settle
    )
    assert seen == ["renamed m1", "renamed m2", "noted m1", "noted m2"]
    assert [m.id for m in report.delivered] == ["m1", "m2", "m11", "m12"] and report.ok
    assert settled_batches == [["m1", "m2"], ["m11"], ["m12"]]  # each batch once it is done


async def test_a_failing_handler_is_reported_and_the_rest_still_run() -> None:
    failures: list[str] = []

    async def notify(failure: Any) -> None:
        failures.append(str(failure))

    bus = MessageBus(on_failure=notify)
    ran: list[str] = []

    async def broken(msg: Message[Renamed]) -> None:
        raise ValueError("boom")

    async def fine(msg: Message[Renamed]) -> None:
        ran.append(msg.id)

    bus.subscribe(Renamed, broken)
    bus.subscribe(Renamed, fine)
    report = await bus.dispatch([message(Renamed(name="a"), 1), message(Renamed(name="b"), 2)])
    assert ran == ["m1", "m2"]
    assert report.delivered == () and [m.id for m in report.failed] == ["m1", "m2"]
    assert failures[0].startswith("test_a_failing_handler_is_reported_and_the_rest_still_run.")
    assert "broken failed for" in failures[0] and "ValueError('boom')" in failures[0]


async def test_handlers_of_a_base_class_see_its_subclasses() -> None:
    class Special(Renamed):
        pass

    bus = MessageBus()
    got: list[str] = []
    bus.subscribe(Special, lambda m: got.append("special"))
    bus.subscribe(object, lambda m: got.append("anything"))
    await bus.dispatch([message(Special(name="x"), 1)])
    assert got == ["special", "anything"]
    assert bus.event_type(event_name(Special)) is Special and bus.event_type("nope") is None


async def test_a_chain_past_the_bound_raises_after_handling_what_is_within() -> None:
    bus = MessageBus(max_depth=2)
    depths: list[int] = []

    async def again(msg: Message[Noted]) -> None:
        depths.append(int(msg.event.text))
        await bus.dispatch([message(Noted(str(int(msg.event.text) + 1)), len(depths) + 1)])

    bus.subscribe(Noted, again)
    with pytest.raises(EventChainError) as caught:
        await bus.dispatch([message(Noted("0"), 1)])
    assert depths == [0, 1, 2]
    assert [m.event.text for m in caught.value.report.undelivered] == ["3"]
    assert "max_depth=2" in str(caught.value)
    assert await bus.dispatch([]) == DispatchReport()  # and the bus is usable again


def test_bus_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="max_depth"):
        MessageBus(max_depth=-1)
    with pytest.raises(ValueError, match="grace"):
        MessageBus(grace=datetime.timedelta(seconds=-1))
    with pytest.raises(TypeError, match="event class"):
        MessageBus().subscribe("Renamed", print)  # type: ignore[arg-type]


# -- the stored form --------------------------------------------------------------------------


def stored(number: int, due: datetime.datetime | None, attempts: int = 1) -> StoredEvent:
    return {
        "id": f"e{number}",
        "type": "t",
        "at": format_time(NOW),
        "due": None if due is None else format_time(due),
        "attempts": attempts,
        "data": {},
    }


def test_a_recorded_event_is_stored_as_json_with_its_id_and_due_time() -> None:
    account = Account(id="1", name="a")
    recorded = account.record_event(Noted("hi"))
    event = stored_event(recorded, due=NOW, attempts=1)
    assert event["id"] == recorded.id and event["data"] == {"text": "hi"}
    assert event["type"] == f"{__name__}.Noted" and event["due"] == "2025-03-01T12:00:00.000Z"
    assert parse_time(event["at"]) == recorded.recorded_at.replace(
        microsecond=recorded.recorded_at.microsecond // 1000 * 1000
    )
    with pytest.raises(ValueError, match="cannot be stored as JSON"):
        stored_event(account.record_event(object()), due=NOW, attempts=1)
    with pytest.raises(ValueError, match="no time zone"):
        format_time(NOW.replace(tzinfo=None))


def test_the_outbox_value_shows_the_earliest_due_time_and_the_parked_count() -> None:
    later = NOW + datetime.timedelta(minutes=1)
    value = outbox_value([stored(1, later), stored(2, NOW), stored(3, None)])
    assert value is not None
    assert value["due"] == format_time(NOW) and value["parked"] == 1
    assert [e["id"] for e in value["events"]] == ["e1", "e2", "e3"]
    assert outbox_value([]) is None
    assert "due" not in (outbox_value([stored(1, None)]) or {})
    assert [e["id"] for e in without(value["events"], {"e2"})] == ["e1", "e3"]


def test_a_pass_claims_only_due_events_then_clears_or_reschedules_its_own() -> None:
    events = (stored(1, NOW), stored(2, NOW + datetime.timedelta(hours=1)), stored(3, None))
    assert is_due(events[0], NOW) and not is_due(events[1], NOW) and not is_due(events[2], NOW)
    until = NOW + datetime.timedelta(minutes=5)
    after = claimed(events, now=NOW, until=until, token="pass")
    assert after is not None
    assert [(e["id"], e["attempts"], e.get("claim")) for e in after] == [
        ("e1", 2, "pass"),
        ("e2", 1, None),
        ("e3", 1, None),
    ]
    assert after[0]["due"] == format_time(until)
    assert claimed(tuple(after), now=NOW, until=until, token="other") is None  # nothing due

    delay = datetime.timedelta(seconds=10)
    kwargs: dict[str, Any] = {"now": NOW, "retry_delay": delay, "max_attempts": 3}
    cleared = settled(tuple(after), token="pass", delivered={"e1"}, failed=set(), **kwargs)
    assert [e["id"] for e in cleared or ()] == ["e2", "e3"]
    retried = settled(tuple(after), token="pass", delivered=set(), failed={"e1"}, **kwargs)
    assert retried is not None and "claim" not in retried[0]
    assert retried[0]["due"] == format_time(NOW + delay * 2)  # the 2nd attempt failed
    not_mine = settled(tuple(after), token="other", delivered=set(), failed={"e1"}, **kwargs)
    assert not_mine is None
    last = [{**after[0], "attempts": 3}, *after[1:]]
    parked = settled(tuple(last), token="pass", delivered=set(), failed={"e1"}, **kwargs)  # type: ignore[arg-type]
    assert parked is not None and parked[0]["due"] is None


# -- registration -----------------------------------------------------------------------------


def test_the_outbox_is_registered_per_type_and_needs_an_aggregate() -> None:
    registry = Registry()
    mapping = registry.register(Account, outbox=True)
    assert mapping.outbox and mapping.records_events
    assert registry.event_sources == (mapping,)
    body = mapping.index_body()["mappings"]["properties"][OUTBOX_FIELD]
    assert body == {
        "properties": {
            "due": {"type": "date"},
            "parked": {"type": "integer"},
            "events": {"type": "object", "enabled": False},
        }
    }
    plain = registry.register(Renamed)
    assert OUTBOX_FIELD not in plain.index_body()["mappings"]["properties"]
    assert registry.event_sources == (mapping,)
    with pytest.raises(MappingError, match=r"derive it from esorm\.domain\.Aggregate"):
        Registry().register(Renamed, outbox=True)
    with pytest.raises(MappingError, match="already registered"):
        registry.register(Account, outbox=False)


def test_the_outbox_field_name_is_reserved() -> None:
    from pydantic import Field

    class Clash(BaseModel):
        id: str
        box: list[str] = Field(default_factory=list, alias="esorm_outbox")

    with pytest.raises(MappingError, match="'esorm_outbox' is reserved"):
        Registry().register(Clash)


def test_lifecycle_hooks_are_part_of_the_registration() -> None:
    def check(entity: Any) -> None:
        return None

    registry = Registry()
    assert not registry.write_checks
    mapping = registry.register(Account, before_write=check, after_load=check)
    assert mapping.before_write is check and mapping.after_load is check
    assert registry.write_checks and registry.with_prefix("t_").write_checks
    with pytest.raises(MappingError, match="already registered"):
        registry.register(Account)
