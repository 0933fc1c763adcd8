"""Errors of event dispatch."""

from __future__ import annotations

from esorm.errors import EsormError
from esorm.events._report import DispatchReport


class EventChainError(EsormError):
    """Handlers kept raising events past the bus's bound (`max_depth`): most likely a
    cycle (A's handler records B, B's records A). What was within the bound was handled;
    the commit that started the chain was written."""

    def __init__(self, report: DispatchReport, max_depth: int) -> None:
        self.report = report
        self.max_depth = max_depth
        cut = report.undelivered
        names = sorted({message.name for message in cut})
        super().__init__(
            f"events raised by event handlers chained deeper than max_depth={max_depth}: "
            f"{len(cut)} events past the bound were not delivered ({', '.join(names)}); "
            f"{len(report.delivered)} were. The commit that started the chain was written. "
            f"Look for handlers recording the events that led to them, or raise max_depth"
        )
