"""The checking system: run a step's tests in the sandbox against the reference
solution and against the starter (the differential oracle), then against mutants of the
solution (mutation analysis, ``coauthor.mutation``).

A step is verified when the solution passes every test, no test is weak, and the
mutation score (mutants killed / mutants not marked equivalent) reaches the threshold.
A test is weak when it passes on the starter AND kills no mutant: such a test checks
nothing (a determinism or property test may pass on a stub yet catch mutants; it is not
weak). Statement coverage of the solution by the tests is measured. With ``mutants=0``
the analysis is off: every test must then fail or error on the starter. Results come from
the sandbox's signed reports, never from pytest's exit code.
"""

from __future__ import annotations

from dataclasses import dataclass

from coauthor.mutation.analysis import analyse, killers, survivor_problems
from coauthor.pipeline.cases import disagreements
from coauthor.sandbox import Limits, PytestReport, Sandbox, run_pytest, sandbox_for
from coauthor.sandbox.boundary import IN_PROCESS, ISOLATED, Mode
from coauthor.schemas import Step, TestOutcome, Verdict
from coauthor.schemas.mutation import DEFAULT_MUTANTS, DEFAULT_THRESHOLD, MutationReport
from coauthor.settings import Settings

MIN_TESTS = 3
OUTPUT_KEPT = 6000


@dataclass(frozen=True)
class Checker:
    """A sandbox and its limits: what verifying a step needs. ``mode`` is decided per step
    unless an author forces the process-isolated or the in-process run. ``mutants`` caps
    the mutants run per step (0: no mutation analysis); ``threshold`` is the mutation
    score a verified step reaches."""

    sandbox: Sandbox
    limits: Limits
    mode: Mode = "auto"
    mutants: int = DEFAULT_MUTANTS
    threshold: float = DEFAULT_THRESHOLD

    @classmethod
    def from_settings(cls, settings: Settings) -> Checker:
        limits = Limits(
            cpu_seconds=settings.sandbox_cpu_seconds,
            memory_mb=settings.sandbox_memory_mb,
            wall_seconds=settings.sandbox_wall_seconds,
        )
        return cls(
            sandbox_for(settings.sandbox_python),
            limits,
            mutants=settings.mutants,
            threshold=settings.mutation_threshold,
        )

    def verdict(self, step: Step) -> Verdict:
        return verify_step(
            step,
            sandbox=self.sandbox,
            limits=self.limits,
            mode=self.mode,
            mutants=self.mutants,
            threshold=self.threshold,
        )


def verify_step(
    step: Step,
    *,
    sandbox: Sandbox,
    limits: Limits | None = None,
    mode: Mode = "auto",
    mutants: int = DEFAULT_MUTANTS,
    threshold: float = DEFAULT_THRESHOLD,
) -> Verdict:
    """Run the step's tests on its solution, on its starter and on up to ``mutants``
    mutants of the solution; judge all three.

    ``mode`` forces the process-isolated or the in-process run; by default the sandbox
    picks process-isolated whenever the step's API allows it. The mutants run only when
    the solution passes every test (else the report's ``skipped`` says why).
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
    on_stub = [name for name, got in starter.items() if got is TestOutcome.passed]
    mutation = _mutation(step, sandbox, limits, on_solution, solution, mutants, threshold)
    caught = killers(mutation)
    ran = mutation is not None and bool(mutation.mutants)
    weak = [name for name in on_stub if not ran or name not in caught]
    problems = _problems(on_solution, on_starter, solution, weak, ran=ran)
    warnings = []
    if mutation is not None:
        problems += survivor_problems(mutation, step.solution)
        problems += [f"mutation analysis: {problem}" for problem in mutation.problems]
        kept = [name for name in on_stub if name not in weak]
        if kept:
            warnings.append(
                "tests that pass on the starter but catch mutants (kept): " + ", ".join(kept)
            )
        if (
            mutation.skipped
            and solution
            and not any(got is not TestOutcome.passed for got in solution.values())
        ):
            warnings.append(f"no mutation score: {mutation.skipped}")
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
        duration_s=round(
            on_solution.duration_s
            + on_starter.duration_s
            + (mutation.duration_s if mutation is not None else 0.0),
            3,
        ),
        mutation=mutation,
        disagreements=disagreed,
    )


def _mutation(
    step: Step,
    sandbox: Sandbox,
    limits: Limits | None,
    on_solution: PytestReport,
    solution: dict[str, TestOutcome],
    mutants: int,
    threshold: float,
) -> MutationReport | None:
    """The mutation analysis when the solution passes its tests; None when it is off."""
    if mutants <= 0:
        return None
    if not on_solution.all_passed or not solution:
        return MutationReport(
            threshold=threshold,
            skipped="the solution does not pass its tests, so no mutant was run",
        )
    return analyse(
        step,
        sandbox=sandbox,
        limits=limits,
        tests_passing=set(solution),
        limit=mutants,
        threshold=threshold,
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
    *,
    ran: bool = False,
) -> list[str]:
    problems: list[str] = []
    if not solution:
        problems.append("the tests define no test function (test_*)")
    failing = [f"{name} ({got})" for name, got in solution.items() if got != TestOutcome.passed]
    if failing:
        problems.append("the solution fails: " + ", ".join(failing))
    if weak and ran:
        problems.append(
            "tests that pass on the starter and catch no mutant check nothing: " + ", ".join(weak)
        )
    elif weak:
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
