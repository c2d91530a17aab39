"""run_pytest on ordinary generated steps: solutions pass, starters fail, coverage is sensible."""

from __future__ import annotations

import textwrap

import pytest

from coauthor.sandbox import Limits, Sandbox, run_pytest
from coauthor.sandbox.boundary import Mode

LIMITS = Limits(cpu_seconds=10, wall_seconds=30)
ISOLATE = "solution.py"

SOLUTION = textwrap.dedent(
    '''
    def mean(values):
        """Arithmetic mean; empty input is an error."""
        if not values:
            raise ValueError("empty")
        return sum(values) / len(values)


    def describe(values):
        if len(values) > 1000:
            return "large"
        return "small"
    '''
)
STARTER = textwrap.dedent(
    '''
    def mean(values):
        """Arithmetic mean; empty input is an error."""
        ...


    def describe(values):
        ...
    '''
)
TESTS = textwrap.dedent(
    """
    import pytest

    from solution import describe, mean


    def test_mean():
        assert mean([1, 2, 3]) == 2


    def test_empty_raises():
        with pytest.raises(ValueError):
            mean([])


    @pytest.mark.parametrize("values", [[1], [1, 2, 3]])
    def test_small(values):
        assert describe(values) == "small"


    class TestMore:
        def test_float(self):
            assert mean([0.5, 1.5]) == 1.0
    """
)
EXPECTED = (
    "test_step.py::test_mean",
    "test_step.py::test_empty_raises",
    "test_step.py::test_small",
    "test_step.py::TestMore::test_float",
)


def test_good_solution_passes_with_coverage(sandbox: Sandbox, mode: Mode) -> None:
    files = {"solution.py": SOLUTION, "test_step.py": TESTS}
    report = run_pytest(
        sandbox, files, limits=LIMITS, coverage_of="solution.py", isolate=ISOLATE, mode=mode
    )
    assert report.expected == EXPECTED
    assert report.all_passed, report.output
    assert report.counts == {"passed": 4}
    assert report.finished and report.exit_status == 0 and report.forged_records == 0
    assert report.isolation == sandbox.isolation and report.mode == mode
    assert report.coverage_percent is not None
    assert 75.0 < report.coverage_percent < 100.0  # the "large" branch is never run


def test_starter_fails_every_test(sandbox: Sandbox, mode: Mode) -> None:
    files = {"solution.py": STARTER, "test_step.py": TESTS}
    report = run_pytest(sandbox, files, limits=LIMITS, isolate=ISOLATE, mode=mode)
    assert not report.all_passed
    assert report.outcomes == dict.fromkeys(EXPECTED, "failed")
    assert "assert None == 2" in report.details["test_step.py::test_mean"]
    assert report.mode == mode
    assert report.coverage_percent is None


def test_full_coverage_and_numeric_stack(sandbox: Sandbox, mode: Mode) -> None:
    solution = textwrap.dedent(
        """
        import numpy as np
        import pandas as pd


        def total(xs):
            return float(pd.Series(np.asarray(xs)).sum())
        """
    )
    tests = "from solution import total\n\ndef test_total():\n    assert total([1, 2]) == 3.0\n"
    files = {"solution.py": solution, "test_step.py": tests}
    report = run_pytest(
        sandbox, files, limits=LIMITS, coverage_of="solution.py", isolate=ISOLATE, mode=mode
    )
    assert report.all_passed, report.output
    assert report.coverage_percent == 100.0


def test_broken_test_file_is_not_a_pass(sandbox: Sandbox, mode: Mode) -> None:
    files = {"solution.py": SOLUTION, "test_step.py": "def test_x(:\n    pass\n"}
    report = run_pytest(sandbox, files, limits=LIMITS, isolate=ISOLATE, mode=mode)
    assert not report.all_passed and report.expected == ()
    assert "no test functions found in the test file" in report.notes


def test_import_error_makes_every_expected_test_an_error(sandbox: Sandbox, mode: Mode) -> None:
    files = {"solution.py": "raise RuntimeError('boom')\n", "test_step.py": TESTS}
    report = run_pytest(sandbox, files, limits=LIMITS, isolate=ISOLATE, mode=mode)
    assert report.outcomes == dict.fromkeys(EXPECTED, "error")
    assert "boom" in report.details["test_step.py::test_mean"]


def test_skips_and_missing_tests_are_not_passes(sandbox: Sandbox, mode: Mode) -> None:
    tests = textwrap.dedent(
        """
        import pytest

        def test_skipped():
            pytest.skip("later")

        def test_shadowed():
            assert False

        test_shadowed = None  # defined, then hidden from pytest
        """
    )
    report = run_pytest(sandbox, {"test_step.py": tests}, limits=LIMITS, isolate=ISOLATE, mode=mode)
    assert report.outcomes == {
        "test_step.py::test_skipped": "skipped",
        "test_step.py::test_shadowed": "missing",
    }
    assert not report.all_passed


def test_test_file_name_must_be_safe(sandbox: Sandbox, mode: Mode) -> None:
    with pytest.raises(ValueError, match="unsafe"):
        run_pytest(sandbox, {}, test_file="../test_step.py", isolate=ISOLATE, mode=mode)
