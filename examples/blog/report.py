"""What the scenario prints and checks: one block per step, a summary table, clear failures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TextIO

WIDTH = 78


@dataclass(frozen=True)
class Outcome:
    """What one step did: the requests it sent, the number it promised, and what to show."""

    requests: int
    expected_requests: int
    lines: Sequence[str] = field(default_factory=list)


@dataclass(frozen=True)
class StepRecord:
    """A finished step, for the summary table."""

    number: int
    title: str
    outcome: Outcome


class CheckFailed(Exception):
    """A step's outcome differs from what it claims."""


class StepFailed(Exception):
    """A step failed; the message names the step, so the demo can exit non-zero with it."""

    def __init__(self, number: int, title: str, reason: str) -> None:
        self.number = number
        self.title = title
        self.reason = reason
        super().__init__(f"step {number} ({title}) failed: {reason}")


def check(condition: bool, message: str) -> None:
    """Fail the current step with `message` unless `condition` holds."""
    if not condition:
        raise CheckFailed(message)


def plural(count: int, word: str) -> str:
    """`1 request`, `2 requests`."""
    return f"{count} {word}{'' if count == 1 else 's'}"


class Printer:
    """Writes the demo's output to a text stream, flushing as it goes."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def line(self, text: str = "") -> None:
        """One line of output."""
        print(text, file=self._out, flush=True)

    def banner(self, title: str, facts: Sequence[tuple[str, str]]) -> None:
        """The title and a few `name  value` facts about the run."""
        self.line(title)
        self.line("=" * len(title))
        for name, value in facts:
            self.line(f"  {name:<8} {value}")
        self.line()

    def step(self, number: int, title: str, outcome: Outcome) -> None:
        """The step's headline (title, request count, ok) and its indented details."""
        count = plural(outcome.requests, "request")
        head = f"[{number}] {title} "
        self.line(f"{head:.<{WIDTH - 18}} {count:>12}  ok")
        for text in outcome.lines:
            self.line(f"      {text}")
        self.line()

    def summary(self, records: Sequence[StepRecord]) -> None:
        """A table of every step with its requests against the expected number."""
        self.line(f"{'step':>4}  {'what':<50}{'requests':>10}{'expected':>10}")
        self.line(f"{'-' * 4}  {'-' * 50}{'-' * 8:>10}{'-' * 8:>10}")
        for record in records:
            outcome = record.outcome
            self.line(
                f"{record.number:>4}  {record.title:<50}"
                f"{outcome.requests:>10}{outcome.expected_requests:>10}"
            )
        self.line()
        self.line(f"all {len(records)} steps passed")
