"""A small library with a known history, every timestamp set by a clock, so that the test
can work out each figure by hand.

- users: ann (admin), bob (author), rita (reviewer)
- task 1 "Cart totals" by bob, 2026-11-02 10:00: one step, story "one two three four"
  (18 characters); bob edits the story at 11:00 to "one two three five" and submits at 12:00;
  rita approves on 2026-11-03 at 10:00 (24 hours after the first draft)
- task 2 "Churn curve" by ann, 2026-11-10 09:00: two steps, never reviewed
- model calls: task 1 by bob, draft:1 on gpt-4o-mini 1000/500 tokens 2 s; tests:1 on
  gpt-4o-mini 2000/1000 tokens 1 s that failed; task 2 by ann, copilot on local 100/50, 0.5 s
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from coauthor.schemas import Link, Plan, Step, StepOutline, Task, TaskBrief, Verdict
from coauthor.schemas.calls import CallRecord, Message, Usage
from coauthor.schemas.mutation import MutationReport
from coauthor.schemas.team import ReviewMove, Role
from coauthor.settings import ModelPrice
from coauthor.store import Store

SECRET = "sk-test-abcdefghijklmnopqrstuvwxyz"
PRICES = {"gpt-4o-mini": ModelPrice(input=0.15, output=0.6)}


@pytest.fixture
def prices() -> dict[str, ModelPrice]:
    return dict(PRICES)


@pytest.fixture
def secret() -> str:
    return SECRET


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 1, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def at(self, day: int, hour: int) -> None:
        self.now = datetime(2026, 11, day, hour, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    ticking = Clock()
    for module in ("tasks", "team", "side", "runs"):
        monkeypatch.setattr(f"coauthor.store.{module}.utcnow", ticking, raising=False)
    return ticking


def step(n: int, story: str, *, verified: bool, score: float | None = None) -> Step:
    return Step(
        title=f"Step {n}",
        story=story,
        theory="The cat sat on the mat. The dog ran.",
        links=[
            Link(title="Docs", url="https://docs.python.org/3/"),
            Link(title="Bad", url="not a url"),
        ],
        requirements=["Return the total"],
        solution="def total(xs):\n    return sum(xs)\n",
        tests="def test_total():\n    assert total([1]) == 1\n",
        flags=["check wording"] if not verified else [],
        verdict=Verdict(
            verified=verified,
            tests=2 * n,
            coverage=80.0 if verified else None,
            weak_tests=["test_weak"] if not verified else [],
            repair_rounds=1 if not verified else 0,
            mutation=None if score is None else MutationReport(score=score),
        ),
    )


def task(title: str, domain: str, idea: str, steps: list[Step]) -> Task:
    plan = Plan(title=title, steps=[StepOutline(title=s.title, goal="G") for s in steps])
    return Task(brief=TaskBrief(idea=idea, domain=domain, steps=len(steps)), plan=plan, steps=steps)


def call(
    model: str, tokens_in: int, tokens_out: int, seconds: float, error: str | None = None
) -> CallRecord:
    return CallRecord(
        model=model,
        messages=[Message(role="user", content=f"key {SECRET}")],
        reply="ok",
        usage=Usage(prompt_tokens=tokens_in, completion_tokens=tokens_out),
        latency_s=seconds,
        error=error,
    )


@pytest.fixture
def library(tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    url = f"sqlite:///{tmp_path / 'metrics.db'}"
    with Store(url, user="ann") as ann:
        ann.add_user("ann", Role.admin)
        ann.add_user("bob", Role.author)
        ann.add_user("rita", Role.reviewer)
        bob, rita = ann.acting_as("bob"), ann.acting_as("rita")
        clock.at(2, 10)
        first = task(
            "Cart totals",
            "e-commerce",
            "Sum a shopping cart",
            [step(1, "one two three four", verified=True, score=0.5)],
        )
        bob.create_task(first, source="generate")
        bob.log_call(call("gpt-4o-mini", 1000, 500, 2.0), stage="draft:1", task_id=1)
        bob.log_call(
            call("gpt-4o-mini", 2000, 1000, 1.0, error=f"timeout with {SECRET}"),
            stage="tests:1",
            task_id=1,
        )
        clock.at(2, 11)
        edited = first.model_copy(deep=True)
        edited.steps[0].story = "one two three five"
        bob.add_revision(1, edited, source="edit", note=f"tighter story {SECRET}")
        clock.at(2, 12)
        bob.move_review(1, ReviewMove.submit)
        clock.at(3, 10)
        rita.move_review(1, ReviewMove.approve, note="fine")
        clock.at(10, 9)
        ann.create_task(
            task(
                "Churn curve",
                "analytics",
                "Plot a churn curve",
                [step(1, "alpha beta", verified=True, score=1.0), step(2, "gamma", verified=False)],
            ),
            source="generate",
        )
        ann.log_call(call("local", 100, 50, 0.5), stage="copilot", task_id=2)
        yield ann
