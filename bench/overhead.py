"""The pipeline's own time per step with an instant model (no sandbox): store,
checkpoints, progress, templates, validation. Profiles the runs and prints the top
entries, so the biggest costs can be found and cut.

    .venv/bin/python bench/overhead.py [--runs 20] [--steps 4] [--top 20] [--no-profile]

The first run is a warm-up (imports, the exemplar index) and is not counted.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import tempfile
import time
from pathlib import Path

from coauthor.llm.testing import ScriptedModel
from coauthor.pipeline.brief import make_brief
from coauthor.pipeline.progress import StoreEvents
from coauthor.pipeline.runner import Runner, start_run
from coauthor.store import Store
from coauthor.testing import run_replies


def one_run(store: Store, steps: int) -> None:
    run = start_run(store, make_brief("An idea for the overhead bench", steps=steps), model="x")
    model = ScriptedModel(run_replies(steps))
    events = StoreEvents(store, run.id)
    shown = model.hooked(on_text=events.text)
    events.usage = shown.usage
    Runner(store, shown, master="Be clear.", events=events).execute(run.id)
    events.flush(force=True)


def profiled(runs: int, steps: int, top: int) -> None:
    with (
        tempfile.TemporaryDirectory() as folder,
        Store(f"sqlite:///{Path(folder) / 'bench.db'}") as store,
    ):
        one_run(store, steps)  # warm-up
        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.enable()
        for _ in range(runs):
            one_run(store, steps)
        profile.disable()
        elapsed = time.perf_counter() - started
    per_step = elapsed / (runs * steps) * 1000
    print(f"{runs} runs x {steps} steps: {elapsed:.2f} s, {per_step:.1f} ms per step")
    print("(profiled: the profiler itself adds time; the figure without it is below)")
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    print(out.getvalue())
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("cumulative").print_stats("coauthor", top)
    print(out.getvalue())


def unprofiled(runs: int, steps: int) -> tuple[float, float, float]:
    """Per step, in milliseconds: the wall time of all runs, and the median and least CPU
    time (of this process) of one run. The machine is shared: another guest's work slows
    every run by up to twice, at random, so the least of many runs is the figure that
    moves least from one measurement to the next."""
    with (
        tempfile.TemporaryDirectory() as folder,
        Store(f"sqlite:///{Path(folder) / 'bench.db'}") as store,
    ):
        one_run(store, steps)  # warm-up
        started = time.perf_counter()
        cpu: list[float] = []
        for _ in range(runs):
            before = time.process_time()
            one_run(store, steps)
            cpu.append((time.process_time() - before) / steps * 1000)
        elapsed = time.perf_counter() - started
    return elapsed / (runs * steps) * 1000, statistics.median(cpu), min(cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--no-profile", action="store_true", help="only the unprofiled figure")
    args = parser.parse_args()
    if not args.no_profile:
        profiled(args.runs, args.steps, args.top)
    wall, median, least = unprofiled(args.runs, args.steps)
    print(
        f"without the profiler, per step: {wall:.1f} ms wall; CPU time of this process "
        f"{median:.1f} ms (median of {args.runs} runs), {least:.1f} ms (least)"
    )


if __name__ == "__main__":
    main()
