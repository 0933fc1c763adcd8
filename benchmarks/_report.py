"""Machine facts, Markdown tables and the JSON record of a run."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from benchmarks._harness import Row
from benchmarks._workloads import Verdict, Workload


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def machine(server: dict[str, Any], pyesorm_version: str | None) -> dict[str, Any]:
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": memory_gib(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": {
            "esorm": _version("esorm"),
            "elasticsearch": _version("elasticsearch"),
            "elastic-transport": _version("elastic-transport"),
            "pydantic": _version("pydantic"),
            "pydantic-core": _version("pydantic-core"),
            "pyesorm": pyesorm_version,
            "noida-db": _version("noida-db"),
        },
        "server": server,
        "esorm_source": git_state(),
    }


def git_state() -> str:
    """The commit esorm was measured at, and whether its package had uncommitted changes."""
    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
        return done.stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--", "esorm")
    except OSError:
        return "unknown commit"
    if not head:
        return "unknown commit"
    return f"commit {head}" + (" with uncommitted changes in esorm/" if dirty else "")


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:,.1f}"


def _mib(size: int | None) -> str:
    return "-" if size is None else f"{size / 1024 / 1024:,.1f}"


def _requests(row: Row) -> str:
    if row.requests is None:
        return "-"
    if not row.endpoints:
        return str(row.requests)
    detail = ", ".join(f"{n} {e}" for e, n in sorted(row.endpoints.items()))
    return f"{row.requests} ({detail})"


def workload_table(workload: Workload, rows: list[Row], baseline_label: str) -> str:
    lines = [
        f"### ({workload.key}) {workload.title}",
        "",
        f"Ratio: median / median of *{baseline_label}*. Paired: median of the run-by-run "
        f"ratios (runs are interleaved, so this cancels drift that hits a whole round).",
        "",
        "| case | library | median ms | min ms | max ms | ratio | paired "
        "| requests | peak MiB | note |",
        "|---|---|--:|--:|--:|--:|--:|---|--:|---|",
    ]
    for row in rows:
        if row.status == "ok":
            ratio = "-" if row.ratio is None else f"{row.ratio:.2f}x"
            paired = "-" if row.paired is None else f"{row.paired:.2f}x"
            cells = [_ms(row.median), _ms(row.min), _ms(row.max), ratio, paired]
            cells += [_requests(row), _mib(row.peak_bytes), row.note]
        else:
            cells = [row.status.upper(), "", "", "", "", "", "", f"{row.status}: {row.note}"]
        label = f"**{row.label}**" if row.role == "target" else row.label
        lines.append("| " + " | ".join([label, row.library, *cells]) + " |")
    return "\n".join(lines)


def targets_table(verdicts: list[Verdict]) -> str:
    marks = {True: "PASS", False: "FAIL", None: "pending"}
    checks = {True: "PASS", False: "FAIL", None: "-"}
    lines = [
        "### Targets",
        "",
        "Judged on the ratio of medians; the paired ratio is shown as a check on noise.",
        "",
        "| target | esorm row | measured | result | by paired ratio |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {v.target} | {v.row} | {v.measured} | {marks[v.passed]} | {checks[v.paired_passed]} |"
        for v in verdicts
    ]
    return "\n".join(lines)


def header(info: dict[str, Any], settings: dict[str, Any], date: str) -> str:
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items() if v)
    server = info["server"]
    return "\n".join(
        [
            f"## esorm benchmarks, {date}",
            "",
            f"- machine: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB, "
            f"{info['platform']}",
            f"- Python {info['python']}; {versions}",
            f"- server: {server.get('kind')} ({server.get('name')} {server.get('version')})",
            f"- esorm at {info['esorm_source']}",
            f"- {settings['count']:,} entities; median of {settings['runs']} runs "
            f"({settings['runs_without_server']} for the no-server workloads (e) and (f), "
            f"which run first) after {settings['warmup']} warm-up run(s) per case, cases "
            f"interleaved run by run; peak memory (tracemalloc) and request counts from one "
            f"extra run",
        ]
    )
