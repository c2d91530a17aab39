from __future__ import annotations

import pytest

from coauthor.llm.testing import ScriptedModel
from coauthor.pipeline.context import Context
from coauthor.pipeline.edit import (
    EditError,
    Part,
    ProseReply,
    RequirementsReply,
    add_tests,
    changed_parts,
    part_diff,
    regenerate,
    replace_step,
)
from coauthor.prompts import default_master
from coauthor.schemas import Step, Task, TaskBrief
from coauthor.testing import SOLUTION, TESTS, plan_reply


def a_task() -> Task:
    step = Step(
        title="Uplift",
        goal="Compute the uplift",
        story="A long story about the shop.",
        theory="Theory.",
        requirements=["mean_uplift returns a float"],
        starter="def mean_uplift(control, treatment):\n    ...\n",
        solution=SOLUTION,
        tests=TESTS,
        flags=["tests: SyntaxError: old (kept as the model wrote it)"],
    )
    return Task(brief=TaskBrief(idea="idea", steps=1), plan=plan_reply(1), steps=[step])


def ctx(model: ScriptedModel) -> Context:
    return Context(model, default_master())


def test_story_is_rewritten_as_asked_and_the_rest_stays() -> None:
    task = a_task()
    model = ScriptedModel([ProseReply(text="A short story.")])
    new = regenerate(ctx(model), task, 1, Part.story, instruction="make it shorter")
    assert new.story == "A short story."
    assert new.model_dump(exclude={"story"}) == task.steps[0].model_dump(exclude={"story"})
    prompt = model.requests[0][-1]["content"]
    assert "make it shorter" in prompt and "A long story about the shop." in prompt


def test_requirements_come_back_as_a_list() -> None:
    model = ScriptedModel([RequirementsReply(requirements=["precise one", "precise two"])])
    new = regenerate(ctx(model), a_task(), 1, Part.requirements, instruction="be precise")
    assert new.requirements == ["precise one", "precise two"]


def test_new_solution_rederives_the_starter_and_fixed_code_clears_its_flag() -> None:
    solution = SOLUTION.replace("mean_uplift", "uplift")
    model = ScriptedModel([f"```python\n{solution}```", f"```python\n{TESTS}```"])
    new = regenerate(ctx(model), a_task(), 1, Part.solution)
    assert "def uplift(" in new.starter and "np.mean" not in new.starter
    fixed = regenerate(ctx(model), a_task(), 1, Part.tests)
    assert fixed.flags == [] and fixed.verdict is None


def test_add_tests_keeps_existing_tests_in_the_prompt() -> None:
    model = ScriptedModel([f"```python\n{TESTS}\n\ndef test_more():\n    assert True\n```"])
    new = add_tests(ctx(model), a_task(), 1, instruction="empty input")
    prompt = model.requests[0][-1]["content"]
    assert "Keep every existing test" in prompt and "empty input" in prompt
    assert TESTS.strip() in prompt and "def test_more" in new.tests


def test_unknown_step_is_an_edit_error() -> None:
    with pytest.raises(EditError, match="no step 3"):
        regenerate(ctx(ScriptedModel()), a_task(), 3, Part.story)


def test_replace_step_makes_a_new_task() -> None:
    task = a_task()
    step = task.steps[0].model_copy(update={"story": "new"})
    assert replace_step(task, 1, step).steps[0].story == "new"
    assert task.steps[0].story != "new"


def test_a_regeneration_that_returns_the_same_text_changes_nothing() -> None:
    task = a_task()
    same = regenerate(
        ctx(ScriptedModel([ProseReply(text=task.steps[0].story)])), task, 1, Part.story
    )
    assert changed_parts(task.steps[0], same) == [] and part_diff(task.steps[0], same) == ""


def test_the_diff_names_the_changed_part_only() -> None:
    task = a_task()
    new = regenerate(ctx(ScriptedModel([ProseReply(text="A short story.")])), task, 1, Part.story)
    assert changed_parts(task.steps[0], new) == [Part.story]
    diff = part_diff(task.steps[0], new)
    assert "--- story (now)" in diff and "+A short story." in diff and "-A long story" in diff
    assert "solution" not in diff
