"""Metrics of a library whose first drafts runs wrote (ScriptedModel, no sandbox): bob's
run drafts task 1 on 2 November 2026 at 10:00, cara edits its story at 11:00, bob submits
(step 1 waived: no sandbox ran), rita approves at 16:00; ann's run drafts task 2 on 9
November, unreviewed. Every figure is worked out by hand from the scripted replies
(coauthor.testing.run_replies)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest

from coauthor.llm.testing import ScriptedModel
from coauthor.metrics.logbook import LogFilter, logbook
from coauthor.metrics.report import compute
from coauthor.pipeline.brief import make_brief
from coauthor.pipeline.runner import Runner, start_run
from coauthor.schemas.metrics import LogKind
from coauthor.schemas.team import ReviewMove, Role
from coauthor.settings import ModelPrice
from coauthor.store import Store
from coauthor.testing import run_replies


class Clock(Protocol):
    """The conftest's clock: every store timestamp, set by the test."""

    def at(self, day: int, hour: int) -> None: ...


STORY = "Story of step 1: the shop runs an experiment."  # what run_replies writes: 45 chars
SCRIPTED = {"scripted": ModelPrice(input=1.0, output=2.0)}


def drafted(store: Store, idea: str) -> int:
    run = start_run(store, make_brief(idea, steps=1), model="scripted")
    runner = Runner(store, ScriptedModel(run_replies(1)), master="Be clear.")
    return runner.execute(run.id).revision.task_id


@pytest.fixture
def scripted(tmp_path: Path, clock: Clock) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'scripted.db'}", user="ann") as store:
        yield fill(store, clock)


def fill(store: Store, clock: Clock) -> Store:
    for name, role in (("ann", Role.admin), ("bob", Role.author), ("cara", Role.author)):
        store.add_user(name, role)
    store.add_user("rita", Role.reviewer)
    bob, cara = store.acting_as("bob"), store.acting_as("cara")
    clock.at(2, 10)
    first = drafted(bob, "Students ask how to pick a sample size")
    clock.at(2, 11)
    edited = bob.revision(first).task.model_copy(deep=True)
    edited.steps[0].story = f"{STORY} Twice."
    cara.add_revision(first, edited, source="edit", note="one more word")
    bob.move_review(first, ReviewMove.submit, waivers={1: "checked by hand"})
    clock.at(2, 16)
    store.acting_as("rita").move_review(first, ReviewMove.approve)
    clock.at(9, 9)
    drafted(store, "Students ask how churn is measured")
    return store


def test_metrics_of_a_scripted_library(scripted: Store) -> None:
    m = compute(scripted, SCRIPTED)
    # a one-step run asks for lessons, the plan, the step (text, solution, starter, tests:
    # four calls on stage step:1) and the summary: 7 calls per task, all the task's own
    # once its run made it (they are logged before the task exists)
    assert {k: u.calls for k, u in m.cost.by_stage.items()} == {
        "lessons": 2,
        "plan": 2,
        "step": 8,
        "summary": 2,
    }
    assert {k: u.calls for k, u in m.cost.by_task.items()} == {"task 1": 7, "task 2": 7}
    assert {k: u.calls for k, u in m.cost.by_step.items()} == {
        "task 1 step 1": 5,  # step:1 x4 and summary:1
        "task 2 step 1": 5,
    }
    assert {k: u.calls for k, u in m.cost.by_week.items()} == {"2026-W45": 7, "2026-W46": 7}
    total = m.cost.total
    assert total.cost == pytest.approx((total.tokens_in + 2 * total.tokens_out) / 1e6)
    assert m.cost.by_task["task 1"].tokens_in + m.cost.by_task["task 2"].tokens_in == (
        total.tokens_in
    )
    cart, churn = m.effort.tasks
    # cara appended " Twice." (7 characters) to the 45 of the story: 2 x 45 / (45 + 52)
    assert cart.kept["story"] == pytest.approx(90 / 97)
    assert {part for part, share in cart.kept.items() if share != 1.0} == {"story"}
    assert (cart.author, cart.edits, cart.approved, cart.hours_to_approval) == ("bob", 1, True, 6)
    assert (churn.author, churn.edits, churn.approved) == ("ann", 0, False)
    assert set(m.effort.by_author) == {"ann", "bob"}  # cara edited, she authored nothing
    parts = len(cart.kept)
    assert m.effort.by_author["bob"].mean_kept == pytest.approx((90 / 97 + parts - 1) / parts)
    assert m.effort.by_author["bob"].mean_hours_to_approval == 6.0
    assert m.correctness.steps == 2 and m.correctness.verified == 0  # no sandbox: unchecked


def test_logbook_of_a_scripted_library(scripted: Store) -> None:
    book = logbook(scripted, SCRIPTED, LogFilter(task_id=1))
    calls = [i for i in book.items if i.kind is LogKind.call]
    assert [i.stage for i in calls] == [
        "lessons",
        "plan",
        "step:1",
        "step:1",
        "step:1",
        "step:1",
        "summary:1",
    ]
    assert {i.user for i in calls} == {"bob"} and {i.run_id for i in calls} == {1}
    decisions = [(i.kind.value, i.stage, i.user) for i in book.items if i.kind is not LogKind.call]
    assert decisions == [
        ("run", "done", "bob"),
        ("revision", "generate", "bob"),
        ("revision", "edit", "cara"),
        ("review", "submit", "bob"),
        ("review", "approve", "rita"),
    ]
    assert book.by_user["bob"].calls == 7 and book.by_user["cara"].decisions == 1
    assert book.by_run["1"].calls == 7 and book.by_task["1"].calls == 7
