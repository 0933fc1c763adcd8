"""The transactional outbox on a document store: events kept in their aggregate's document.

Register an `Aggregate` with `outbox=True` and the events it records are written into its
own document (`esorm_outbox`) in the same operation as its change, atomically per
document. The commit's in-process dispatch delivers and clears them; `OutboxRelay`
delivers, at least once, what a crash between commit and dispatch left behind
(`esorm outbox relay` on the command line).
"""

from esorm.outbox._relay import Clock, OutboxRelay
from esorm.outbox._report import RelayReport, Undeliverable
from esorm.outbox._schedule import BACKOFF_CAP, claimed, is_due, settled
from esorm.outbox._serve import STOP_SIGNALS, serve_relay

__all__ = [
    "BACKOFF_CAP",
    "STOP_SIGNALS",
    "Clock",
    "OutboxRelay",
    "RelayReport",
    "Undeliverable",
    "claimed",
    "is_due",
    "serve_relay",
    "settled",
]
