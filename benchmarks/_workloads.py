"""The nine workloads, in order, and the targets esorm is judged against in the same run."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from benchmarks import _hydrate, _migrate, _relations, _search, _services, _update, _write
from benchmarks._context import Bench
from benchmarks._harness import Case, Role, Row


@dataclass(frozen=True)
class Workload:
    """A titled set of cases; `prepare` runs once before them (seeding read-only data)."""

    key: str
    title: str
    cases: Callable[[Bench], list[Case]]
    prepare: Callable[[Bench], Awaitable[None]] | None = None
    # ratios against another workload's row instead: (workload key, role of the row)
    ratio_to: tuple[str, Role] | None = None
    needs_server: bool = True
    max_runs: int | None = None  # slow workloads time fewer runs


def workloads(count: int) -> list[Workload]:
    n = f"{count:,}"
    return [
        Workload("a", f"Write {n} new entities", _write.cases),
        Workload("b", f"One search of {n} hits into entities", _search.cases, _search.prepare),
        Workload(
            "c",
            f"Change {count // _update.EVERY:,} of {n} tracked entities, guarded commit",
            _update.cases,
        ),
        Workload(
            "d",
            f"{_relations.POSTS} posts with their {_relations.AUTHORS} authors",
            _relations.cases,
            _relations.prepare,
        ),
        Workload(
            "e",
            f"Hydration alone, canned {n}-hit response (no server)",
            _hydrate.hydrate_cases,
            needs_server=False,
        ),
        Workload(
            "f",
            f"Commit with nothing changed among {n} tracked entities (no server)",
            _hydrate.noop_commit_cases,
            ratio_to=("e", "target"),
            needs_server=False,
        ),
        Workload(
            "g",
            f"Migrate an index of {count * _migrate.TIMES:,} documents into a new one",
            _migrate.cases,
            _migrate.prepare,
            max_runs=3,
        ),
        Workload(
            "h",
            f"The blog's {_services.CHECK_COUNT} service-layer checks: server vs in-memory store",
            _services.cases,
        ),
        Workload(
            "i",
            f"One commit of {count * _write.LARGE:,} new entities",
            _write.large_cases,
            max_runs=3,
        ),
    ]


@dataclass(frozen=True)
class Target:
    """A pass/fail bound on the esorm row ("target" role) of one workload."""

    key: str
    limit: float
    strict: bool = False  # `<` instead of `<=`
    requests: int | None = None
    memory_of: str | None = None  # peak memory at most `memory_limit` times this row's
    memory_limit: float = 1.0

    @property
    def text(self) -> str:
        bound = f"{'<' if self.strict else '<='} {self.limit:g}x"
        if self.key == "f":
            bound = f"< {self.limit:.0%} of (e) esorm hydration"
        if self.key == "h":
            bound = f">= {1 / self.limit:.0f}x faster in memory than on the server"
        if self.requests is not None:
            bound = f"exactly {self.requests} requests and {bound}"
        if self.memory_of is not None:
            bound = f"{bound}, peak <= {self.memory_limit:g}x of {self.memory_of}"
        return f"({self.key}) {bound}"


TARGETS = [
    Target("a", 0.80, memory_of="raw async_bulk + model_dump", memory_limit=1.5),
    Target("b", 1.05),
    Target("c", 1.20),
    Target("d", 1.5, requests=2),
    Target("e", 1.15),
    Target("f", 0.10, strict=True),
    Target("g", 1.5),
    Target("h", 0.05),
    Target("i", 1.0, memory_of="raw async_bulk + model_dump", memory_limit=1.5),
]


@dataclass(frozen=True)
class Verdict:
    """A target's outcome: passed True/False, or None when its row was not measured."""

    target: str
    row: str
    measured: str
    passed: bool | None
    paired_passed: bool | None = None


def judge(target: Target, rows: list[Row] | None) -> Verdict:
    row = next((r for r in rows or [] if r.role == "target"), None)
    if row is None:
        return Verdict(target.text, "-", "not run", None)
    if row.status != "ok" or row.ratio is None:
        return Verdict(target.text, row.label, row.status, None)

    memory_ok, memory_text = _memory(target, row, rows or [])

    def within(ratio: float | None) -> bool | None:
        if ratio is None:
            return None
        ok = ratio < target.limit if target.strict else ratio <= target.limit
        return ok and memory_ok and (target.requests is None or row.requests == target.requests)

    if target.key == "f":
        measured = f"{row.ratio:.1%}"
    elif target.key == "h":
        measured = f"{1 / row.ratio:.0f}x faster ({row.ratio:.3f}x)"
    else:
        measured = f"{row.ratio:.2f}x"
        if row.paired is not None:
            measured += f" (paired {row.paired:.2f}x)"
    if target.requests is not None:
        measured += f", {row.requests} requests"
    measured += memory_text
    return Verdict(target.text, row.label, measured, within(row.ratio), within(row.paired))


def _memory(target: Target, row: Row, rows: list[Row]) -> tuple[bool, str]:
    """Whether the row's peak memory is within the target's bound, and how it measured."""
    if target.memory_of is None:
        return True, ""
    other = next((r for r in rows if r.label == target.memory_of), None)
    if other is None or not other.peak_bytes or row.peak_bytes is None:
        return False, ", peak not measured"
    share = row.peak_bytes / other.peak_bytes
    return share <= target.memory_limit, f", peak {share:.2f}x"
