"""pytest files as notebook cells: run the cells the way a notebook does (one namespace)."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import pytest
from export_samples import RICH_TESTS

from coauthor.export.pytest_cells import doctest_safe, graded_tests, is_hidden
from coauthor.pipeline.starter import stub
from coauthor.testing import SOLUTION, TESTS


def outcomes(code: str, tests: str) -> dict[str, bool]:
    """Run ``code`` then every test cell in one namespace, like a notebook kernel."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    exec(compile(code, "solution-cell", "exec"), namespace)
    results = {}
    for test in graded_tests(tests):
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(test.source, test.name, "exec"), namespace)
        except BaseException:  # pytest.raises fails with a BaseException
            results[test.name] = False
        else:
            results[test.name] = True
    return results


def test_the_reference_solution_passes_every_cell_and_the_starter_none() -> None:
    starter = stub(SOLUTION) or ""
    for tests in (TESTS, RICH_TESTS):
        passed = outcomes(SOLUTION, tests)
        assert passed and all(passed.values()), passed
        assert not any(outcomes(starter, tests).values())


def test_cells_follow_pytest_collection_and_the_hidden_rule() -> None:
    cells = graded_tests(RICH_TESTS)
    assert [c.name for c in cells] == [
        "test_table",
        "test_shift",
        "test_hidden_fixture_chain",
        "test_prints_are_captured",
        "TestSymmetry",
    ]
    assert [c.name for c in cells if c.hidden] == ["test_hidden_fixture_chain"]
    assert is_hidden("test_HIDDEN_edge") and not is_hidden("test_visible")


def test_plain_tests_are_readable_calls_and_others_run_through_pytest() -> None:
    by_name = {c.name: c.source for c in graded_tests(RICH_TESTS)}
    table = by_name["test_table"]
    assert "from solution" not in table and "uplift = mean_uplift" in table
    assert "@pytest" not in table.split("def test_table")[1]  # the loop replaces the mark
    assert "for _values_0 in GROUPS:" in table and '"""Tests of step 2."""' not in table
    assert "def shifted(control):" in by_name["test_hidden_fixture_chain"]
    assert "next(shifted(control=control()))" in by_name["test_hidden_fixture_chain"]
    for name in ("test_prints_are_captured", "TestSymmetry"):
        assert "pytest.main" in by_name[name] and f"::{name}" in by_name[name]
        assert "GROUPS" in by_name[name] and "test_table" not in by_name[name]
    assert not any("hidden" in by_name[name] for name in by_name if "hidden" not in name)
    assert all(doctest_safe(source) for source in by_name.values())


def test_a_cell_fails_with_the_assertion_of_its_test() -> None:
    wrong = SOLUTION.replace("treatment) - np.mean(control)", "control) - np.mean(treatment)")
    passed = outcomes(wrong, TESTS)
    assert passed == {
        "test_positive_uplift": False,
        "test_negative_uplift": False,
        "test_empty_group_raises": True,
    }


@pytest.mark.parametrize(
    ("tests", "expected"),
    [
        ("import solution\n\ndef test_a():\n    assert solution.double(2) == 4\n", True),
        ("from solution import *\n\ndef test_a():\n    assert double(2) == 4\n", True),
        ("from solution import double\n\nasync def test_a():\n    pass\n", False),
        (
            "import pytest\nfrom solution import double\n\n@pytest.mark.skip\n"
            "def test_a():\n    assert double(2) == 5\n",
            True,  # pytest skips it, so the cell passes
        ),
    ],
)
def test_other_shapes_of_test_files(tests: str, expected: bool) -> None:
    passed = outcomes("def double(x):\n    return 2 * x\n", tests)
    assert list(passed.values()) == [expected]


def test_files_that_do_not_parse_give_no_cells() -> None:
    assert graded_tests("def test_broken(:\n") == []


def test_doctest_safety_mirrors_otter() -> None:
    assert doctest_safe("import os\n\ndef f():\n    return 1\n\nf()\n")
    assert doctest_safe("try:\n    x = 1\nexcept ValueError:\n    x = 2\n")
    assert not doctest_safe("import functools\n\n@functools.cache\ndef f():\n    return 1\n")
    assert not doctest_safe('def f():\n    """One\nand two."""\n')
