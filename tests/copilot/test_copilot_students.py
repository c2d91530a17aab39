"""The copilot answers "which steps do students fail most?" from the imported results."""

from __future__ import annotations

from pathlib import Path

import pytest
from copilot_helpers import SessionFactory, a_task

from coauthor.copilot import handle
from coauthor.copilot.results import Failed, PassThrough
from coauthor.copilot.slots import extract
from coauthor.pipeline.results import import_results
from coauthor.store import Store

GRADES = """file,step_1,step_2,total_points_earned,percent_correct,grading_status
points-per-question,3.0,3.0,6.0,1.0,--
a.ipynb,3.0,3.0,6.0,1.0,Completed
b.ipynb,3.0,1.0,4.0,0.67,Completed
c.ipynb,3.0,0.0,3.0,0.5,Completed
"""


@pytest.mark.parametrize(
    ("message", "about_students"),
    [
        ("which steps do students fail most?", True),
        ("на каких шагах студенты чаще всего ошибаются?", True),
        ("where do students drop out?", True),
        ("our students struggle with p-values; generate a task to teach them", False),
        ("why does step 2 fail verification?", False),
    ],
)
def test_the_students_slot(message: str, about_students: bool) -> None:
    assert extract(message).students is about_students


@pytest.mark.parametrize(
    ("message", "words"),
    [
        ("which steps do students fail most?", ["step 2 «Step 2»: 2 of 3 did not pass (67%)"]),
        (
            "на каких шагах студенты чаще всего ошибаются?",
            ["шаг 2 «Step 2»: не прошли 2 из 3 (67%)", "Больше всего студентов бросают на шаге 2"],
        ),
    ],
)
def test_the_answer_ranks_steps_by_failure(
    session: SessionFactory, store: Store, tmp_path: Path, message: str, words: list[str]
) -> None:
    chat = session(task=a_task(2))
    assert chat.task_id is not None
    empty = handle(chat, message)
    assert isinstance(empty.result, Failed) and "results import" in empty.text
    grades = tmp_path / "final_grades.csv"
    grades.write_text(GRADES)
    import_results(store, chat.task_id, grades)
    reply = handle(chat, message)
    assert isinstance(reply.result, PassThrough)
    assert reply.result.hardest == [2, 1]
    assert all(w in reply.text for w in words), reply.text
