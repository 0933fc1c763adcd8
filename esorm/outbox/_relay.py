"""The outbox relay: delivers the events outbox documents still hold once they are due.

A commit with a bus delivers its outbox entities' events itself and clears them; they
become due for the relay only after the bus's grace period, so the relay takes over
what a crash (or a failed handler, or a failed clearing) left behind. A pass claims the
due events of a batch of documents with a guarded rewrite (their attempt counted, due
again only when the claim's lease runs out), hands them to the bus, then clears the
delivered ones and schedules the failed ones again. A pass is bounded (`limit`), and
whatever stops it half-way is taken up by a later pass once the claims expire.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from esorm.domain import new_id
from esorm.errors import UnreadableDocumentError
from esorm.events import (
    DispatchReport,
    EventChainError,
    HandlerFailure,
    Message,
    MessageBus,
    StoredEvent,
    decoded,
    format_time,
    message_of,
)
from esorm.mapping import OUTBOX_FIELD, EntityMapping, Registry
from esorm.outbox._report import RelayReport, Undeliverable
from esorm.outbox._schedule import claimed, settled
from esorm.store import DocumentStore, as_store
from esorm.uow import UnitOfWork

if TYPE_CHECKING:
    from elasticsearch import AsyncElasticsearch

Clock = Callable[[], datetime.datetime]

_log = logging.getLogger("esorm.outbox")

_DUE = f"{OUTBOX_FIELD}.due"


@dataclass
class _Tally:
    """What a pass has done so far."""

    documents: int = 0
    delivered: list[Message[Any]] = field(default_factory=list)
    failures: list[HandlerFailure] = field(default_factory=list)
    undeliverable: list[Undeliverable] = field(default_factory=list)
    undelivered: list[Message[Any]] = field(default_factory=list)
    parked: int = 0
    skipped: int = 0
    unreadable: list[UnreadableDocumentError] = field(default_factory=list)

    def report(self, more: bool) -> RelayReport:
        return RelayReport(
            documents=self.documents,
            delivered=tuple(self.delivered),
            failures=tuple(self.failures),
            undeliverable=tuple(self.undeliverable),
            undelivered=tuple(self.undelivered),
            parked=self.parked,
            skipped=self.skipped,
            unreadable=tuple(self.unreadable),
            more=more,
        )


@dataclass(frozen=True, slots=True)
class _Claim:
    """The events of one document this pass claimed."""

    entity: BaseModel
    events: tuple[StoredEvent, ...]


class OutboxRelay:
    """Finds outbox documents with due events, delivers the events in order, clears them.

    Delivery is at least once: an event whose handlers ran may be delivered again when
    the pass stops before clearing it. Every message carries the event's id, and only
    the first attempt (the in-process one, or the relay's for events committed without
    a bus) is delivered as new (`Message.redelivered` is False).

    Args:
        client: an `AsyncElasticsearch` client or any `DocumentStore`.
        registry: where the outbox entity types (`outbox=True`) are registered.
        bus: the handlers; an event whose type is not subscribed on it is undeliverable.
        batch_size: documents claimed and delivered together.
        lease: how long a claim keeps other passes away from its events.
        retry_delay: how long a failed event waits before its next attempt, doubled
            with every attempt (at most 64 times).
        max_attempts: after this many attempts a failing event is parked.
        clock: the current time (aware UTC), for tests.
    """

    def __init__(
        self,
        client: AsyncElasticsearch | DocumentStore,
        registry: Registry,
        bus: MessageBus,
        *,
        batch_size: int = 100,
        lease: datetime.timedelta = datetime.timedelta(minutes=5),
        retry_delay: datetime.timedelta = datetime.timedelta(seconds=30),
        max_attempts: int = 10,
        clock: Clock | None = None,
    ) -> None:
        if batch_size < 1 or max_attempts < 1:
            raise ValueError("batch_size and max_attempts must be at least 1")
        self._store = as_store(client)
        self._registry = registry
        self._bus = bus
        self._batch_size = batch_size
        self._lease = lease
        self._retry_delay = retry_delay
        self._max_attempts = max_attempts
        self._clock = clock or _utcnow

    @property
    def outbox_types(self) -> list[EntityMapping[Any]]:
        """The registered entity types whose documents keep an outbox."""
        return [mapping for mapping in self._registry.event_sources if mapping.outbox]

    async def run_once(self, *, limit: int = 1000) -> RelayReport:
        """One pass over at most `limit` documents with due events.

        Raises:
            TransportFailedError: the server went away mid-pass; claimed events are
                taken up again by a pass after their lease ran out.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        tally, budget = _Tally(), limit
        for mapping in self.outbox_types:
            passed_over = 0  # unreadable documents stay due: searched past, not again
            while budget > 0:
                size = min(self._batch_size, budget)
                found, unreadable = await self._batch(mapping, size, passed_over, tally)
                passed_over += unreadable
                budget -= found + unreadable
                if found + unreadable < size:
                    break
        return tally.report(more=budget <= 0)

    async def run(
        self, *, every: float = 5.0, limit: int = 1000, stop: asyncio.Event | None = None
    ) -> None:
        """Run passes until `stop` is set: at once again while a pass hit its limit,
        otherwise `every` seconds apart."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            report = await self.run_once(limit=limit)
            if report.documents or not report.ok:
                _log.info("outbox relay pass: %s", report)
            if report.more:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)

    # -- one batch --------------------------------------------------------------------------

    async def _batch(
        self, mapping: EntityMapping[Any], size: int, offset: int, tally: _Tally
    ) -> tuple[int, int]:
        """Claim, deliver and settle one batch; (documents found, unreadable ones)."""
        now, token = self._clock(), new_id()
        async with UnitOfWork(self._store, self._registry) as uow:
            result = await uow.repository(mapping.entity).search(
                {"range": {_DUE: {"lte": format_time(now)}}},
                sort=[{_DUE: {"order": "asc"}}],
                size=size,
                offset=offset,
                load=[],
                skip_unreadable=True,
            )
            tally.unreadable.extend(result.unreadable)
            entities: list[BaseModel] = list(result.items)
            if entities:
                claims = await self._claim(uow, entities, now, token, tally)
                delivered, failed = await self._deliver(mapping, uow, claims, tally)
                await self._settle(uow, claims, token, delivered, failed, tally)
        if entities:
            await self._store.refresh(mapping)
        return len(entities), len(result.unreadable)

    async def _claim(
        self,
        uow: UnitOfWork,
        entities: list[BaseModel],
        now: datetime.datetime,
        token: str,
        tally: _Tally,
    ) -> list[_Claim]:
        claim = functools.partial(claimed, now=now, until=now + self._lease, token=token)
        after = await uow.rewrite_outbox([(entity, claim) for entity in entities])
        claims: list[_Claim] = []
        for entity, events in zip(entities, after, strict=True):
            mine = tuple(e for e in events or () if e.get("claim") == token)
            if mine:
                claims.append(_Claim(entity, mine))
            else:
                tally.skipped += 1  # another pass or a commit got there first
        tally.documents += len(claims)
        return claims

    async def _deliver(
        self, mapping: EntityMapping[Any], uow: UnitOfWork, claims: list[_Claim], tally: _Tally
    ) -> tuple[set[str], set[str]]:
        """Hand the claimed events to the bus; (delivered ids, failed ids)."""
        messages: list[Message[Any]] = []
        failed: set[str] = set()
        for claim in claims:
            entry = uow.identity_map.entry_of(claim.entity)
            assert entry is not None
            for stored in claim.events:
                message = self._message(mapping, entry.id, entry.index, stored, tally)
                if message is None:
                    failed.add(stored["id"])
                else:
                    messages.append(message)
        report = await self._dispatch(messages)
        tally.delivered.extend(report.delivered)
        tally.failures.extend(report.failures)
        tally.undelivered.extend(report.undelivered)
        failed |= {m.id for m in report.failed} | {m.id for m in report.undelivered}
        return {m.id for m in report.delivered}, failed

    def _message(
        self,
        mapping: EntityMapping[Any],
        doc_id: str,
        index: str,
        stored: StoredEvent,
        tally: _Tally,
    ) -> Message[Any] | None:
        event_type = self._bus.event_type(stored["type"])
        problem = "no handler on this bus subscribes to its type"
        if event_type is not None:
            try:
                event = decoded(stored, event_type)
            except Exception as exc:  # its data does not validate as the type any more
                problem = f"its data does not validate as {event_type.__name__}: {exc}"
            else:
                return message_of(
                    stored, event, aggregate=mapping.name, aggregate_id=doc_id, index=index
                )
        tally.undeliverable.append(
            Undeliverable(mapping.name, doc_id, stored["id"], stored["type"], problem)
        )
        return None

    async def _dispatch(self, messages: Sequence[Message[Any]]) -> DispatchReport:
        try:
            return await self._bus.dispatch(messages)
        except EventChainError as error:  # logged by the bus; retried like failures
            return error.report

    async def _settle(
        self,
        uow: UnitOfWork,
        claims: list[_Claim],
        token: str,
        delivered: set[str],
        failed: set[str],
        tally: _Tally,
    ) -> None:
        settle = functools.partial(
            settled,
            token=token,
            delivered=delivered,
            failed=failed,
            now=self._clock(),
            retry_delay=self._retry_delay,
            max_attempts=self._max_attempts,
        )
        await uow.rewrite_outbox([(claim.entity, settle) for claim in claims])
        tally.parked += sum(
            1
            for claim in claims
            for event in claim.events
            if event["id"] in failed and event["attempts"] >= self._max_attempts
        )


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
