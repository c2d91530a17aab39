"""Scripted replies for a whole generation run, for tests and demos without a model."""

from __future__ import annotations

from coauthor.llm.testing import Reply
from coauthor.schemas import Lesson, LessonList, Link, Plan, StepDraft, StepOutline, StepSummary
from coauthor.schemas.cases import CaseList, TestCase

SOLUTION = '''import numpy as np


def mean_uplift(control: list[float], treatment: list[float]) -> float:
    """Difference of the treatment mean and the control mean."""
    if not control or not treatment:
        raise ValueError("both groups need at least one value")
    return float(np.mean(treatment) - np.mean(control))
'''

TESTS = """import pytest

from solution import mean_uplift


def test_positive_uplift():
    assert mean_uplift([1.0, 1.0], [2.0, 2.0]) == pytest.approx(1.0)


def test_negative_uplift():
    assert mean_uplift([3.0], [1.0]) == pytest.approx(-2.0)


def test_empty_group_raises():
    with pytest.raises(ValueError):
        mean_uplift([], [1.0])
"""


EXTRA_TESTS = """from solution import mean_uplift


def test_hidden_uplift_is_antisymmetric():
    assert mean_uplift([1.0, 5.0], [2.0]) == -mean_uplift([2.0], [1.0, 5.0])
"""
"""The free-form tests a scripted run adds to the tests rendered from ``cases_reply``."""


def cases_reply() -> CaseList:
    """The test cases a scripted run proposes for ``mean_uplift``."""
    return CaseList(
        cases=[
            TestCase(
                name="positive_uplift",
                args=[[1.0, 1.0], [2.0, 2.0]],
                expected=1.0,
                raises=None,
                reason="treatment above control",
            ),
            TestCase(
                name="negative_uplift",
                args=[[3.0], [1.0]],
                expected=-2.0,
                raises=None,
                reason="treatment below control",
            ),
            TestCase(
                name="empty_group_raises",
                args=[[], [1.0]],
                expected=None,
                raises="ValueError",
                reason="an empty group has no mean",
            ),
        ]
    )


def lessons_reply() -> LessonList:
    return LessonList(
        lessons=[
            Lesson(title="Estimate an effect", detail="Uplift is what the business decides on."),
            Lesson(title="Handle edge cases", detail="Empty groups happen in real logs."),
        ]
    )


def plan_reply(steps: int) -> Plan:
    return Plan(
        title="Sample size for an A/B test",
        steps=[
            StepOutline(
                title=f"Step {n}", goal=f"Implement part {n}", lessons=["Estimate an effect"]
            )
            for n in range(1, steps + 1)
        ],
    )


def step_replies(number: int, *, broken_code: bool = False) -> list[Reply]:
    draft = StepDraft(
        story=f"Story of step {number}: the shop runs an experiment.",
        theory="Uplift is the difference of the means.",
        links=[Link(title="A/B testing", url="https://en.wikipedia.org/wiki/A/B_testing")],
        requirements=["mean_uplift(control, treatment) returns a float", "empty input raises"],
    )
    if broken_code:  # cases for the function the requirements name, then free-form tests
        tests = f"Here are the tests:\n```python\n{TESTS}```"
        return [draft, *["def broken(:\n"] * 3, cases_reply(), tests]
    solution = f"```python\n{SOLUTION}```"
    return [draft, solution, cases_reply(), f"More tests:\n```python\n{EXTRA_TESTS}```"]


def run_replies(steps: int, *, lessons: bool = True, broken_step: int | None = None) -> list[Reply]:
    """Every reply a run of ``steps`` steps asks for, in the order it asks."""
    replies: list[Reply] = [lessons_reply()] if lessons else []
    replies.append(plan_reply(steps))
    for number in range(1, steps + 1):
        replies += step_replies(number, broken_code=number == broken_step)
        if broken_step == number:
            replies += ["def still_broken(:\n"] * 3  # the starter: asked for, never parses
        replies.append(StepSummary(text=f"Steps 1-{number}: mean_uplift is built."))
    return replies


BOUNDARY_SOLUTION = '''def discounted(total: float) -> float:
    """Orders of 100 or more get 10% off."""
    if total >= 100:
        return total * 0.9
    return total
'''

BOUNDARY_STARTER = '''def discounted(total: float) -> float:
    """Orders of 100 or more get 10% off."""
    raise NotImplementedError
'''

BOUNDARY_TESTS = """import pytest

from solution import discounted


def test_small_orders_pay_in_full():
    assert discounted(50) == 50


def test_large_orders_get_ten_percent_off():
    assert discounted(200) == pytest.approx(180)


def test_a_zero_order_costs_nothing():
    assert discounted(0) == 0
"""
"""Tests of ``BOUNDARY_SOLUTION`` that never look at the boundary: mutants of ``>= 100``
(``> 100``, ``>= 101``, ``>= 99``) survive them."""

BOUNDARY_KILLERS = """def test_exactly_one_hundred_gets_the_discount():
    assert discounted(100) == pytest.approx(90)


def test_just_below_one_hundred_pays_in_full():
    assert discounted(99.5) == 99.5
"""
"""New tests that kill every survivor of ``BOUNDARY_TESTS``."""
