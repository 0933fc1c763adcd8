"""What one commit tells: a log line on the `esorm` logger and the attributes of its span.

Counts, requests, bytes and milliseconds only: never a document's content, an id, or a
credential at INFO (a failed commit's reasons go to DEBUG, since they may quote values).
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from esorm.telemetry import logger
from esorm.uow._flush import Flush


def report_commit(
    flush: Flush | None, elapsed: float, current_span: Any | None, error: BaseException | None
) -> None:
    """Log the commit's one line and set its span's attributes (when either is on)."""
    if current_span is None and not logger.isEnabledFor(logging.INFO):
        return
    operations = flush.operations if flush is not None else []
    actions = Counter(op.write.action for op in operations)
    outcome = flush.outcome if flush is not None else None
    failures = len(outcome.failures) if outcome is not None else 0
    requests = outcome.requests if outcome is not None else 0
    written = outcome.written if outcome is not None else 0
    size = sum(op.write.size for op in operations)
    if current_span is not None:
        current_span.set_attributes(
            {
                "esorm.operations": len(operations),
                "esorm.written": written,
                "esorm.failures": failures,
                "esorm.requests": requests,
                "esorm.bytes": size,
                **{f"esorm.{action}": count for action, count in actions.items()},
            }
        )
    if not logger.isEnabledFor(logging.INFO):
        return
    by_action = ", ".join(f"{action} {count}" for action, count in sorted(actions.items()))
    ended = f"failed: {type(error).__name__}" if error is not None else "ok"
    logger.info(
        "commit %s: %d operations (%s) in %d requests, %d bytes, %.1f ms; %d written, %d failed",
        ended,
        len(operations),
        by_action or "none",
        requests,
        size,
        elapsed * 1000,
        written,
        failures,
    )
    if outcome is not None and outcome.failures and logger.isEnabledFor(logging.DEBUG):
        for failure in outcome.failures:
            logger.debug("commit failure: %s", failure)
