"""verify_step states which checking mode produced its verdict, and a caller can force one."""

from __future__ import annotations

import pytest

from coauthor.pipeline.verify import verify_step
from coauthor.sandbox import BubblewrapSandbox, Limits, SandboxUnavailableError
from coauthor.sandbox.boundary import IN_PROCESS, ISOLATED
from coauthor.schemas import Step, Verdict
from coauthor.testing import SOLUTION, TESTS

LIMITS = Limits(cpu_seconds=10, wall_seconds=30)
STARTER = "def mean_uplift(control, treatment):\n    ...\n"


@pytest.fixture(scope="module")
def sandbox() -> BubblewrapSandbox:
    try:
        return BubblewrapSandbox()
    except SandboxUnavailableError as exc:
        pytest.skip(f"bubblewrap unavailable here: {exc}")


def _step(solution: str = SOLUTION, tests: str = TESTS, starter: str = STARTER) -> Step:
    return Step(
        title="Uplift", story="", theory="", starter=starter, solution=solution, tests=tests
    )


def test_a_plain_function_step_is_verified_process_isolated(sandbox: BubblewrapSandbox) -> None:
    verdict = verify_step(_step(), sandbox=sandbox, limits=LIMITS)
    assert verdict.verified, verdict.problems
    assert verdict.checking_mode == ISOLATED
    assert verdict.coverage == 100.0


def test_the_mode_can_be_forced(sandbox: BubblewrapSandbox) -> None:
    verdict = verify_step(_step(), sandbox=sandbox, limits=LIMITS, mode=IN_PROCESS)
    assert verdict.verified and verdict.checking_mode == IN_PROCESS


def test_a_class_step_is_isolated_with_remote_instances(sandbox: BubblewrapSandbox) -> None:
    solution = "class Counter:\n    def __init__(self):\n        self.n = 0\n"
    tests = "from solution import Counter\n\n" + "".join(
        f"def test_{i}():\n    assert Counter().n == 0\n\n" for i in range(3)
    )
    starter = "class Counter:\n    pass\n"
    verdict = verify_step(_step(solution, tests, starter), sandbox=sandbox, limits=LIMITS)
    assert verdict.verified, verdict.problems
    assert verdict.checking_mode == ISOLATED


def test_a_step_that_cannot_cross_is_checked_in_process_and_says_why(
    sandbox: BubblewrapSandbox,
) -> None:
    solution = "def mean_uplift(control, treatment):\n    return (x for x in [1.0])\n"
    tests = "from solution import mean_uplift\n\n" + "".join(
        f"def test_{i}():\n    assert list(mean_uplift([], [])) == [1.0]\n\n" for i in range(3)
    )
    verdict = verify_step(_step(solution, tests), sandbox=sandbox, limits=LIMITS)
    assert verdict.verified, verdict.problems
    assert verdict.checking_mode == IN_PROCESS
    assert any("generator object cannot cross" in warning for warning in verdict.warnings)


def test_a_tampering_solution_is_not_verified_in_process(sandbox: BubblewrapSandbox) -> None:
    patch = (
        "import _pytest.reports as reports\n"
        "_init = reports.TestReport.__init__\n"
        "def _forced(self, *a, **k):\n"
        "    _init(self, *a, **k)\n"
        "    self.outcome, self.longrepr = 'passed', None\n"
        "reports.TestReport.__init__ = _forced\n"
        "def mean_uplift(control, treatment):\n    return 0.0\n"
    )
    verdict = verify_step(_step(solution=patch), sandbox=sandbox, limits=LIMITS, mode=IN_PROCESS)
    assert not verdict.verified
    assert any("tampered with pytest or the driver" in p for p in verdict.problems)


def test_stored_verdicts_without_a_mode_still_validate() -> None:
    old = Verdict.model_validate({"verified": True, "tests": 3, "isolation": "bubblewrap"})
    assert old.checking_mode == ""
