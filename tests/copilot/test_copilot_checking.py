"""The checking system behind the copilot's ``verify`` seam: the real sandbox, a scripted repair."""

from __future__ import annotations

import pytest
from copilot_helpers import SessionFactory, a_task

from coauthor.copilot import Request, Slots
from coauthor.copilot.checking import checking_system, verify
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
    s.verify = checking_system(
        lambda: Checker.from_settings(Settings()), model=s.llm, master=s.master, rounds=1
    )
    reply = verify(s, Request.of("step 2 is failing, fix it", Slots(step=2)))
    assert reply.data["verified"] == {2: True}, reply.text
    assert "repaired in 1 round(s)" in reply.text and reply.revision == 2
    verdict = s.head().task.steps[1].verdict
    assert verdict is not None and verdict.repair_rounds == 1
    assert verdict.repairs[0].startswith("round 1: rewrote the solution")
    model.assert_done()


def test_without_a_model_a_failing_step_stays_failing(session: SessionFactory) -> None:
    task = a_task(1)
    broken = task.steps[0].model_copy(update={"solution": SOLUTION.replace("-", "+")})
    s = session(task=task.model_copy(update={"steps": [broken]}))
    s.verify = checking_system(Checker.from_settings(Settings()))
    reply = verify(s, Request.of("verify the whole task"))
    assert reply.data["verified"] == {1: False} and "not verified" in reply.text
