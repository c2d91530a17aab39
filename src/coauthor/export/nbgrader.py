"""nbgrader: a source notebook for ``nbgrader generate_assignment`` (cell metadata schema 3).

Statements are read-only cells; per step a solution cell holds the starter, then the
reference solution between ``### BEGIN SOLUTION`` and ``### END SOLUTION``, which nbgrader
replaces with its ``raise NotImplementedError()`` stub; then one read-only grade cell per
test (one point each), the cells of :mod:`coauthor.export.notebook`. Hidden tests sit
between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``: nbgrader removes them
from the student version and puts them back when it autogrades. A step's figures are
attachments of its statement cell (see :func:`coauthor.export.notebook.statement`), which
``generate_assignment`` keeps.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from nbformat import NotebookNode

from coauthor.export import notebook
from coauthor.export.base import Exporter, ExportFormat, ExportOptions, prepare
from coauthor.export.notebook import cell
from coauthor.export.pytest_cells import graded_tests
from coauthor.schemas import Step, Task

SCHEMA_VERSION = 3


class NbgraderExporter(Exporter):
    format = ExportFormat.nbgrader

    def export(self, task: Task, out: Path, *, task_id: int, revision: int) -> Path:
        path = prepare(out) / f"task-{task_id}.ipynb"
        return notebook.save(source_cells(task, task_id=task_id, revision=revision), path)


def source_cells(task: Task, *, task_id: int, revision: int) -> list[NotebookNode]:
    intro = notebook.introduction(task, task_id=task_id, revision=revision)
    cells = [_locked(cell("markdown", intro), "introduction")]
    for number, step in enumerate(task.steps, 1):
        cells += step_cells(step, number)
    return cells


def step_cells(step: Step, number: int) -> list[NotebookNode]:
    prefix = f"step_{number}"
    cells = [
        _locked(notebook.statement(step, number), f"{prefix}_statement"),
        _cell(cell("code", solution_source(step)), grade_id=f"{prefix}_solution", solution=True),
    ]
    for index, test in enumerate(graded_tests(step.tests), 1):
        source = test.source.rstrip()
        if test.hidden:
            source = f"### BEGIN HIDDEN TESTS\n{source}\n### END HIDDEN TESTS"
        grade_id = f"{prefix}_{_grade_name(test.name, index)}"
        cells.append(_cell(cell("code", source), grade_id=grade_id, grade=True, points=1))
    cells.append(_locked(cell("markdown", notebook.verdict(step)), f"{prefix}_verdict"))
    return cells


def solution_source(step: Step) -> str:
    starter = step.starter.rstrip()
    parts = [starter, ""] if starter else []
    parts += ["### BEGIN SOLUTION", step.solution.rstrip(), "### END SOLUTION"]
    return "\n".join(parts)


def _grade_name(name: str, index: int) -> str:
    """nbgrader ids are ASCII; a test named in another script keeps its place to stay unique."""
    ascii_name = re.sub(r"[^A-Za-z0-9_-]", "_", name)
    return ascii_name if ascii_name == name else f"{ascii_name}_{index}"


def _locked(node: NotebookNode, grade_id: str) -> NotebookNode:
    return _cell(node, grade_id=grade_id, locked=True)


def _cell(
    node: NotebookNode,
    *,
    grade_id: str,
    grade: bool = False,
    solution: bool = False,
    locked: bool = False,
    points: int | None = None,
) -> NotebookNode:
    meta: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "grade": grade,
        "solution": solution,
        "locked": locked or grade,
        "grade_id": grade_id,
    }
    if points is not None:
        meta["points"] = points
    node.metadata["nbgrader"] = meta
    return node


def factory(options: ExportOptions) -> Exporter:
    return NbgraderExporter()
