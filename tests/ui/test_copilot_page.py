"""The Copilot page through AppTest: a real SQLite store, the real router and sandbox,
and a ScriptedModel injected through the resource factory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from coauthor.llm.base import ModelUnavailableError
from coauthor.llm.testing import ScriptedModel
from coauthor.pipeline.brief import make_brief
from coauthor.pipeline.edit import ProseReply
from coauthor.schemas import Link, Step, Task
from coauthor.store import Store
from coauthor.testing import SOLUTION, TESTS, plan_reply
from coauthor.ui import common

APP = Path(__file__).parents[2] / "src" / "coauthor" / "ui" / "app.py"
EDIT = "make the story in step 1 shorter"

Opener = Callable[..., AppTest]


def sample_task(steps: int = 2, *, idea: str = "Students ask how to pick a sample size") -> Task:
    """A finished task built from the shipped samples: no model, no run."""
    made = [
        Step(
            title=f"Step {n}",
            goal=f"Implement part {n}",
            story=f"Story of step {n}: the shop runs an experiment and wants to know the uplift.",
            theory="Uplift is the difference of the means.",
            links=[Link(title="A/B testing", url="https://en.wikipedia.org/wiki/A/B_testing")],
            requirements=["mean_uplift(control, treatment) returns a float"],
            starter="def mean_uplift(control, treatment):\n    ...\n",
            solution=SOLUTION,
            tests=TESTS,
        )
        for n in range(1, steps + 1)
    ]
    return Task(brief=make_brief(idea, steps=steps), plan=plan_reply(steps), steps=made)


@pytest.fixture
def embedded(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The studio's default model spec: the copilot routes with its classifier alone and
    asks no model to phrase answers (the factory still hands out the ScriptedModel)."""
    monkeypatch.setenv("COAUTHOR_MODEL", "local")


@pytest.fixture
def copilot(db_url: str, embedded: None) -> Opener:
    def opened(task_id: int | None = None) -> AppTest:
        app = AppTest.from_file(str(APP), default_timeout=120)
        app.run()
        if task_id is not None:
            app.query_params["task"] = str(task_id)
        app = app.switch_page(common.COPILOT).run()
        assert not app.exception, [e.value for e in app.exception]
        return app

    return opened


def send(app: AppTest, text: str) -> AppTest:
    app.chat_input[0].set_value(text).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def bubbles(app: AppTest) -> list[tuple[str, str]]:
    """(who, text) of every chat bubble, top to bottom."""
    return [
        (str(bubble.name), " ".join(str(m.value) for m in [*bubble.markdown, *bubble.error]))
        for bubble in app.chat_message
    ]


def badges(app: AppTest) -> list[str]:
    return [str(m.value) for m in app.markdown if "-badge[" in str(m.value)]


def labels(app: AppTest) -> list[str]:
    return [str(b.label) for b in app.button]


def click(app: AppTest, label: str) -> AppTest:
    found = [b for b in app.button if b.label == label]
    assert found, f"no button {label!r}; have {labels(app)}"
    found[0].click().run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_the_history_is_kept_per_task(copilot: Opener, store: Store, task_id: int) -> None:
    other = store.create_task(sample_task(1, idea="Churn of a telecom's customers")).id
    app = send(copilot(task_id), "tell me a joke")
    assert [who for who, _ in bubbles(app)] == ["user", "assistant"]
    assert bubbles(app)[0][1] == "tell me a joke"
    assert bubbles(app)[1][1].startswith("I'm the Co-Author copilot")
    assert [m.role for m in store.chat(task_id)] == ["user", "assistant"]  # stored once

    app.selectbox(key="cp_task").set_value(other).run()
    assert app.query_params["task"] == str(other) and bubbles(app) == []
    app = send(app, "what can you do?")
    assert [m.role for m in store.chat(other)] == ["user", "assistant"]
    assert store.chat(other)[0].content == "what can you do?"

    reopened = copilot(task_id)
    assert [text for _, text in bubbles(reopened)][:1] == ["tell me a joke"]
    assert len(bubbles(reopened)) == 2 and store.chat(None) == []


def test_an_edit_is_a_new_revision_with_a_button_that_opens_it(
    copilot: Opener, store: Store, task_id: int, model: ScriptedModel
) -> None:
    model.add(ProseReply(text="The shop tests a new checkout button."))
    app = send(copilot(task_id), EDIT)
    model.assert_done()
    assert EDIT in model.requests[0][-1]["content"]
    head = store.revision(task_id)
    assert head.number == 2 and head.source == "copilot" and head.note == EDIT
    assert head.task.steps[0].story == "The shop tests a new checkout button."
    assert head.task.steps[1] == store.revision(task_id, 1).task.steps[1]

    who, text = bubbles(app)[-1]
    assert who == "assistant" and "Step 1: the story is rewritten (revision 2)" in text
    assert "Verified: the solution passes all 4 tests" in text  # the real sandbox re-checked it
    assert any("Saved as revision 2" in badge for badge in badges(app)), badges(app)
    assert any("step 1 verified" in badge for badge in badges(app))
    assert store.chat(task_id)[-1].meta["verified"] == {"1": True}
    assert any("step 1 verified" in badge for badge in badges(copilot(task_id)))  # a redraw

    app = click(app, "Open revision 2")
    assert app.query_params["task"] == str(task_id)
    assert any("revision 2 of 2" in str(c.value) for c in app.caption)
    assert app.text_area(key=f"story_{task_id}_2_1").value == head.task.steps[0].story


def test_a_failing_model_is_one_error_line_and_saves_nothing(
    copilot: Opener, store: Store, task_id: int, model: ScriptedModel
) -> None:
    model.add(ModelUnavailableError("connection refused by 127.0.0.1:9"))
    app = send(copilot(task_id), EDIT)
    assert any("connection refused" in str(e.value) for e in app.error), bubbles(app)
    assert store.revision(task_id).number == 1
    assert not [label for label in labels(app) if label.startswith("Open revision")]


def test_a_guideline_question_quotes_the_master_document_without_the_model(
    copilot: Opener, model: ScriptedModel, task_id: int
) -> None:
    app = copilot(task_id)
    app.selectbox(key="cp_task").select_index(0).run()  # no task
    assert "task" not in app.query_params
    app = send(app, "what does our master document say about hints?")
    _, text = bubbles(app)[-1]
    assert text.startswith("From the master document:") and "\n> " in text
    assert "hint" in text.lower()
    assert model.requests == []


def test_an_unclear_message_offers_two_choices(
    copilot: Opener, store: Store, task_id: int, model: ScriptedModel
) -> None:
    app = send(copilot(task_id), "the theory")
    assert bubbles(app)[-1][1].startswith("Do you want me to ")
    assert {"Review the task", "Rewrite a part of a step"} <= set(labels(app))
    app = click(app, "Review the task")
    assert bubbles(app)[-1][1].startswith("Review of 'Sample size for an A/B test'")
    assert any("finding(s)" in badge for badge in badges(app)), badges(app)
    assert "Review the task" not in labels(app)  # the question is answered
    assert "Open in the editor" in labels(app)  # the review's link: the task, not a new revision
    assert store.revision(task_id).number == 1 and model.requests == []


def test_an_other_message_changes_nothing(
    copilot: Opener, store: Store, task_id: int, model: ScriptedModel
) -> None:
    app = send(copilot(task_id), "good morning")
    assert "I can start a new task" in bubbles(app)[-1][1]
    assert store.revision(task_id).number == 1 and len(store.revisions(task_id)) == 1
    assert not [label for label in labels(app) if label.startswith("Open ")]
    assert model.requests == []


def test_an_explanation_goes_into_a_step_theory(
    copilot: Opener, store: Store, task_id: int, model: ScriptedModel
) -> None:
    model.add("Power is the chance to detect a real effect. https://en.wikipedia.org/wiki/Power")
    app = send(copilot(task_id), "explain statistical power")
    assert "Put this into the theory of step 2" in labels(app)
    app = click(app, "Put this into the theory of step 2")
    assert "added to the theory of step 2 (revision 2)" in bubbles(app)[-1][1]
    theory = store.revision(task_id).task.steps[1].theory
    assert theory.endswith("https://en.wikipedia.org/wiki/Power")
    assert "Open revision 2" in labels(app)


def test_a_new_task_proposal_prefills_the_wizard(copilot: Opener, model: ScriptedModel) -> None:
    app = send(copilot(), "a new task about churn prediction in telecom for seniors, 2 steps")
    assert "Shall I generate it?" in bubbles(app)[-1][1]
    app = click(app, "Open in the New task wizard")
    assert not app.warning, [w.value for w in app.warning]
    assert str(app.text_area(key="wz_idea").value).startswith("Churn prediction in telecom")
    app.switch_page(common.NEW_TASK)  # AppTest's next run stays on the page st.switch_page chose
    app.segmented_control(key="wz_stage").set_value("Details").run()
    assert not app.warning and not app.exception, [w.value for w in app.warning]
    assert app.selectbox(key="wz_domain").value == "telecom"
    assert app.selectbox(key="wz_difficulty").value == "senior"
    assert app.number_input(key="wz_steps").value == 2
    assert model.requests == []  # nothing is generated from the chat
