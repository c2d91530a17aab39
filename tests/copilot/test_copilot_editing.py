"""edit_step, add_tests and verify over a real store, with a scripted model and a fake checker."""

from __future__ import annotations

import pytest
from copilot_helpers import SessionFactory, a_task, failing, passing

from coauthor.copilot import CopilotError, Intent, Reply, Request, Slots, put_into_theory
from coauthor.copilot.checking import verify
from coauthor.copilot.editing import edit_step, strengthen_tests
from coauthor.copilot.results import Checks, Edited, WhichPart
from coauthor.llm.testing import ScriptedModel
from coauthor.pipeline.edit import ProseReply
from coauthor.pipeline.parts import Part
from coauthor.schemas import Language
from coauthor.testing import TESTS


def request(text: str, **slots: object) -> Request:
    return Request.of(text, Slots(**slots))  # type: ignore[arg-type]


def test_edit_step_saves_a_reverified_revision(session: SessionFactory) -> None:
    model = ScriptedModel([ProseReply(text="A short story.")])
    s = session(model=model, task=a_task(), checker=passing)
    reply = edit_step(s, request("make the story in step 2 shorter", step=2, part="story"))
    assert reply.intent is Intent.edit_step and reply.revision == 2 and reply.changed
    assert reply.links == (f"task:{s.task_id}@2",)
    assert "Verified" in reply.text and reply.result == Edited(
        step=2, part=Part.story, verified=True
    )
    saved = s.store.revision(s.task_id or 0)
    assert saved.source == "copilot" and saved.note == "make the story in step 2 shorter"
    assert saved.task.steps[1].story == "A short story."
    assert saved.task.steps[0].story.startswith("Story of step 1")
    assert "make the story in step 2 shorter" in model.requests[0][-1]["content"]
    model.assert_done()


def test_without_a_checker_the_edit_is_saved_unverified(session: SessionFactory) -> None:
    s = session(model=ScriptedModel([ProseReply(text="Теория.")]), task=a_task())
    reply = edit_step(s, request("перепиши теорию в шаге 1", step=1, part="theory"))
    assert reply.revision == 2 and "недоступна" in reply.text
    assert s.head().task.steps[0].verdict is None


def test_edit_step_asks_for_the_part_and_the_step(session: SessionFactory) -> None:
    s = session(model=ScriptedModel(), task=a_task())
    reply = edit_step(s, request("make step 2 harder", step=2))
    assert reply.revision is None and "Which part of step 2" in reply.text
    assert isinstance(reply.result, WhichPart) and reply.result.choices[0] is Part.story
    with pytest.raises(CopilotError, match="Which step"):
        edit_step(s, request("make the story shorter", part="story"))
    with pytest.raises(CopilotError, match="no step 7"):
        edit_step(s, request("step 7 story", step=7, part="story"))


def test_the_last_step_and_a_one_step_task_need_no_number(session: SessionFactory) -> None:
    model = ScriptedModel([ProseReply(text="New."), ProseReply(text="Newer.")])
    s = session(model=model, task=a_task(3))
    reply = edit_step(s, request("rewrite the last step's story", last_step=True, part="story"))
    assert isinstance(reply.result, Edited) and reply.result.step == 3
    single = session(model=model, task=a_task(1))
    assert edit_step(single, request("rewrite the story", part="story")).result == Edited(
        step=1, part=Part.story, verified=None
    )


def test_no_open_task_is_said_plainly(session: SessionFactory) -> None:
    with pytest.raises(CopilotError, match="Open a task first"):
        edit_step(session(model=ScriptedModel()), request("story of step 1", step=1))


def test_add_tests_keeps_the_oracle_in_the_reply(session: SessionFactory) -> None:
    more = f"```python\n{TESTS}\n\ndef test_empty_control():\n    assert True\n```"
    s = session(model=ScriptedModel([more]), task=a_task(), checker=failing)
    reply = strengthen_tests(s, request("add a test for empty input in step 1", step=1))
    assert reply.intent is Intent.add_tests and reply.revision == 2
    assert "Not verified" in reply.text and "starter passes" in reply.text
    assert "def test_empty_control" in s.head().task.steps[0].tests
    assert isinstance(reply.result, Edited) and reply.result.verified is False


def test_verify_checks_every_step_or_the_named_one(session: SessionFactory) -> None:
    s = session(task=a_task(3), checker=passing)
    reply = verify(s, request("verify the whole task"))
    assert reply.revision == 2 and checks(reply) == {1: True, 2: True, 3: True}
    assert reply.text.count("verified (3 tests, 100% coverage)") == 3
    one = verify(s, request("re-check step 2", step=2))
    assert checks(one) == {2: True} and one.revision == 3


def test_verify_reports_a_failing_step(session: SessionFactory) -> None:
    s = session(task=a_task(2), checker=failing)
    reply = verify(s, request("почини упавший шаг 2", step=2))
    assert "шаг 2: не проверен" in reply.text and checks(reply) == {2: False}


def test_verify_without_a_checking_system_changes_nothing(session: SessionFactory) -> None:
    s = session(task=a_task())
    reply = verify(s, request("verify the whole task"))
    assert reply.revision is None and "not available" in reply.text
    assert s.head().number == 1


def test_an_explanation_goes_into_a_steps_theory(session: SessionFactory) -> None:
    s = session(task=a_task())
    reply = put_into_theory(s, 2, "Power is the chance to detect an effect.", lang=Language.en)
    theory = s.head().task.steps[1].theory
    assert reply.revision == 2 and theory.endswith("Power is the chance to detect an effect.")
    assert theory.startswith("Uplift is the difference")


def checks(reply: Reply) -> dict[int, bool]:
    assert isinstance(reply.result, Checks), reply.result
    return reply.result.verified
