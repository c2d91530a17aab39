"""``coauthor figures render``: every figure drawn again in the house style in force, as a
new revision; a second run changes nothing and says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coauthor.cli import app
from coauthor.figures import default_style, save_style
from coauthor.pipeline.brief import make_brief
from coauthor.schemas import Step, Task
from coauthor.schemas.figures import Figure, FigureKind
from coauthor.store import Store
from coauthor.testing import SOLUTION, plan_reply

CHART = "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3], [3, 1, 2], color='red')\n"
DOT = "digraph { data -> model -> report; }"


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    url = f"sqlite:///{tmp_path / 'figures.db'}"
    monkeypatch.setenv("COAUTHOR_DATABASE_URL", url)
    return Store(url)


def task_with_figures() -> Task:
    step = Step(
        title="Step 1",
        story="s",
        theory="t",
        solution=SOLUTION,
        figures=[
            Figure(name="curve", kind=FigureKind.chart, source=CHART, caption="Curve"),
            Figure(name="flow", kind=FigureKind.diagram, source=DOT, caption="Flow"),
        ],
    )
    return Task(brief=make_brief("idea", steps=1), plan=plan_reply(1), steps=[step])


def test_render_draws_every_figure_then_says_nothing_changed(store: Store) -> None:
    info = store.create_task(task_with_figures())
    code, out, err = cli("figures", "render", str(info.id))
    assert code == 0, err
    assert "step 1: figure curve (chart): rendered" in out
    assert "step 1: figure flow (diagram): rendered" in out
    assert "saved as revision 2" in err
    head = store.revision(info.id)
    assert head.number == 2 and all(f.png and f.svg for f in head.task.steps[0].figures)
    code, out, err = cli("figures", "render", str(info.id))
    assert code == 0 and "nothing changed" in err
    assert store.revision(info.id).number == 2
    save_style(store, default_style().model_copy(update={"palette": ["#202020", "#3a6ea5"]}))
    code, out, err = cli("figures", "render", str(info.id), "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["revision"] == 3 and shown["status"] == "rendered"
    assert [f["state"] for f in shown["figures"]] == ["rendered", "rendered"]


def test_a_figure_that_fails_is_reported_and_the_exit_code_says_so(store: Store) -> None:
    task = task_with_figures()
    broken = task.steps[0].figures[0].model_copy(update={"source": "raise ValueError('nope')"})
    step = task.steps[0].model_copy(update={"figures": [broken]})
    info = store.create_task(task.model_copy(update={"steps": [step]}))
    code, out, _ = cli("figures", "render", str(info.id))
    assert code == 1
    assert "figure curve (chart): failed: ValueError: nope" in out


def test_verify_reports_each_figure_and_a_stale_one_after_the_solution_changed(
    store: Store,
) -> None:
    info = store.create_task(task_with_figures())
    assert cli("figures", "render", str(info.id))[0] == 0
    drawn = store.revision(info.id).task
    changed = drawn.steps[0].model_copy(update={"solution": SOLUTION + "\n# changed\n"})
    store.add_revision(info.id, drawn.model_copy(update={"steps": [changed]}), source="edit")
    _, out, err = cli("verify", str(info.id), "--no-mutation")
    assert "figure curve (chart): stale" in out, out + err
    assert "figure flow (diagram): rendered" in out
    _, out, err = cli("verify", str(info.id), "--no-mutation", "--json")
    [step] = json.loads(out)["steps"]
    assert {f["name"]: f["state"] for f in step["figures"]} == {
        "curve": "stale",
        "flow": "rendered",
    }
