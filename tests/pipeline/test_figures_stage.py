"""A step whose draft proposes figures: each drawn in the sandbox, re-asked with the error
when it fails, and kept flagged when it never draws."""

from __future__ import annotations

from pathlib import Path

import pytest

from coauthor.figures import figure_states
from coauthor.llm.testing import Reply, ScriptedModel
from coauthor.pipeline.brief import make_brief
from coauthor.pipeline.context import Context
from coauthor.pipeline.figures import FigureDrawer, extract_dot, regenerate_figure
from coauthor.pipeline.runner import Runner
from coauthor.prompts import default_master
from coauthor.sandbox import BubblewrapSandbox, Limits
from coauthor.schemas import StepSummary
from coauthor.schemas.figures import FigureIdea, FigureKind, FigureStatus, figure_name
from coauthor.store import Store
from coauthor.testing import lessons_reply, plan_reply, step_replies

CHART = """```python
import matplotlib.pyplot as plt
from solution import mean_uplift
uplifts = [mean_uplift([1.0, 2.0], [1.0 + d, 2.0 + d]) for d in range(5)]
plt.plot(range(5), uplifts, color="red")
plt.title("Uplift grows with the effect")
```"""
DOT = "Here it is:\n```dot\ndigraph { rankdir=LR; users -> split -> measure -> decide; }\n```"
IDEAS = [
    FigureIdea(name="uplift", kind="chart", caption="Uplift by effect", alt="A rising line"),
    FigureIdea(name="flow", kind="diagram", caption="The experiment", alt="Four boxes"),
]


@pytest.fixture
def drawer(bwrap_sandbox: BubblewrapSandbox) -> FigureDrawer:
    return FigureDrawer(make_sandbox=lambda: bwrap_sandbox, limits=Limits(cpu_seconds=20))


def replies(figure_replies: list[Reply]) -> list[Reply]:
    step = step_replies(1)
    draft = step[0].model_copy(update={"figures": IDEAS})  # type: ignore[union-attr]
    return [
        lessons_reply(),
        plan_reply(1),
        draft,
        *step[1:],
        *figure_replies,
        StepSummary(text="Steps 1-1: mean_uplift is built."),
    ]


def test_a_step_gets_its_chart_and_diagram(tmp_path: Path, drawer: FigureDrawer) -> None:
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    info = store.create_run(make_brief("A/B uplift", steps=1), model="scripted")
    model = ScriptedModel(replies([CHART, DOT]))
    outcome = Runner(store, model, master=default_master(), figures=drawer).execute(info.id)
    step = outcome.revision.task.steps[0]
    chart, diagram = step.figures
    assert (chart.kind, diagram.kind) == (FigureKind.chart, FigureKind.diagram)
    assert chart.status == diagram.status == FigureStatus.rendered
    assert chart.png and chart.svg and diagram.png and diagram.svg
    assert chart.alt == "A rising line" and "digraph" in diagram.source
    assert "![Uplift by effect](figure:uplift)" in step.theory
    assert "![The experiment](figure:flow)" in step.theory
    assert not step.flags
    assert [s.state for s in figure_states(step, drawer.style)] == ["rendered", "rendered"]
    asked = model.requests[-2][-1]["content"]  # the diagram's prompt
    assert "The experiment" in asked and "DOT" in asked


def test_failing_figure_code_is_retried_with_the_error_then_flagged(
    tmp_path: Path, drawer: FigureDrawer
) -> None:
    bad = "```python\nraise RuntimeError('no data for the chart')\n```"
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    info = store.create_run(make_brief("A/B uplift", steps=1), model="scripted")
    model = ScriptedModel(replies([bad, bad, bad, "```dot\ndigraph { a -> }\n```", DOT]))
    outcome = Runner(store, model, master=default_master(), figures=drawer).execute(info.id)
    step = outcome.revision.task.steps[0]
    chart, diagram = step.figures
    assert chart.status == FigureStatus.failed and "no data for the chart" in chart.error
    assert chart.source.startswith("raise RuntimeError")  # kept, never dropped
    assert diagram.status == FigureStatus.rendered  # the second attempt drew
    assert any(f.startswith("figure uplift:") and "3 attempts" in f for f in step.flags)
    fix_prompts = [
        m[-1]["content"] for m in model.requests if "Drawing it failed" in m[-1]["content"]
    ]
    assert len(fix_prompts) == 3 and "no data for the chart" in fix_prompts[0]
    assert "does not parse" in fix_prompts[2]
    assert [s.state for s in figure_states(step)] == ["failed", "rendered"]


def test_a_figure_is_regenerated_with_an_instruction(tmp_path: Path, drawer: FigureDrawer) -> None:
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    info = store.create_run(make_brief("A/B uplift", steps=1), model="scripted")
    model = ScriptedModel(replies([CHART, DOT]))
    step = Runner(store, model, master=default_master(), figures=drawer).execute(info.id)
    made = step.revision.task.steps[0]
    other = ScriptedModel(
        ["```python\nimport matplotlib.pyplot as plt\nplt.bar([1, 2], [3, 4])\n```"]
    )
    ctx = Context(other, default_master())
    changed = regenerate_figure(
        ctx, made, "uplift", drawer, number=1, title="T", instruction="make it a bar chart"
    )
    assert "plt.bar" in changed.figures[0].source and changed.figures[1] == made.figures[1]
    prompt = other.requests[0][-1]["content"]
    assert "make it a bar chart" in prompt and "mean_uplift" in prompt


def test_dot_is_found_in_the_reply() -> None:
    assert extract_dot(DOT) == "digraph { rankdir=LR; users -> split -> measure -> decide; }\n"
    assert extract_dot("digraph { a }") == "digraph { a }\n"


def test_proposed_names_become_valid_unique_figure_names() -> None:
    assert figure_name("Retention Curve (by cohort)!") == "retention-curve-by-cohort"
    assert figure_name("???") == "figure"
    assert figure_name("flow", {"flow", "flow-2"}) == "flow-3"
