"""cProfile of esorm's cases, written as text reports beside the results (`--profile`)."""

from __future__ import annotations

import cProfile
import io
import pstats

from benchmarks._harness import Case

TOP = 30


async def profile_case(case: Case) -> str:
    """Run one case once under cProfile; its hottest functions by own and by total time."""
    state = await case.setup()
    profiler = cProfile.Profile()
    try:
        profiler.enable()
        await case.run(state)
        profiler.disable()
    finally:
        await case.teardown(state)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs()
    out.write(f"# {case.label}\n\n## by own time (tottime)\n")
    stats.sort_stats("tottime").print_stats(TOP)
    out.write("\n## by cumulative time\n")
    stats.sort_stats("cumulative").print_stats(TOP)
    return out.getvalue()
