"""Shared test data for the copilot tests: a two-step task and fake checking systems."""

from __future__ import annotations

from collections.abc import Callable

from coauthor.copilot import Session
from coauthor.llm.base import Capabilities
from coauthor.schemas import Language, Lesson, Link, Step, Task, TaskBrief, Verdict
from coauthor.testing import SOLUTION, TESTS, plan_reply


def a_step(number: int) -> Step:
    return Step(
        title=f"Step {number}",
        goal=f"Implement part {number}",
        lessons=["Estimate an effect"],
        story=f"Story of step {number}: the shop runs an experiment.",
        theory="Uplift is the difference of the means.",
        links=[Link(title="A/B testing", url="https://en.wikipedia.org/wiki/A/B_testing")],
        requirements=["mean_uplift(control, treatment) returns a float"],
        starter="def mean_uplift(control, treatment):\n    ...\n",
        solution=SOLUTION,
        tests=TESTS,
    )


def a_task(steps: int = 2, *, language: Language = Language.en, domain: str = "e-commerce") -> Task:
    brief = TaskBrief(
        idea="Sample size for an A/B test",
        domain=domain,
        language=language,
        steps=steps,
        lessons=[Lesson(title="Estimate an effect")],
    )
    return Task(brief=brief, plan=plan_reply(steps), steps=[a_step(n) for n in range(1, steps + 1)])


class FakeChecker:
    """A checking system that gives every step it sees the same verdict."""

    def __init__(self, verdict: Verdict) -> None:
        self.given = verdict

    def verdict(self, step: Step) -> Verdict:
        return self.given


passing = FakeChecker(Verdict(verified=True, tests=3, coverage=100.0))
failing = FakeChecker(
    Verdict(verified=False, tests=3, problems=["the starter passes test_positive"])
)


SessionFactory = Callable[..., Session]


def with_verdicts(task: Task, checker: FakeChecker) -> Task:
    """``task`` with every step judged by ``checker``."""
    steps = [step.model_copy(update={"verdict": checker.given}) for step in task.steps]
    return task.model_copy(update={"steps": steps})


CAPABLE = Capabilities(routing=True)
"""What a model able to route messages and write answers declares."""
