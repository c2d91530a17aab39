"""The checking system with mutation analysis, on steps written by hand: a strong suite
verifies, a suite that only checks "not None" does not (and says which mutants survive),
a determinism test that passes on the starter but catches mutants is not weak, a test
that passes on the starter and catches nothing is, and marked equivalent mutants are
left out of the score."""

from __future__ import annotations

from coauthor.mutation.analysis import survivor_problems
from coauthor.pipeline.verify import verify_step
from coauthor.sandbox import Limits, Sandbox
from coauthor.schemas import EquivalentMark, Step
from coauthor.schemas import TestOutcome as Outcome
from coauthor.schemas.mutation import Mutant, MutantStatus, MutationReport

LIMITS = Limits(cpu_seconds=20, wall_seconds=60)

GRADE = '''def grade(score: int) -> str:
    """Letter for a score from 0 to 100."""
    if score < 0 or score > 100:
        raise ValueError("score out of range")
    if score >= 90:
        return "A"
    if score >= 75:
        return "B"
    return "C"
'''
GRADE_STARTER = "def grade(score: int) -> str:\n    ...\n"
STRONG = """import pytest

from solution import grade


def test_a_from_ninety():
    assert grade(90) == "A"
    assert grade(100) == "A"


def test_b_from_seventy_five():
    assert grade(89) == "B"
    assert grade(75) == "B"


def test_c_below():
    assert grade(74) == "C"
    assert grade(0) == "C"


def test_out_of_range_raises():
    for bad in (-1, 101):
        with pytest.raises(ValueError):
            grade(bad)
"""
NOT_NONE = """import pytest

from solution import grade


def test_high():
    assert grade(95) is not None


def test_middle():
    assert grade(80) is not None


def test_low():
    assert grade(10) is not None


def test_out_of_range():
    with pytest.raises(ValueError):
        grade(-1)
"""
DETERMINISM = """

def test_same_score_same_letter():
    assert [grade(s) for s in range(0, 101)] == [grade(s) for s in range(0, 101)]
"""
EXISTS = """

def test_grade_is_callable():
    assert callable(grade)
"""


def step(tests: str, solution: str = GRADE, starter: str = GRADE_STARTER) -> Step:
    return Step(
        title="Grades", story="", theory="", starter=starter, solution=solution, tests=tests
    )


def test_a_strong_suite_verifies_with_a_high_score(bwrap: Sandbox) -> None:
    verdict = verify_step(step(STRONG), sandbox=bwrap, limits=LIMITS)
    report = verdict.mutation
    assert report is not None and report.score is not None
    assert report.score >= 0.9, [m.change for m in report.survivors]
    assert report.generated == len(report.mutants) > 10
    assert verdict.verified, verdict.problems


def test_not_none_checks_cover_every_line_but_score_low(bwrap: Sandbox) -> None:
    verdict = verify_step(step(NOT_NONE), sandbox=bwrap, limits=LIMITS)
    report = verdict.mutation
    assert report is not None and report.score is not None
    assert verdict.coverage == 100.0
    assert report.score < 0.8
    assert not verdict.verified
    assert verdict.weak_tests == []
    summary = next(p for p in verdict.problems if p.startswith("mutation score"))
    assert "below the threshold 0.80" in summary
    assert '`"A"` became `""`' in [m.change for m in report.survivors]
    first = report.survivors[0]
    assert f"line {first.line}: {first.change} in `" in summary
    assert f"and {len(report.survivors) - 6} more" in summary


def test_a_determinism_test_that_passes_on_the_starter_but_kills_mutants_is_not_weak(
    bwrap: Sandbox,
) -> None:
    verdict = verify_step(step(STRONG + DETERMINISM), sandbox=bwrap, limits=LIMITS)
    assert verdict.starter_outcomes["test_same_score_same_letter"] is Outcome.passed
    report = verdict.mutation
    assert report is not None
    assert any("test_same_score_same_letter" in m.killed_by for m in report.mutants)
    assert verdict.weak_tests == []
    assert verdict.verified, verdict.problems
    assert any("test_same_score_same_letter" in w for w in verdict.warnings)


def test_a_test_that_passes_on_the_starter_and_kills_nothing_is_weak(bwrap: Sandbox) -> None:
    verdict = verify_step(step(STRONG + EXISTS), sandbox=bwrap, limits=LIMITS)
    assert verdict.weak_tests == ["test_grade_is_callable"]
    assert not verdict.verified
    assert any("catch no mutant" in p and "test_grade_is_callable" in p for p in verdict.problems)


def test_no_mutants_means_the_plain_differential_rule(bwrap: Sandbox) -> None:
    verdict = verify_step(step(STRONG + DETERMINISM), sandbox=bwrap, limits=LIMITS, mutants=0)
    assert verdict.mutation is None
    assert verdict.weak_tests == ["test_same_score_same_letter"]
    assert not verdict.verified


CLIP = "def clip(x: int) -> int:\n    if x > 10:\n        return 10\n    return x\n"
CLIP_TESTS = """from solution import clip


def test_above():
    assert clip(11) == 10


def test_at_the_cap():
    assert clip(10) == 10


def test_below():
    assert clip(3) == 3
    assert clip(-5) == -5
"""


def test_marked_equivalent_mutants_leave_the_score(bwrap: Sandbox) -> None:
    clip = step(CLIP_TESTS, solution=CLIP, starter="def clip(x: int) -> int:\n    ...\n")
    first = verify_step(clip, sandbox=bwrap, limits=LIMITS, threshold=0.95)
    report = first.mutation
    assert report is not None and report.score is not None and report.score < 0.95
    survivors = report.survivors
    assert "`>` became `>=`" in [m.change for m in survivors]
    assert not first.verified
    assert any("`>` became `>=`" in p and "line 2" in p for p in first.problems)
    marks = [EquivalentMark(mutant_id=m.id, note="same for every int") for m in survivors]
    marked = clip.model_copy(update={"equivalent_mutants": marks})
    second = verify_step(marked, sandbox=bwrap, limits=LIMITS, threshold=0.95)
    again = second.mutation
    assert again is not None
    assert again.equivalent == len(survivors)
    assert again.score == 1.0
    assert {m.id for m in again.mutants if m.status is MutantStatus.equivalent} == {
        m.id for m in survivors
    }
    assert second.verified, second.problems


def test_survivor_problems_name_lines_no_test_runs() -> None:
    survivor = Mutant(
        id="x",
        operator="boundary",
        line=2,
        change="`>` became `>=`",
        status=MutantStatus.survived,
    )
    killed = survivor.model_copy(update={"id": "y", "status": MutantStatus.killed})
    report = MutationReport(
        generated=2,
        killed=1,
        survived=1,
        score=0.5,
        threshold=0.8,
        mutants=[survivor, killed],
        uncovered_lines=[3, 5],
    )
    problems = survivor_problems(report, CLIP + "\n# end\n")
    assert "line 2: `>` became `>=` in `if x > 10:`" in problems[0]
    assert problems[1].startswith("no test runs line 3 of the solution")
    assert survivor_problems(report.model_copy(update={"score": 0.9}), CLIP) == []


def test_no_mutant_runs_when_the_solution_fails(bwrap: Sandbox) -> None:
    broken = GRADE.replace('return "C"', 'return "D"')
    verdict = verify_step(step(STRONG, solution=broken), sandbox=bwrap, limits=LIMITS)
    report = verdict.mutation
    assert report is not None
    assert report.score is None and report.mutants == []
    assert "the solution does not pass its tests" in report.skipped
    assert not verdict.verified
