"""What the notebook formats (otter-grader, nbgrader) share: cells, statements, packages.

How tests become cells is in :mod:`coauthor.export.pytest_cells`.
"""

from __future__ import annotations

import ast
import base64
import sys
from pathlib import Path
from typing import Literal

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell

from coauthor.export import figures
from coauthor.export.base import render
from coauthor.schemas import Step, Task

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
_PIP_NAMES = {"sklearn": "scikit-learn", "PIL": "pillow", "yaml": "pyyaml", "cv2": "opencv-python"}


def cell(kind: Literal["markdown", "code", "raw"], source: str) -> NotebookNode:
    factory = {"markdown": new_markdown_cell, "code": new_code_cell, "raw": new_raw_cell}[kind]
    node: NotebookNode = factory(source)  # type: ignore[no-untyped-call]
    return node


def save(cells: list[NotebookNode], path: Path) -> Path:
    """A validated nbformat 4 notebook; cell ids are numbered so exports diff cleanly."""
    for number, node in enumerate(cells, 1):
        node["id"] = f"cell-{number}"
    metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    document = new_notebook(cells=cells, metadata=metadata)  # type: ignore[no-untyped-call]
    nbformat.validate(document)
    path.write_text(nbformat.writes(document), encoding="utf-8")  # type: ignore[no-untyped-call]
    return path


def statement(step: Step, number: int) -> NotebookNode:
    """The markdown cell a student reads for a step (the verdict is a cell of its own).

    Its figures are the cell's attachments (``attachment:step-01-NAME.png``), so the
    notebook carries its images with it; a figure with no image is a note in the text.
    """
    attachments: dict[str, dict[str, str]] = {}

    def source(item: figures.Picture) -> str | None:
        if item.main is None:
            return None
        name = figures.file_name(number, item.figure.name, item.main)
        attachments[name] = {item.main.media_type: base64.b64encode(item.main.data).decode()}
        return f"attachment:{name}"

    shown = figures.placed_step(step, source)
    node = cell("markdown", render("notebook_step.md.j2", step=shown, number=number).strip())
    if attachments:
        node["attachments"] = attachments
    return node


def verdict(step: Step) -> str:
    return render("notebook_verdict.md.j2", step=step).strip()


def introduction(task: Task, *, task_id: int, revision: int) -> str:
    return render("notebook_intro.md.j2", task=task, task_id=task_id, revision=revision).strip()


def requirements(task: Task) -> list[str]:
    """Packages the steps import beyond the standard library, with pytest for the tests."""
    found = {"pytest"}
    for step in task.steps:
        for code in (step.solution, step.tests):
            try:
                tree = ast.parse(code)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    found.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.add(node.module.split(".")[0])
    found -= {*sys.stdlib_module_names, "solution", "__future__"}
    return sorted(_PIP_NAMES.get(name, name) for name in found)
