"""Timing cases round-robin: warm-up, N timed runs, one instrumented run (memory, requests)."""

from __future__ import annotations

import contextlib
import gc
import statistics
import sys
import time
import traceback
import tracemalloc
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from elasticsearch import AsyncElasticsearch

from esorm.testing import record_requests

Role = Literal["baseline", "target", "peer", "info"]
Status = Literal["ok", "pending", "unavailable", "failed"]


class Pending(Exception):
    """Raised by a case whose esorm feature is not built yet; the table shows it as pending."""


class Unavailable(Exception):
    """Raised by a case whose library is not installed; the table shows it as unavailable."""


async def _no_setup() -> Any:
    return None


async def _no_teardown(state: Any) -> None:
    return None


@dataclass
class Case:
    """One row of a workload: an untimed setup before every run, the timed call, a teardown."""

    label: str
    library: str
    role: Role
    run: Callable[[Any], Awaitable[Any]]
    setup: Callable[[], Awaitable[Any]] = _no_setup
    teardown: Callable[[Any], Awaitable[None]] = _no_teardown
    note: str = ""
    check: Callable[[Any], Awaitable[None]] | None = None  # after the instrumented run
    describe: Callable[[], str] | None = None  # appended to the note once every run is done
    versus: tuple[str, ...] = ()  # labels of other rows: their ratios go into the note too


@dataclass
class Row:
    """What one case measured."""

    label: str
    library: str
    role: Role
    status: Status = "ok"
    note: str = ""
    times: list[float] = field(default_factory=list)
    requests: int | None = None
    endpoints: dict[str, int] = field(default_factory=dict)
    peak_bytes: int | None = None
    ratio: float | None = None  # median / the baseline's median
    paired: float | None = None  # median of run-by-run ratios to the baseline's same round

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None

    @property
    def min(self) -> float | None:
        return min(self.times) if self.times else None

    @property
    def max(self) -> float | None:
        return max(self.times) if self.times else None

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "library": self.library,
            "role": self.role,
            "status": self.status,
            "note": self.note,
            "median_s": self.median,
            "min_s": self.min,
            "max_s": self.max,
            "times_s": self.times,
            "ratio_to_baseline": self.ratio,
            "paired_ratio": self.paired,
            "requests": self.requests,
            "endpoints": self.endpoints,
            "peak_bytes": self.peak_bytes,
        }


async def _once(case: Case) -> float:
    state = await case.setup()
    try:
        gc.collect()
        start = time.perf_counter()
        await case.run(state)
        return time.perf_counter() - start
    finally:
        await case.teardown(state)


async def _instrumented(case: Case, row: Row, clients: Sequence[AsyncElasticsearch]) -> None:
    """One extra run with tracemalloc and request recording on, then the case's check.

    Its time is not reported: tracing allocations slows Python code down several times.
    Requests are recorded without their bodies, which would otherwise stay alive until
    the run ends and count in its peak.
    """
    state = await case.setup()
    try:
        gc.collect()
        tracemalloc.start()
        try:
            with contextlib.ExitStack() as stack:
                logs = [
                    stack.enter_context(record_requests(client, bodies=False)) for client in clients
                ]
                await case.run(state)
            row.peak_bytes = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        sent = [request for log in logs for request in log.requests]
        row.requests = len(sent)
        row.endpoints = dict(Counter(r.endpoint for r in sent))
        if case.check is not None:
            await case.check(state)
    finally:
        await case.teardown(state)


def _fail(row: Row, exc: BaseException) -> None:
    if isinstance(exc, Pending | NotImplementedError):
        row.status, row.note = "pending", str(exc) or type(exc).__name__
    elif isinstance(exc, Unavailable):
        row.status, row.note = "unavailable", str(exc)
    else:
        row.status, row.note = "failed", f"{type(exc).__name__}: {exc}"
        traceback.print_exception(exc, file=sys.stderr)


async def measure(
    cases: list[Case],
    clients: Sequence[AsyncElasticsearch],
    *,
    runs: int,
    warmup: int,
    progress: Callable[[str], None] = lambda _: None,
) -> list[Row]:
    """Warm every case up, then time them round-robin so drift hits all rows alike."""
    rows = [Row(c.label, c.library, c.role, note=c.note) for c in cases]
    live: list[tuple[Case, Row]] = []
    for case, row in zip(cases, rows, strict=True):
        try:
            for _ in range(max(1, warmup)):
                await _once(case)
        except Exception as exc:
            _fail(row, exc)
        else:
            live.append((case, row))
    for run in range(runs):
        progress(f"run {run + 1}/{runs}")
        for case, row in list(live):
            try:
                row.times.append(await _once(case))
            except Exception as exc:
                _fail(row, exc)
                row.times.clear()
                live.remove((case, row))
    for case, row in live:
        try:
            await _instrumented(case, row, clients)
        except Exception as exc:
            _fail(row, exc)
        if case.describe is not None and row.status == "ok":
            row.note = "; ".join(part for part in (row.note, case.describe()) if part)
    baseline = next((r for r in rows if r.role == "baseline" and r.median), None)
    if baseline is not None and baseline.median:
        for row in rows:
            row.ratio, row.paired = _ratios(row, baseline)
    by_label = {row.label: row for row in rows}
    for case, row in zip(cases, rows, strict=True):
        for label in case.versus:
            ratio, paired = _ratios(row, by_label[label])
            if ratio is not None:
                text = f"{ratio:.2f}x (paired {paired or 0:.2f}x) of {label}"
                row.note = "; ".join(part for part in (row.note, text) if part)
    return rows


def _ratios(row: Row, other: Row) -> tuple[float | None, float | None]:
    """Ratio of medians and the paired ratio (median of run-by-run ratios) of `row` to `other`."""
    if row.median is None or not other.median:
        return None, None
    paired = None
    if row.times and len(row.times) == len(other.times):
        paired = statistics.median(
            mine / base for mine, base in zip(row.times, other.times, strict=True)
        )
    return row.median / other.median, paired
