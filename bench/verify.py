"""What the sandbox costs: verifying one typical step in the sandbox beside plain pytest
on the same files, in one run, in both checking modes (the solution in its own process,
and in the test process); the mutation analysis of a typical step (a ~25-line solution,
9 tests, 40 mutants) beside one plain pytest run of that step; and the time of the whole
hostile-code suite.

    .venv/bin/python bench/verify.py [--repeat 5] [--no-hostile] [--mutation-only]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from coauthor.export.json_format import loads
from coauthor.mutation import generate, run_mutants
from coauthor.pipeline.verify import verify_step
from coauthor.sandbox import Limits, RlimitSandbox, Sandbox, run_pytest, sandbox_for
from coauthor.sandbox.boundary import IN_PROCESS, ISOLATED
from coauthor.sandbox.pytest_runner import PYTEST_ARGS
from coauthor.schemas import Step
from coauthor.testing import SOLUTION, TESTS

ROOT = Path(__file__).resolve().parents[1]
STEP = Step(
    title="Uplift",
    story="",
    theory="",
    starter="def mean_uplift(control, treatment):\n    ...\n",
    solution=SOLUTION,
    tests=TESTS,
)


def mutation_step() -> Step:
    """Step 2 of the shipped A/B-test example: 24 lines of solution, 9 tests."""
    text = (ROOT / "src/coauthor/examples/ab-test-sample-size.json").read_text(encoding="utf-8")
    return loads(text, source="ab-test-sample-size").steps[1]


def plain_pytest(solution: str, tests: str = TESTS) -> None:
    """The same tests with no isolation: a subprocess in a temporary folder, with the
    pytest flags the sandbox uses (no plugin autoload, no conftest), so only the
    isolation differs."""
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "solution.py").write_text(solution)
        Path(folder, "test_step.py").write_text(tests)
        subprocess.run(
            [sys.executable, "-m", "pytest", *PYTEST_ARGS, "-c", "/dev/null", "test_step.py"],
            cwd=folder,
            capture_output=True,
            check=False,
            env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        )


def timed(work: Callable[[], object], repeat: int) -> list[float]:
    work()  # warm the file cache and imports
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return times


def hostile_suite() -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(ROOT / "tests" / "sandbox" / "test_hostile.py"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return time.perf_counter() - started, done.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-hostile", action="store_true")
    parser.add_argument("--mutation-only", action="store_true")
    args = parser.parse_args()
    limits = Limits()
    console = Console(width=110)
    mutation_rows(console, args.repeat, limits)
    if args.mutation_only:
        return
    sandboxes: list[Sandbox] = [sandbox_for(), RlimitSandbox()]
    rows: list[tuple[str, list[float]]] = [
        (
            "plain pytest, one run (no isolation)",
            timed(lambda: plain_pytest(SOLUTION), args.repeat),
        ),
    ]
    files = {"solution.py": SOLUTION, "test_step.py": TESTS}
    for box in sandboxes:
        for mode in (ISOLATED, IN_PROCESS):
            rows.append(
                (
                    f"{box.isolation}, {mode}: one pytest run",
                    timed(
                        lambda b=box, m=mode: run_pytest(
                            b, files, limits=limits, isolate="solution.py", mode=m
                        ),
                        args.repeat,
                    ),
                )
            )
            rows.append(
                (
                    f"{box.isolation}, {mode}: verify_step",
                    timed(
                        lambda b=box, m=mode: verify_step(STEP, sandbox=b, limits=limits, mode=m),
                        args.repeat,
                    ),
                )
            )
    base = statistics.median(rows[0][1])
    table = Table(title=f"Verifying one step (median of {args.repeat})")
    for column in ("what", "median s", "min s", "vs plain pytest"):
        table.add_column(column, justify="right" if column != "what" else "left")
    for name, times in rows:
        median = statistics.median(times)
        table.add_row(name, f"{median:.2f}", f"{min(times):.2f}", f"{median / base:.2f}x")
    console.print(table)
    if not args.no_hostile:
        seconds, summary = hostile_suite()
        console.print(f"hostile-code suite: {seconds:.1f} s ({summary})")


def mutation_rows(console: Console, repeat: int, limits: Limits) -> None:
    """The mutation analysis of one typical step beside one plain pytest run of it."""
    step = mutation_step()
    mutants = generate(step.solution, 40)
    box = sandbox_for()
    plain = timed(lambda: plain_pytest(step.solution, step.tests), repeat)
    analysis = timed(
        lambda: run_mutants(box, mutants, step.tests, solution=step.solution, limits=limits),
        repeat,
    )
    base, median = statistics.median(plain), statistics.median(analysis)
    table = Table(title=f"Mutation analysis of one step (median of {repeat})")
    for column in ("what", "median s", "min s", "mutants/s", "vs plain pytest"):
        table.add_column(column, justify="right" if column != "what" else "left")
    table.add_row(
        "plain pytest, one run (no isolation)", f"{base:.2f}", f"{min(plain):.2f}", "", "1.00x"
    )
    table.add_row(
        f"{box.isolation}: {len(mutants)} mutants + baseline, one session",
        f"{median:.2f}",
        f"{min(analysis):.2f}",
        f"{len(mutants) / median:.1f}",
        f"{median / base:.2f}x",
    )
    console.print(table)


if __name__ == "__main__":
    main()
