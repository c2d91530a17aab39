from __future__ import annotations

import ast

import pytest

from coauthor.llm.base import InvalidReplyError
from coauthor.llm.testing import ScriptedModel
from coauthor.pipeline.brief import BriefError, make_brief
from coauthor.pipeline.context import Context
from coauthor.pipeline.lessons import lessons
from coauthor.pipeline.plan import plan
from coauthor.pipeline.starter import stub
from coauthor.pipeline.step import step
from coauthor.pipeline.summary import summary
from coauthor.prompts import default_master
from coauthor.schemas import Language, Plan, StepSummary
from coauthor.testing import (
    EXTRA_TESTS,
    SOLUTION,
    cases_reply,
    lessons_reply,
    plan_reply,
    step_replies,
)


def context(model: ScriptedModel, language: Language = Language.en) -> Context:
    return Context(model, default_master(), language)


def test_lessons_come_back_typed_and_the_idea_is_in_the_prompt() -> None:
    model = ScriptedModel([lessons_reply()])
    got = lessons(context(model), "how to pick a sample size")
    assert [lesson.title for lesson in got] == ["Estimate an effect", "Handle edge cases"]
    assert "how to pick a sample size" in model.requests[0][-1]["content"]
    assert "Definition of done" in model.requests[0][0]["content"]
    model.assert_done()


def test_invalid_json_is_reasked_with_the_error_then_accepted() -> None:
    model = ScriptedModel(['{"lessons": []}', "not json", lessons_reply()])
    got = lessons(context(model), "idea")
    assert len(got) == 2
    reask = model.requests[1][-1]["content"]
    assert "lessons" in reask and "did not match" in reask
    assert model.usage.completion_tokens > 0


def test_a_model_that_keeps_failing_ends_in_a_clear_error() -> None:
    model = ScriptedModel(["{}", "{}", "{}"])
    with pytest.raises(InvalidReplyError, match="LessonList after 3 attempts") as info:
        lessons(context(model), "idea")
    assert info.value.last_reply == "{}"


def test_plan_has_exactly_the_steps_asked_for() -> None:
    brief = make_brief("idea", steps=2)
    model = ScriptedModel([plan_reply(3), plan_reply(2)])
    got = plan(context(model), brief)
    assert isinstance(got, Plan) and len(got.steps) == 2
    assert (
        "at least 2" in model.requests[1][-1]["content"]
        or "at most 2" in model.requests[1][-1]["content"]
    )


def test_step_has_every_part_and_a_starter_that_keeps_signatures() -> None:
    brief = make_brief("idea", steps=2)
    the_plan = plan_reply(2)
    model = ScriptedModel(step_replies(2))
    made = step(context(model), brief, the_plan, 2, "step 1 built mean_uplift")
    assert made.story.startswith("Story of step 2") and made.links
    assert made.solution == SOLUTION
    assert made.cases == cases_reply().cases  # a function-style step: tests from cases
    names = [n.name for n in ast.parse(made.tests).body if isinstance(n, ast.FunctionDef)]
    assert names == [
        "test_positive_uplift",
        "test_negative_uplift",
        "test_empty_group_raises",
        "test_hidden_uplift_is_antisymmetric",
    ]
    assert EXTRA_TESTS.strip() in made.tests
    assert "with pytest.raises(ValueError):\n        mean_uplift([], [1.0])" in made.tests
    further = model.requests[3][-1]["content"]  # the free-form request shows the case tests
    assert "def test_positive_uplift" in further and "Add the tests" in further
    assert "def mean_uplift(control: list[float], treatment: list[float]) -> float:" in made.starter
    assert "np.mean" not in made.starter and "..." in made.starter
    assert made.flags == []
    prompt = model.requests[0][-1]["content"]
    assert "step 1 built mean_uplift" in prompt and "Step 2" in prompt
    model.assert_done()


def test_code_that_never_parses_is_kept_and_flagged() -> None:
    brief = make_brief("idea", steps=1)
    replies = step_replies(1, broken_code=True) + ["def still_broken(:\n"] * 3
    model = ScriptedModel(replies)
    made = step(context(model), brief, plan_reply(1), 1, "")
    assert made.solution == "def broken(:\n"
    assert any(flag.startswith("solution: SyntaxError") for flag in made.flags)
    assert any(flag.startswith("starter: SyntaxError") for flag in made.flags)
    # the solution names no function, the requirements do: cases still give the structure
    assert made.cases == cases_reply().cases
    assert "from solution import mean_uplift" in made.tests
    assert "def test_positive_uplift(" in made.tests and "# Further tests" in made.tests
    model.assert_done()


def test_summary_is_bounded_and_uses_only_the_previous_summary() -> None:
    brief = make_brief("idea", steps=1)
    model = ScriptedModel([*step_replies(1), StepSummary(text="built mean_uplift")])
    made = step(context(model), brief, plan_reply(1), 1, "")
    text = summary(context(model), "earlier summary", made, number=1)
    assert text == "built mean_uplift"
    prompt = model.requests[-1][-1]["content"]
    assert "earlier summary" in prompt and SOLUTION not in prompt


def test_russian_task_asks_for_russian_prose() -> None:
    model = ScriptedModel([lessons_reply()])
    lessons(context(model, Language.ru), "задача про A/B тесты")
    assert "Write all prose in Russian" in model.requests[0][0]["content"]


def test_stub_hollows_functions_and_methods_and_drops_main_guard() -> None:
    source = (
        "class Model:\n    def fit(self, x: int) -> int:\n        '''Fit.'''\n        return x\n\n"
        "def helper() -> None:\n    print(1)\n\nif __name__ == '__main__':\n    helper()\n"
    )
    got = stub(source)
    assert got is not None
    tree = ast.parse(got)
    assert "print" not in got and "__main__" not in got and '"""Fit."""' in got
    assert sum(isinstance(n, ast.FunctionDef) for n in ast.walk(tree)) == 2
    assert stub("x = 1\n") is None and stub("def (:") is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"idea": "   "}, "the idea is empty"),
        ({"idea": "x" * 20_001}, "shorten it"),
        ({"idea": "ok", "difficulty": "expert"}, "unknown difficulty 'expert'"),
        ({"idea": "ok", "task_type": "saga"}, "unknown task type"),
        ({"idea": "ok", "language": "de"}, "unknown language"),
        ({"idea": "ok", "steps": 0}, "between 1 and 12"),
    ],
)
def test_bad_briefs_say_what_to_do(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(BriefError, match=message):
        make_brief(**kwargs)  # type: ignore[arg-type]


def test_a_raw_newline_inside_a_json_string_is_accepted_not_reasked() -> None:
    raw = '{"lessons": [{"title": "Estimate\nan effect", "detail": ""}]}'
    model = ScriptedModel([raw])
    got = lessons(context(model), "idea")
    assert got[0].title == "Estimate\nan effect"
    model.assert_done()
