"""The mutation analysis of one step: generate, run, score, and say it in words.

``analyse`` is what ``verify_step`` calls once the solution passes its tests. Mutants an
author marked as equivalent (``step.equivalent_mutants``) that survive are given the
status ``equivalent`` and left out of the score; a marked mutant the tests kill stays
killed (the tests show it is not equivalent).
"""

from __future__ import annotations

from collections.abc import Collection

from coauthor.mutation.operators import generate
from coauthor.mutation.runner import run_mutants
from coauthor.sandbox.base import Limits, Sandbox
from coauthor.schemas import Step
from coauthor.schemas.mutation import (
    DEFAULT_MUTANTS,
    DEFAULT_THRESHOLD,
    Mutant,
    MutantStatus,
    MutationReport,
)

SURVIVORS_NAMED = 6


def analyse(
    step: Step,
    *,
    sandbox: Sandbox,
    limits: Limits | None = None,
    tests_passing: Collection[str] | None = None,
    limit: int = DEFAULT_MUTANTS,
    threshold: float = DEFAULT_THRESHOLD,
) -> MutationReport:
    """Run up to ``limit`` mutants of ``step.solution`` against ``step.tests``.

    ``tests_passing``: names of the tests that pass on the solution (from the verdict);
    only they can kill a mutant. ``limit=0`` turns the analysis off (``score=None``,
    ``skipped`` says so). The report's ``score`` is None when no mutant counts.
    """
    if limit <= 0:
        return MutationReport(threshold=threshold, skipped="mutation analysis is off (0 mutants)")
    made = generate(step.solution, limit)
    if not made:
        return MutationReport(
            threshold=threshold, skipped="no mutant could be made of the solution"
        )
    run = run_mutants(
        sandbox,
        made,
        step.tests,
        solution=step.solution,
        limits=limits,
        tests_passing=tests_passing,
    )
    marked = {mark.mutant_id for mark in step.equivalent_mutants}
    mutants = [_marked(m, marked) for m in run.mutants]
    report = scored(mutants, threshold=threshold)
    problems = list(run.problems)
    skipped = ""
    if not run.mutants:
        skipped = "; ".join(problems) or "no mutant was run"
    return report.model_copy(
        update={
            "generated": len(made),
            "duration_s": run.duration_s,
            "uncovered_lines": run.uncovered_lines,
            "problems": problems,
            "skipped": skipped,
            "score": report.score if run.mutants else None,
        }
    )


def _marked(mutant: Mutant, marked: set[str]) -> Mutant:
    if mutant.id in marked and mutant.status is MutantStatus.survived:
        return mutant.model_copy(update={"status": MutantStatus.equivalent})
    return mutant


def scored(mutants: list[Mutant], *, threshold: float = DEFAULT_THRESHOLD) -> MutationReport:
    """Counts and score of judged mutants: (killed + timeout) / (all - equivalent)."""
    count = {status: 0 for status in MutantStatus}
    for mutant in mutants:
        count[mutant.status] += 1
    caught = count[MutantStatus.killed] + count[MutantStatus.timeout]
    counted = len(mutants) - count[MutantStatus.equivalent]
    return MutationReport(
        generated=len(mutants),
        killed=count[MutantStatus.killed],
        survived=count[MutantStatus.survived],
        timed_out=count[MutantStatus.timeout],
        equivalent=count[MutantStatus.equivalent],
        score=round(caught / counted, 4) if counted else None,
        threshold=threshold,
        mutants=mutants,
    )


def killers(report: MutationReport | None) -> set[str]:
    """Tests that killed at least one mutant."""
    if report is None:
        return set()
    return {test for mutant in report.mutants for test in mutant.killed_by}


def survivor_problems(report: MutationReport, solution: str) -> list[str]:
    """Why the score is below the threshold, in words an author can act on; empty when
    it is not."""
    if report.score is None or report.score >= report.threshold:
        return []
    lines = solution.splitlines()
    survivors = report.survivors
    named = []
    for mutant in survivors[:SURVIVORS_NAMED]:
        code = lines[mutant.line - 1].strip() if mutant.line <= len(lines) else ""
        named.append(f"line {mutant.line}: {mutant.change} in `{code[:80]}`")
    more = len(survivors) - len(named)
    listing = "; ".join(named) + (f"; and {more} more" if more > 0 else "")
    problems = [
        f"mutation score {report.score:.2f} is below the threshold {report.threshold:.2f}: "
        f"the tests still pass when the solution is changed like this: {listing}. "
        "Add tests that notice these changes, or mark a mutant as equivalent if it "
        "behaves exactly like the solution."
    ]
    unrun = [n for n in report.uncovered_lines if n <= len(lines) and lines[n - 1].strip()]
    if unrun:
        shown = ", ".join(str(n) for n in unrun[:12]) + (", ..." if len(unrun) > 12 else "")
        problems.append(
            f"no test runs line{'s' if len(unrun) > 1 else ''} {shown} of the solution, "
            "so no change there can be noticed"
        )
    return problems
