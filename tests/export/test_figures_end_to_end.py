"""A run whose step proposes a chart and a diagram, drawn in the sandbox, exported to every
format, and re-imported from JSON identically (images byte for byte)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from notion_server import NotionServer

from coauthor.export import exporter, json_format
from coauthor.export.base import ExportOptions
from coauthor.export.notion import NotionExporter
from coauthor.llm.testing import ScriptedModel
from coauthor.pipeline.brief import make_brief
from coauthor.pipeline.figures import FigureDrawer
from coauthor.pipeline.runner import Runner
from coauthor.prompts import default_master
from coauthor.sandbox import BubblewrapSandbox, Limits, SandboxUnavailableError
from coauthor.schemas import StepSummary, Task
from coauthor.schemas.figures import FigureIdea, FigureStatus
from coauthor.store import Store
from coauthor.testing import lessons_reply, plan_reply, step_replies

TOKEN = "secret_end_to_end"
CHART = """```python
import matplotlib.pyplot as plt
from solution import mean_uplift
plt.plot(range(4), [mean_uplift([1.0], [1.0 + d]) for d in range(4)], color="red")
plt.title("Uplift grows with the effect")
```"""
DOT = "```dot\ndigraph { users -> split -> measure -> decide; }\n```"
IDEAS = [
    FigureIdea(name="uplift", kind="chart", caption="Uplift by effect", alt="A rising line"),
    FigureIdea(name="flow", kind="diagram", caption="The experiment", alt="Four boxes"),
]


@pytest.fixture(scope="module")
def task(tmp_path_factory: pytest.TempPathFactory) -> Task:
    try:
        sandbox = BubblewrapSandbox()
    except SandboxUnavailableError as exc:
        pytest.skip(f"bubblewrap unavailable here: {exc}")
    drawer = FigureDrawer(make_sandbox=lambda: sandbox, limits=Limits(cpu_seconds=20))
    step = step_replies(1)
    draft = step[0].model_copy(update={"figures": IDEAS})  # type: ignore[union-attr]
    model = ScriptedModel(
        [
            lessons_reply(),
            plan_reply(1),
            draft,
            *step[1:],
            CHART,
            DOT,
            StepSummary(text="Step 1: mean_uplift is built."),
        ]
    )
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('run') / 'db.sqlite'}")
    info = store.create_run(make_brief("A/B uplift", steps=1), model="scripted")
    made = Runner(store, model, master=default_master(), figures=drawer).execute(info.id)
    model.assert_done()
    return made.revision.task


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[NotionServer]:
    monkeypatch.setenv("NOTION_TOKEN", TOKEN)
    with NotionServer(TOKEN) as running:
        yield running


def test_the_run_draws_both_figures(task: Task) -> None:
    chart, diagram = task.steps[0].figures
    assert chart.status is diagram.status is FigureStatus.rendered
    assert base64.b64decode(chart.png).startswith(b"\x89PNG")
    assert "<svg" in diagram.svg


def test_markdown_and_notebooks_carry_both_images(task: Task, tmp_path: Path) -> None:
    folder = exporter("markdown").export(task, tmp_path / "md", task_id=1, revision=1)
    images = sorted(p.name for p in folder.rglob("images/*"))
    assert images == [
        "step-01-flow.png",
        "step-01-flow.svg",
        "step-01-uplift.png",
        "step-01-uplift.svg",
    ]
    statement = "\n".join(p.read_text() for p in folder.rglob("*.md"))
    assert "images/step-01-uplift.png" in statement and "images/step-01-flow.png" in statement
    for name in ("otter", "nbgrader"):
        path = exporter(name).export(task, tmp_path / name, task_id=1, revision=1)
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        attached = {key for c in notebook.cells for key in c.get("attachments", {})}
        assert {"step-01-uplift.png", "step-01-flow.png"} <= attached, name


def test_notion_uploads_both_images(task: Task, server: NotionServer) -> None:
    pages: dict[tuple[int, str], str] = {}
    options = ExportOptions(
        notion_parent=server.state.parent_id,
        notion_url=server.url,
        known_page=lambda task_id, target: pages.get((task_id, target)),
        remember_page=lambda task_id, target, page: pages.__setitem__((task_id, target), page),
    )
    made = exporter("notion", options)
    assert isinstance(made, NotionExporter)
    made.publish(task, task_id=1, revision=1)
    assert server.state.refusals == []
    names = sorted(u["filename"] for u in server.state.uploads.values())
    assert names == ["step-01-flow.png", "step-01-uplift.png"]


def test_json_round_trips_the_task_and_its_images_byte_for_byte(task: Task, tmp_path: Path) -> None:
    path = exporter("json").export(task, tmp_path / "json", task_id=1, revision=1)
    back = json_format.load(path)
    assert back == task
    for before, after in zip(task.steps[0].figures, back.steps[0].figures, strict=True):
        assert base64.b64decode(after.png) == base64.b64decode(before.png)
        assert after.svg == before.svg
    assert json.loads(path.read_text())["task"]["steps"][0]["figures"][0]["name"] == "uplift"
