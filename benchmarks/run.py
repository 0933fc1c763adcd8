"""Run every workload for esorm, the raw client, ESORM and elasticsearch.dsl in one process.

    python -m benchmarks.run [--quick] [--runs N] [--only abcdefghi] [--profile]

Talks to `ESORM_URL` when set, otherwise to an embedded noida-db server on a free port.
Prints one table per workload and the targets, and writes both as Markdown and JSON
under benchmarks/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from elasticsearch import AsyncElasticsearch

from benchmarks._context import Bench
from benchmarks._harness import Row, measure
from benchmarks._models import Author, LinkedPost, User, make_registry
from benchmarks._peers import dsl_models, load_pyesorm, pyesorm_models
from benchmarks._profile import profile_case
from benchmarks._report import header, machine, targets_table, workload_table
from benchmarks._workloads import TARGETS, Workload, judge, workloads
from esorm.client import ConnectionSettings, create_client
from esorm.testing import EmbeddedServer, delete_prefixed

RESULTS = Path(__file__).resolve().parent / "results"
# Generous and set once on the client: a per-call request_timeout takes elasticsearch-py 9's
# slow deprecated path.
REQUEST_TIMEOUT = 120.0
NO_SERVER_RUNS = 3  # (e) and (f) take milliseconds: three times the runs for a steadier median


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 entities, 2 runs: a smoke test")
    parser.add_argument("--count", type=int, help="entities per workload (default 10,000)")
    parser.add_argument("--runs", type=int, help="timed runs per case (default 9)")
    parser.add_argument("--warmup", type=int, default=1, help="warm-up runs per case")
    parser.add_argument("--only", default="abcdefghi", help="workload letters to run, e.g. 'ae'")
    parser.add_argument(
        "--profile", action="store_true", help="also cProfile esorm's rows of (a), (b), (e), (f)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where results are written")
    args = parser.parse_args(argv)
    args.count = args.count or (1_000 if args.quick else 10_000)
    args.runs = args.runs or (2 if args.quick else 9)
    if args.runs < 1 or args.count < 10:
        parser.error("--runs must be >= 1 and --count >= 10")
    if "f" in args.only and "e" not in args.only:
        args.only += "e"  # (f) is judged against (e)
    return args


@contextmanager
def server() -> Iterator[tuple[ConnectionSettings, dict[str, Any]]]:
    """The server under test: ESORM_URL when given, else an embedded noida-db."""
    if os.environ.get("ESORM_URL", "").strip():
        settings = ConnectionSettings.from_env()
        if not os.environ.get("ESORM_REQUEST_TIMEOUT"):
            settings = settings.model_copy(update={"request_timeout": REQUEST_TIMEOUT})
        yield settings, {"kind": "url", "url": settings.url}
        return
    with EmbeddedServer() as embedded:
        settings = ConnectionSettings(hosts=[embedded.url], request_timeout=REQUEST_TIMEOUT)
        yield settings, {"kind": "embedded noida-db", "url": embedded.url}


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def bench_all(
    args: argparse.Namespace,
    client: AsyncElasticsearch,
    plain: AsyncElasticsearch,
    info: dict[str, Any],
) -> int:
    prefix = f"esorm-bench-{uuid.uuid4().hex[:8]}-"
    registry = make_registry(prefix)
    indices = SimpleNamespace(
        user=registry.mapping_for(User).index,
        author=registry.mapping_for(Author).index,
        post=registry.mapping_for(LinkedPost).index,
    )
    peer = load_pyesorm(plain)
    if peer.module is None:
        say(f"ESORM rows will show as unavailable: {peer.missing}")
    bench = Bench(
        client=client,
        plain=plain,
        registry=registry,
        indices=indices,
        count=args.count,
        pyesorm=peer,
        pe=pyesorm_models(peer.module, indices) if peer.module is not None else None,
        dsl=dsl_models(indices),
    )
    server_info = (await client.info()).body
    info["name"] = server_info.get("name")
    info["version"] = server_info.get("version", {}).get("number")

    date = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H-%M-%SZ")
    settings = {
        "count": args.count,
        "runs": args.runs,
        "runs_without_server": args.runs * NO_SERVER_RUNS,
        "warmup": args.warmup,
    }
    facts = machine(info, peer.version)
    intro = header(facts, settings, date)
    print(intro + "\n", flush=True)

    selected = [w for w in workloads(args.count) if w.key in args.only]
    results: dict[str, list[Row]] = {}
    tables: dict[str, str] = {}
    record: dict[str, dict[str, Any]] = {}
    try:
        # The no-server workloads first, while the server is idle; they are cheap, so more runs.
        for workload in sorted(selected, key=lambda w: w.needs_server):
            say(f"({workload.key}) {workload.title}")
            if workload.prepare is not None:
                await workload.prepare(bench)
            rows = await measure(
                workload.cases(bench),
                (client, plain),
                runs=min(
                    args.runs if workload.needs_server else args.runs * NO_SERVER_RUNS,
                    workload.max_runs or args.runs * NO_SERVER_RUNS,
                ),
                warmup=args.warmup,
                progress=lambda m: say(f"  {m}"),
            )
            label = rebase(workload, rows, results)
            results[workload.key] = rows
            tables[workload.key] = workload_table(workload, rows, label)
            print(tables[workload.key] + "\n", flush=True)
            record[workload.key] = {
                "key": workload.key,
                "title": workload.title,
                "baseline": label,
                "rows": [row.as_json() for row in rows],
            }
            if args.profile:
                await profile(bench, workload, date, args.out)
    finally:
        await delete_prefixed(client, prefix)

    verdicts = [judge(t, results.get(t.key)) for t in TARGETS if t.key in args.only]
    targets = targets_table(verdicts)
    print(targets, flush=True)
    sections = [intro, *(tables[k] for k in sorted(tables)), targets]

    stem = f"{date}{'-quick' if args.quick else ''}"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{stem}.md").write_text("\n\n".join(sections) + "\n")
    document = {
        "date": date,
        "machine": facts,
        "settings": settings,
        "workloads": [record[k] for k in sorted(record)],
        "targets": [v.__dict__ for v in verdicts],
    }
    (args.out / f"{stem}.json").write_text(json.dumps(document, indent=2) + "\n")
    say(f"results: {args.out / stem}.md and .json")
    return 0


def rebase(workload: Workload, rows: list[Row], results: dict[str, list[Row]]) -> str:
    """Point the ratios at the row named by `ratio_to`; the label of what they compare to."""
    if workload.ratio_to is None:
        baseline = next((r for r in rows if r.role == "baseline"), None)
        return "-" if baseline is None else baseline.label
    key, role = workload.ratio_to
    other = results.get(key, [])
    reference = next((r for r in other if r.role == role), None)
    plain = next((r for r in other if r.role == "baseline"), None)
    for row in rows:
        row.ratio = row.paired = None
        if row.median is None:
            continue
        if reference is not None and reference.median:
            row.ratio = row.median / reference.median
        if plain is not None and plain.median:
            share = f"{row.median / plain.median:.1%} of ({key}) {plain.label}"
            row.note = f"{row.note}; {share}" if row.note else share
    return "-" if reference is None else f"({key}) {reference.label}"


async def profile(bench: Bench, workload: Any, date: str, out: Path) -> None:
    if workload.key not in "abef":
        return
    for case in workload.cases(bench):
        if case.library != "esorm":
            continue
        name = case.label.replace(" ", "_").replace(",", "").replace("+", "and")
        path = out / "profiles" / f"{date}-{workload.key}-{name}.txt"
        try:
            report = await profile_case(case)
        except Exception as exc:
            say(f"  not profiled ({case.label}): {type(exc).__name__}: {exc}")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(report)
        say(f"  profiled: {path}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with server() as (settings, info):
        say(f"server: {info['kind']} at {info['url']}")

        async def go() -> int:
            client = create_client(settings)
            plain = create_client(settings.model_copy(update={"fast_json": False}))
            try:
                return await bench_all(args, client, plain, info)
            finally:
                await client.close()
                await plain.close()

        return asyncio.run(go())


if __name__ == "__main__":
    sys.exit(main())
