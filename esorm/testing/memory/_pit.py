"""Points in time: the documents of an index as they were when it was opened, kept alive
for `keep_alive` after each use, gone once closed or expired."""

from __future__ import annotations

import base64
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from esorm.testing.memory._errors import BadRequest
from esorm.testing.memory._index import Document, Index

_DURATION = re.compile(r"^(\d+)(d|h|m|s|ms|micros|nanos)$")
_SECONDS = {
    "d": 86400.0,
    "h": 3600.0,
    "m": 60.0,
    "s": 1.0,
    "ms": 1e-3,
    "micros": 1e-6,
    "nanos": 1e-9,
}


def seconds_of(keep_alive: str) -> float:
    """A time value such as `2m` or `30s`, in seconds."""
    match = _DURATION.match(str(keep_alive).strip())
    if match is None:
        raise BadRequest(
            "illegal_argument_exception",
            f"failed to parse setting [keep_alive] with value [{keep_alive}] as a time value: "
            f"unit is missing or unrecognized",
        )
    return int(match.group(1)) * _SECONDS[match.group(2)]


@dataclass(slots=True)
class PointInTime:
    """One open point in time: its index, the documents it sees, when it expires."""

    index: Index
    documents: list[Document]
    expires: float


class PointsInTime:
    """The open points in time of one store."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._open: dict[str, PointInTime] = {}

    def open(self, index: Index, keep_alive: str) -> str:
        """Open a point in time over the index's current documents; its id."""
        pit_id = base64.urlsafe_b64encode(os.urandom(15)).decode()
        expires = self._clock() + seconds_of(keep_alive)
        self._open[pit_id] = PointInTime(index, list(index.docs.values()), expires)
        return pit_id

    def use(self, pit_id: str, keep_alive: str | None) -> PointInTime:
        """The point in time for a search, its life extended by `keep_alive` if given.

        Raises:
            BadRequest: no such point in time (closed or expired): 404, as Elasticsearch.
        """
        now = self._clock()
        found = self._open.get(pit_id)
        if found is None or found.expires < now:
            self._open.pop(pit_id, None)
            raise BadRequest(
                "search_context_missing_exception",
                f"No search context found for id [{pit_id}]",
                status=404,
            )
        if keep_alive is not None:
            found.expires = now + seconds_of(keep_alive)
        return found

    def close(self, pit_id: str) -> bool:
        """Close a point in time; False when it was not open."""
        return self._open.pop(pit_id, None) is not None

    def __len__(self) -> int:
        now = self._clock()
        return sum(1 for pit in self._open.values() if pit.expires >= now)
