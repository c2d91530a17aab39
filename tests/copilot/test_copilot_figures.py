"""The copilot draws a picture into a step when asked ("add a chart of the retention curve
to step 2"): drawn in the sandbox, anchored in the theory, saved as a revision; one that
cannot be drawn is kept flagged and the reply says so."""

from __future__ import annotations

from copilot_helpers import SessionFactory, a_task

from coauthor.copilot import Intent, Request
from coauthor.copilot.editing import edit_step
from coauthor.copilot.results import Edited
from coauthor.copilot.slots import extract
from coauthor.llm.testing import ScriptedModel
from coauthor.schemas.figures import FigureKind, FigureStatus

CHART = """```python
import matplotlib.pyplot as plt
plt.plot([0, 1, 2, 3], [1.0, 0.6, 0.45, 0.4], color="red")
plt.title("Retention by week")
```"""
BROKEN = "```python\nraise ValueError('no data')\n```"


def test_a_chart_asked_for_is_drawn_anchored_and_saved(session: SessionFactory) -> None:
    text = "add a chart of the retention curve to step 2"
    model = ScriptedModel([CHART])
    s = session(model=model, task=a_task())
    reply = edit_step(s, Request.of(text, extract(text, steps=2)))
    assert reply.intent is Intent.edit_step and reply.revision == 2
    assert "the chart 'the-retention-curve' is drawn" in reply.text
    assert isinstance(reply.result, Edited) and reply.result.step == 2
    saved = s.store.revision(s.task_id or 0)
    [figure] = saved.task.steps[1].figures
    assert figure.kind is FigureKind.chart and figure.status is FigureStatus.rendered
    assert figure.png and figure.svg and figure.caption == "the retention curve"
    assert "](figure:the-retention-curve)" in saved.task.steps[1].theory
    assert saved.task.steps[0].figures == []
    assert "the retention curve" in model.requests[0][-1]["content"]
    model.assert_done()


def test_a_diagram_that_never_draws_is_kept_flagged_and_said(session: SessionFactory) -> None:
    text = "нарисуй схему пайплайна данных в первом шаге"
    model = ScriptedModel(["digraph { a -> }"] * 3)
    s = session(model=model, task=a_task())
    slots = extract(text, steps=2)
    assert slots.figure == "diagram" and slots.step == 1
    reply = edit_step(s, Request.of(text, slots))
    assert reply.revision == 2 and "не нарисован" in reply.text
    step = s.store.revision(s.task_id or 0).task.steps[0]
    [figure] = step.figures
    assert figure.status is FigureStatus.failed and figure.error
    assert any(flag.startswith(f"figure {figure.name}:") for flag in step.flags)
    model.assert_done()


def test_a_part_named_with_a_graph_word_is_still_that_part() -> None:
    assert extract("fix the graph traversal in the solution of step 2").part == "solution"
    assert extract("fix the graph traversal in the solution of step 2").figure is None
    assert extract("rewrite the story of step 2, the plot is boring").part == "story"
    assert extract("add a chart of the uplift to the theory of step 1").figure == "chart"
