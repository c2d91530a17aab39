"""The checking system: run a step's tests in the sandbox against the reference
solution and against the starter (the differential oracle).

A step is verified when the solution passes every test and every test fails or
errors on the starter: a test that passes on the starter checks nothing and is
named as weak. Statement coverage of the solution by the tests is measured.
Results come from the sandbox's signed report, never from pytest's exit code.
"""

from __future__ import annotations

from dataclasses import dataclass

from coauthor.pipeline.cases import disagreements
from coauthor.sandbox import Limits, PytestReport, Sandbox, run_pytest, sandbox_for
from coauthor.sandbox.boundary import IN_PROCESS, ISOLATED, Mode
from coauthor.schemas import Step, TestOutcome, Verdict
from coauthor.settings import Settings

MIN_TESTS = 3
OUTPUT_KEPT = 6000


@dataclass(frozen=True)
class Checker:
    """A sandbox and its limits: what verifying a step needs. ``mode`` is decided per step
    unless an author forces the process-isolated or the in-process run."""

    sandbox: Sandbox
    limits: Limits
    mode: Mode = "auto"

    @classmethod
    def from_settings(cls, settings: Settings) -> Checker:
        limits = Limits(
            cpu_seconds=settings.sandbox_cpu_seconds,
            memory_mb=settings.sandbox_memory_mb,
            wall_seconds=settings.sandbox_wall_seconds,
        )
        return cls(sandbox_for(settings.sandbox_python), limits)

    def verdict(self, step: Step) -> Verdict:
        return verify_step(step, sandbox=self.sandbox, limits=self.limits, mode=self.mode)


def verify_step(
    step: Step, *, sandbox: Sandbox, limits: Limits | None = None, mode: Mode = "auto"
) -> Verdict:
    """Run the step's tests on its solution and on its starter; judge both.

    ``mode`` forces the process-isolated or the in-process run; by default the sandbox
    picks process-isolated whenever the step's API allows it.
    """
    on_solution = run_pytest(
        sandbox,
        {"solution.py": step.solution, "test_step.py": step.tests},
        limits=limits,
        coverage_of="solution.py",
        isolate="solution.py",
        mode=mode,
    )
    on_starter = run_pytest(
        sandbox,
        {"solution.py": step.starter, "test_step.py": step.tests},
        limits=limits,
        isolate="solution.py",
        mode=mode,
    )
    solution = _outcomes(on_solution)
    starter = _outcomes(on_starter)
    weak = [name for name, got in starter.items() if got is TestOutcome.passed]
    problems = _problems(on_solution, on_starter, solution, weak)
    warnings = []
    if 0 < len(solution) < MIN_TESTS:
        warnings.append(f"only {len(solution)} tests; the definition of done asks for {MIN_TESTS}")
    if on_solution.coverage_percent is not None and on_solution.coverage_percent < 80:
        warnings.append(f"the tests cover {on_solution.coverage_percent:.0f}% of the solution")
    warnings += [f"checked in-process: {r.mode_reason}" for r in (on_solution,) if r.mode_reason]
    # Dual execution: every test case of the step, run on the solution (evidence only).
    disagreed = disagreements(step, sandbox, limits)
    return Verdict(
        verified=not problems,
        tests=len(solution),
        solution_outcomes=solution,
        starter_outcomes=starter,
        weak_tests=weak,
        coverage=on_solution.coverage_percent,
        problems=problems,
        warnings=warnings,
        output=_output(on_solution, on_starter),
        isolation=on_solution.isolation,
        checking_mode=_weaker(on_solution.mode, on_starter.mode),
        duration_s=round(on_solution.duration_s + on_starter.duration_s, 3),
        disagreements=disagreed,
    )


def _weaker(first: str, second: str) -> str:
    return first if first == IN_PROCESS or second == ISOLATED else second


def _outcomes(report: PytestReport) -> dict[str, TestOutcome]:
    return {name.split("::")[-1]: TestOutcome(got) for name, got in report.outcomes.items()}


def _problems(
    on_solution: PytestReport,
    on_starter: PytestReport,
    solution: dict[str, TestOutcome],
    weak: list[str],
) -> list[str]:
    problems: list[str] = []
    if not solution:
        problems.append("the tests define no test function (test_*)")
    failing = [f"{name} ({got})" for name, got in solution.items() if got != TestOutcome.passed]
    if failing:
        problems.append("the solution fails: " + ", ".join(failing))
    if weak:
        problems.append("tests that pass on the starter check nothing: " + ", ".join(weak))
    for label, report in (("solution", on_solution), ("starter", on_starter)):
        if report.rejected_files:
            problems.append(f"refused files in the {label} run: {', '.join(report.rejected_files)}")
        if report.forged_records:
            problems.append(f"the {label} run tampered with the test report")
        if report.tampered:
            seen = "; ".join(report.tampered[:3])
            problems.append(f"the {label} run tampered with pytest or the driver: {seen}")
        if report.result.timed_out:
            problems.append(f"the {label} run hit the time limit")
    if solution and not on_solution.finished and not on_solution.result.timed_out:
        reason = on_solution.result.killed_reason or "it exited early"
        problems.append(f"the solution's test session did not finish ({reason})")
    return problems


def _output(on_solution: PytestReport, on_starter: PytestReport) -> str:
    half = OUTPUT_KEPT // 2
    return (
        f"--- tests on the reference solution ---\n{on_solution.output[-half:]}\n"
        f"--- tests on the starter ---\n{on_starter.output[-half:]}"
    )
