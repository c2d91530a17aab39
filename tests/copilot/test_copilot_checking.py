"""The checking system behind the copilot's ``verify`` seam: the real sandbox, a scripted repair."""

from __future__ import annotations

import pytest
from copilot_helpers import SessionFactory, a_task

from coauthor.copilot import Request, Slots
from coauthor.copilot.checking import verify
from coauthor.copilot.results import Checks
from coauthor.llm.testing import ScriptedModel
from coauthor.pipeline.repair import Diagnosis
from coauthor.pipeline.verify import Checker
from coauthor.settings import Settings
from coauthor.testing import SOLUTION

pytestmark = pytest.mark.slow


def test_a_failing_step_is_repaired_and_saved_once(session: SessionFactory) -> None:
    task = a_task(2)
    broken = task.steps[1].model_copy(update={"solution": SOLUTION.replace("-", "+")})
    task = task.model_copy(update={"steps": [task.steps[0], broken]})
    model = ScriptedModel(
        [Diagnosis(culprit="solution", reason="adds instead of subtracting"), SOLUTION]
    )
    s = session(model=model, task=task)
    s.checker = lambda: Checker.from_settings(Settings())
    s.repair_rounds = 1
    reply = verify(s, Request.of("step 2 is failing, fix it", Slots(step=2, repair=True)))
    assert reply.result == Checks(verified={2: True}, repaired={2: 1}), reply.text
    assert "repaired in 1 round(s)" in reply.text
    revisions = s.store.revisions(s.task_id or 0)
    assert [r.source for r in revisions] == ["generate", "repair", "verify"]
    assert revisions[1].note == "step 2, round 1: rewrote the solution: adds instead of subtracting"
    verdict = s.head().task.steps[1].verdict
    assert verdict is not None and verdict.repair_rounds == 1
    assert verdict.repairs[0].startswith("round 1: rewrote the solution")
    model.assert_done()


def test_verify_only_verifies_and_offers_the_repair(session: SessionFactory) -> None:
    task = a_task(1)
    broken = task.steps[0].model_copy(update={"solution": SOLUTION.replace("-", "+")})
    s = session(model=ScriptedModel(), task=task.model_copy(update={"steps": [broken]}))
    s.checker = Checker.from_settings(Settings())
    s.repair_rounds = 2
    reply = verify(s, Request.of("verify step 1", Slots(step=1)))
    assert reply.result == Checks(verified={1: False}, repairable=[1])
    assert "repair them" in reply.text and s.head().number == 2


def test_without_a_model_a_failing_step_stays_failing(session: SessionFactory) -> None:
    task = a_task(1)
    broken = task.steps[0].model_copy(update={"solution": SOLUTION.replace("-", "+")})
    s = session(task=task.model_copy(update={"steps": [broken]}))
    s.checker = Checker.from_settings(Settings())
    reply = verify(s, Request.of("fix the whole task", Slots(repair=True)))
    assert reply.result == Checks(verified={1: False}) and "not verified" in reply.text
