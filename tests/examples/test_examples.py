"""Every shipped example task is complete and passes the real checking system.

The examples are what a newcomer reads first and what steers the prompts, so each step must
meet the definition of done with margin: verified, at least five tests, at least one hidden
test, coverage of the solution of 90% or more, and no test that passes on the starter.
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources

import pytest

from coauthor.export.json_format import loads
from coauthor.pipeline.starter import stub
from coauthor.pipeline.verify import verify_step
from coauthor.sandbox import Limits, Sandbox, sandbox_for
from coauthor.schemas import Language, Task

LIMITS = Limits(cpu_seconds=20, wall_seconds=60)
MIN_TESTS = 5
MIN_COVERAGE = 90.0
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)

FILES = {
    entry.name.removesuffix(".json"): entry.read_text(encoding="utf-8")
    for entry in resources.files("coauthor.examples").iterdir()
    if entry.name.endswith(".json")
}
TASKS = {name: loads(text, source=name) for name, text in sorted(FILES.items())}
STEPS = [
    pytest.param(task, number, id=f"{name}-step{number}")
    for name, task in TASKS.items()
    for number in range(1, len(task.steps) + 1)
]


@functools.cache
def _sandbox() -> Sandbox:
    return sandbox_for()


def test_the_library_spans_several_tasks_and_both_languages() -> None:
    assert len(TASKS) >= 3
    languages = {task.brief.language for task in TASKS.values()}
    assert languages == {Language.en, Language.ru}


def test_task_ids_and_titles_are_unique() -> None:
    ids = [json.loads(text)["task_id"] for text in FILES.values()]
    titles = [task.title for task in TASKS.values()]
    assert len(set(ids)) == len(ids)
    assert len(set(titles)) == len(titles)


@pytest.mark.parametrize("task", TASKS.values(), ids=TASKS.keys())
def test_the_task_is_complete(task: Task) -> None:
    assert task.brief.steps == len(task.plan.steps) == len(task.steps)
    assert [s.title for s in task.plan.steps] == [s.title for s in task.steps]
    lessons = {lesson.title for lesson in task.brief.lessons}
    assert lessons and task.summary
    for step in task.steps:
        assert step.story and step.theory and step.requirements and step.goal
        assert set(step.lessons) <= lessons and step.lessons
        assert 1 <= len(step.links) <= 3
        assert all(link.url.startswith("https://") for link in step.links)
        assert step.flags == [] and step.verdict is None
        assert step.starter == stub(step.solution)
        assert re.search(r"^def test_hidden_", step.tests, re.MULTILINE)
        assert "from solution import" in step.tests


@pytest.mark.parametrize("task", TASKS.values(), ids=TASKS.keys())
def test_prose_is_in_the_language_of_the_brief(task: Task) -> None:
    russian = task.brief.language is Language.ru
    for step in task.steps:
        for text in (step.story, step.theory, *step.requirements):
            assert bool(CYRILLIC.search(text)) is russian, text[:80]


@pytest.mark.parametrize(("task", "number"), STEPS)
def test_the_step_passes_the_checking_system(task: Task, number: int) -> None:
    verdict = verify_step(task.steps[number - 1], sandbox=_sandbox(), limits=LIMITS)
    assert verdict.verified, "\n".join([*verdict.problems, verdict.output])
    assert verdict.tests >= MIN_TESTS
    assert verdict.weak_tests == []
    assert set(verdict.starter_outcomes.values()) <= {"failed", "error"}
    assert verdict.coverage is not None and verdict.coverage >= MIN_COVERAGE
    assert [w for w in verdict.warnings if not w.startswith("checked in-process")] == []
