"""The shipped example tasks carry figures drawn in the default house style."""

from __future__ import annotations

import base64
import json
from importlib import resources

from coauthor.figures import default_style, figure_states
from coauthor.figures.upload import PNG_MAGIC
from coauthor.schemas import Task


def example_tasks() -> list[Task]:
    folder = resources.files("coauthor.examples")
    return [
        Task.model_validate(json.loads(entry.read_text("utf-8"))["task"])
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    ]


def test_the_examples_carry_a_chart_and_a_diagram_in_the_default_style() -> None:
    style = default_style()
    kinds: set[str] = set()
    for task in example_tasks():
        for step in task.steps:
            for state in figure_states(step, style):
                assert state.state == "rendered", (task.title, state.line())
                kinds.add(state.kind)
            for figure in step.figures:
                assert figure.alt and figure.caption
                assert base64.b64decode(figure.png).startswith(PNG_MAGIC)
                assert figure.svg.startswith("<svg")
    assert {"chart", "diagram"} <= kinds
