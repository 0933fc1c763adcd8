"""Write ids: every document esorm writes carries the ids of its latest writes.

When the answer to a bulk request is lost, the document itself then says whether the
write was applied, even when another writer wrote the same values from the same version
(their write carries another id). Ids are unique per write: a random prefix per flush
and a counter.
"""

from __future__ import annotations

import base64
import itertools
import os
from collections.abc import Iterator, Sequence

from esorm.mapping import RECENT_WRITES, WRITES_FIELD

_OPEN = f'"{WRITES_FIELD}":["'


def new_markers() -> Iterator[str]:
    """Fresh write ids for one flush: 8 random characters, then a counter."""
    prefix = base64.urlsafe_b64encode(os.urandom(6)).decode()
    return (f"{prefix}{number:x}" for number in itertools.count())


def chained(marker: str, previous: Sequence[str]) -> tuple[str, ...]:
    """The write ids a document holds after this write: it first, then the latest others."""
    return (marker, *previous[: RECENT_WRITES - 1])


def with_writes(source: bytes, writes: Sequence[str]) -> bytes:
    """A JSON document (an object) with the write ids added as its last field.

    Ids are URL-safe base64 and hex, so they need no escaping.
    """
    tail = (_OPEN + '","'.join(writes) + '"]}').encode()
    if source == b"{}":
        return b"{" + tail
    return b",".join((source[:-1], tail))
