"""What a relay pass does to a document's events: claim the due ones, then settle them.

Pure functions over the stored events, applied through guarded rewrites, so a pass that
lost a race (another relay, a commit) applies them again to what the document holds now.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection

from esorm.events import StoredEvent, format_time, parse_time

BACKOFF_CAP = 64
"""A failing event waits at most this many times `retry_delay` before its next attempt."""


def is_due(event: StoredEvent, now: datetime.datetime) -> bool:
    """True for an event the relay may take now (parked ones never are)."""
    due = event.get("due")
    return due is not None and parse_time(due) <= now


def claimed(
    events: tuple[StoredEvent, ...], *, now: datetime.datetime, until: datetime.datetime, token: str
) -> list[StoredEvent] | None:
    """The events with every due one claimed for this pass until `until`, its attempt
    counted; None when none is due (nothing to write)."""
    out: list[StoredEvent] = []
    changed = False
    for event in events:
        if is_due(event, now):
            event = {**event, "due": format_time(until), "attempts": event["attempts"] + 1}
            event["claim"] = token
            changed = True
        out.append(event)
    return out if changed else None


def settled(
    events: tuple[StoredEvent, ...],
    *,
    token: str,
    delivered: Collection[str],
    failed: Collection[str],
    now: datetime.datetime,
    retry_delay: datetime.timedelta,
    max_attempts: int,
) -> list[StoredEvent] | None:
    """The events without the delivered ones, and with this pass's failed ones due again
    after a backoff (parked, `due` None, once `max_attempts` were made); None when
    nothing changes."""
    out: list[StoredEvent] = []
    changed = False
    for event in events:
        if event["id"] in delivered:
            changed = True
            continue
        if event["id"] in failed and event.get("claim") == token:
            attempts = event["attempts"]
            wait = retry_delay * min(2 ** max(attempts - 1, 0), BACKOFF_CAP)
            retried: StoredEvent = {
                "id": event["id"],
                "type": event["type"],
                "at": event["at"],
                "due": None if attempts >= max_attempts else format_time(now + wait),
                "attempts": attempts,
                "data": event["data"],
            }
            event, changed = retried, True
        out.append(event)
    return out if changed else None
