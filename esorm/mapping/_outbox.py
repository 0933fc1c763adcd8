"""The outbox's place in a document: a reserved field holding the events not yet delivered."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

OUTBOX_FIELD = "esorm_outbox"
"""Where the document of an entity registered with `outbox=True` keeps the events it
recorded that are not delivered yet, written in the same operation as the change."""

OUTBOX_MAPPING: Mapping[str, Any] = {
    "properties": {
        "due": {"type": "date"},
        "parked": {"type": "integer"},
        "events": {"type": "object", "enabled": False},
    }
}
"""`due` (when the relay may take the earliest of the events) and `parked` (how many gave
up) are indexed, so the relay finds documents with pending events; the events themselves
are stored in `_source` only, never indexed."""
