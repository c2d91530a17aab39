"""Mutant children carry the tamper watch: a mutant that patches pytest's reporting in its
own process is counted as killed and named among the run's problems, never as a clean
survivor, and the mutants around it are judged as usual."""

from __future__ import annotations

from coauthor.mutation import MutantSource, run_mutants
from coauthor.sandbox import Limits, Sandbox
from coauthor.schemas.mutation import Mutant, MutantStatus

SOLUTION = "def add_one(x):\n    return x + 1\n"
TESTS = """from solution import add_one


def test_one():
    assert add_one(1) == 2


def test_zero():
    assert add_one(0) == 1
"""
LIMITS = Limits(cpu_seconds=20, memory_mb=768, wall_seconds=60)
WRONG_BODY = "\n\ndef add_one(x):\n    return x + 2\n"

RUNNER = """import _pytest.runner as runner
from _pytest.reports import TestReport


def _passed(item, when, log=True, **kwargs):
    report = TestReport(item.nodeid, item.location, {}, "passed", None, when, [])
    if log:
        item.ihook.pytest_runtest_logreport(report=report)
    return report


runner.call_and_report = _passed  # every phase of every test now reads as passed
"""
REPORT_CLASS = """from _pytest.reports import TestReport

_made = TestReport.from_item_and_call.__func__


def _forged(cls, item, call):
    report = _made(cls, item, call)
    report.outcome, report.longrepr = "passed", None
    return report


TestReport.from_item_and_call = classmethod(_forged)
"""


def mutant(name: str, source: str) -> MutantSource:
    meta = Mutant(id=name, operator="hand", line=2, change=name, status=MutantStatus.survived)
    return MutantSource(meta, source)


def test_a_mutant_that_patches_pytest_is_killed_and_named(bwrap_sandbox: Sandbox) -> None:
    mutants = [
        mutant("runner", RUNNER + WRONG_BODY),
        mutant("report-class", REPORT_CLASS + WRONG_BODY),
        mutant("wrong", WRONG_BODY),
        mutant("same", "def add_one(x):\n    return 1 + x\n"),
    ]
    run = run_mutants(
        bwrap_sandbox, mutants, TESTS, solution=SOLUTION, limits=LIMITS, per_mutant_seconds=20
    )
    got = {m.id: m for m in run.mutants}
    assert run.baseline == {"test_one": "passed", "test_zero": "passed"}
    assert got["runner"].status is MutantStatus.killed
    assert got["report-class"].status is MutantStatus.killed
    assert got["wrong"].status is MutantStatus.killed
    assert got["wrong"].killed_by == ["test_one", "test_zero"]
    assert got["same"].status is MutantStatus.survived  # the patches died with their child
    named = [p for p in run.problems if "tampered" in p]
    assert len(named) == 2, run.problems
    assert "mutant runner tampered" in named[0]
    assert "call_and_report" in named[0]
    assert "mutant report-class tampered" in named[1]
    assert "from_item_and_call" in named[1]


def test_a_tampering_solution_makes_the_whole_run_a_problem(bwrap_sandbox: Sandbox) -> None:
    run = run_mutants(
        bwrap_sandbox,
        [mutant("wrong", RUNNER + WRONG_BODY)],
        TESTS,
        solution=RUNNER + "\n\ndef add_one(x):\n    return x + 1\n",
        limits=LIMITS,
        per_mutant_seconds=20,
    )
    assert any("unmutated solution tampered" in p for p in run.problems), run.problems
    assert run.mutants[0].status is MutantStatus.killed
