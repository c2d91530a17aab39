"""The New task wizard, driven through AppTest with a ScriptedModel from the factory."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest
from studio_support import ThreadRuns

from coauthor.llm.base import ModelUnavailableError
from coauthor.llm.testing import ScriptedModel
from coauthor.schemas import Language, Plan
from coauthor.store import Store
from coauthor.testing import lessons_reply, plan_reply, run_replies

IDEA = "Students keep asking how to pick a sample size for an A/B test"


def errors(app: AppTest) -> list[str]:
    return [str(e.value) for e in app.error]


def suggest(app: AppTest) -> AppTest:
    app.text_area(key="wz_idea").input(IDEA)
    return app.button[0].click().run()


def button(app: AppTest, label: str) -> AppTest:
    found = [b for b in app.button if b.label == label]
    assert found, f"no button {label!r}; have {[b.label for b in app.button]}"
    return found[0].click().run()


def lesson_titles(app: AppTest) -> list[str]:
    return [str(w.value) for w in app.text_input if w.label == "Lesson title"]


def test_the_author_edits_lessons_and_plan_then_generates(
    open_page: Callable[..., AppTest], model: ScriptedModel, runs: ThreadRuns, store: Store
) -> None:
    model.add(lessons_reply(), plan_reply(2))
    app = suggest(open_page("new"))
    assert not app.exception and not errors(app)
    assert lesson_titles(app) == ["Estimate an effect", "Handle edge cases"]

    app.text_input(key="wz_lesson_title_1").input("Estimate the uplift")
    app = button(app, "Add lesson")
    new_item = max(int(str(w.key).rsplit("_", 1)[1]) for w in app.text_input)
    app.text_input(key=f"wz_lesson_title_{new_item}").input("Size the sample")
    app.button(key=f"wz_up_{new_item}").click().run()  # reorder: the new lesson moves up
    app.button(key="wz_del_2").click().run()  # delete "Handle edge cases"
    assert lesson_titles(app) == ["Estimate the uplift", "Size the sample"]
    app.button(key=f"wz_up_{new_item}").click().run()
    assert lesson_titles(app) == ["Size the sample", "Estimate the uplift"]
    app.session_state["wz_domain"] = "edtech"  # as if typed: not one of the suggestions
    app = button(app, "Accept lessons")
    assert app.selectbox(key="wz_domain").value == "edtech"
    app.selectbox(key="wz_difficulty").set_value("middle")
    app.number_input(key="wz_steps").set_value(2)
    app.selectbox(key="wz_language").set_value("ru")
    app = button(app, "Make plan").run()
    assert not errors(app), errors(app)
    assert app.text_input(key="wz_plan_title").value == "Sample size for an A/B test"

    step_titles = [w for w in app.text_input if w.label == "Step title"]
    step_titles[0].input("Compute the uplift")
    app = button(app, "Add step")
    items = [int(str(w.key).rsplit("_", 1)[1]) for w in app.text_input if w.label == "Step title"]
    app.text_input(key=f"wz_step_title_{items[-1]}").input("Check the power")
    app.text_area(key=f"wz_step_goal_{items[-1]}").input("Compute the power of the test")
    app.button(key=f"wz_del_{items[1]}").click().run()  # remove the plan's step 2

    runs.model = ScriptedModel(run_replies(2, lessons=False)[1:])  # the plan is the author's
    app = button(app, "Generate task")
    assert not app.exception and not errors(app), errors(app)
    runs.join()

    run = store.list_runs()[0]
    assert app.query_params["run"] == str(run.id)
    assert [lesson.title for lesson in run.brief.lessons] == [
        "Size the sample",
        "Estimate the uplift",
    ]
    assert run.brief.domain == "edtech" and run.brief.language is Language.ru
    assert run.brief.difficulty == "middle" and run.brief.steps == 2
    plan = Plan.model_validate(store.checkpoints(run.id)["plan"])
    assert [s.title for s in plan.steps] == ["Compute the uplift", "Check the power"]
    assert store.run(run.id).status == "done"
    assert "Russian" in model.requests[1][0]["content"]  # the plan is asked for in Russian


def test_every_stage_can_be_revisited_without_losing_the_others(
    open_page: Callable[..., AppTest], model: ScriptedModel
) -> None:
    model.add(lessons_reply())
    app = suggest(open_page("new"))
    app.text_input(key="wz_lesson_title_2").input("Handle empty groups")
    app.switch_page("views/library.py").run()  # somewhere else entirely
    app.switch_page("views/new_task.py").run()
    assert lesson_titles(app) == ["Estimate an effect", "Handle empty groups"]
    app.segmented_control(key="wz_stage").set_value("Idea").run()
    assert app.text_area(key="wz_idea").value == IDEA
    app.segmented_control(key="wz_stage").set_value("Lessons").run()
    assert lesson_titles(app) == ["Estimate an effect", "Handle empty groups"]


def test_bad_input_and_an_unreachable_model_are_one_line_messages(
    open_page: Callable[..., AppTest], model: ScriptedModel
) -> None:
    app = open_page("new")
    app = app.button[0].click().run()  # no idea typed
    assert any("idea is empty" in e for e in errors(app)), errors(app)

    model.add(ModelUnavailableError("connection refused by 127.0.0.1:9"))
    app = suggest(app)
    assert not app.exception
    assert any("model is not available" in e and "connection refused" in e for e in errors(app))


def test_two_sessions_keep_their_own_wizard(
    open_page: Callable[..., AppTest], model: ScriptedModel
) -> None:
    model.add(lessons_reply())
    first = suggest(open_page("new"))
    second = open_page("new")
    assert second.text_area(key="wz_idea").value in ("", None)
    assert lesson_titles(second) == []
    assert first.segmented_control(key="wz_stage").value == "Lessons"
    assert second.segmented_control(key="wz_stage").value == "Idea"


def test_the_real_openai_without_a_key_says_the_key_is_missing(
    open_page: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("OPENAI_API_KEY", "COAUTHOR_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COAUTHOR_MODEL", "openai:gpt-4o-mini")
    app = suggest(open_page("new"))
    assert not app.exception
    assert any(
        "OPENAI_API_KEY is not set; export it or choose another model" in e for e in errors(app)
    )
    assert not any("cannot reach" in e for e in errors(app))
