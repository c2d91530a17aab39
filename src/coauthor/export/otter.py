"""otter-grader: one master notebook per task in otter's assign format, for ``otter assign``.

Per step a question (``# BEGIN QUESTION``, name ``step_N``, one point per test). Its
solution cell holds the starter, which students keep, then the reference solution between
``# BEGIN SOLUTION NO PROMPT`` and ``# END SOLUTION``, which otter strips from the student
notebook; in the master both run and the solution, coming last, wins. The tests are the
cells :mod:`coauthor.export.pytest_cells` makes, one ``# BEGIN TESTS`` cell per test in otter's
default (OK, doctest-like) format, hidden per the rule described there. A step whose tests
do not parse has no question: students get its statement and starter only. A step's
figures are attachments of its statement cell (see :func:`coauthor.export.notebook.statement`);
``otter assign`` keeps them in the student notebook.
"""

from __future__ import annotations

import json
from pathlib import Path

from nbformat import NotebookNode

from coauthor.export import notebook
from coauthor.export.base import Exporter, ExportFormat, ExportOptions, prepare
from coauthor.export.notebook import cell
from coauthor.export.pytest_cells import GradedTest, graded_tests
from coauthor.schemas import Step, Task


class OtterExporter(Exporter):
    format = ExportFormat.otter

    def export(self, task: Task, out: Path, *, task_id: int, revision: int) -> Path:
        path = prepare(out) / f"task-{task_id}.ipynb"
        return notebook.save(master_cells(task, task_id=task_id, revision=revision), path)


def master_cells(task: Task, *, task_id: int, revision: int) -> list[NotebookNode]:
    cells = [
        cell("raw", assignment_config(task, task_id=task_id)),
        cell("markdown", notebook.introduction(task, task_id=task_id, revision=revision)),
    ]
    for number, step in enumerate(task.steps, 1):
        cells += question(step, number)
    return cells


def assignment_config(task: Task, *, task_id: int) -> str:
    """Otter's YAML; values are written as JSON, which YAML reads the same."""
    lines = [
        "# ASSIGNMENT CONFIG",
        f"name: {json.dumps(f'coauthor-task-{task_id}')}",
        f"requirements: {json.dumps(notebook.requirements(task))}",
        "init_cell: true",
        "check_all_cell: false",
        "export_cell: false",
        "tests:",
        "  ok_format: true",
    ]
    return "\n".join(lines)


def question(step: Step, number: int) -> list[NotebookNode]:
    tests = graded_tests(step.tests)
    statement = notebook.statement(step, number)
    verdict = cell("markdown", notebook.verdict(step))
    if not tests:
        return [statement, cell("code", step.starter), verdict]
    header = f"# BEGIN QUESTION\nname: step_{number}\npoints: {len(tests)}"
    return [
        cell("raw", header),
        statement,
        cell("raw", "# BEGIN SOLUTION"),
        cell("code", solution_source(step)),
        cell("raw", "# END SOLUTION"),
        cell("raw", "# BEGIN TESTS"),
        *(cell("code", test_source(test)) for test in tests),
        cell("raw", "# END TESTS"),
        cell("raw", "# END QUESTION"),
        verdict,
    ]


def solution_source(step: Step) -> str:
    starter = step.starter.rstrip()
    parts = [starter, ""] if starter else []
    parts += ["# BEGIN SOLUTION NO PROMPT", step.solution.rstrip(), "# END SOLUTION"]
    return "\n".join(parts)


def test_source(test: GradedTest) -> str:
    config = f'""" # BEGIN TEST CONFIG\nhidden: {str(test.hidden).lower()}\n""" # END TEST CONFIG'
    return f"{config}\n{test.source}"


def factory(options: ExportOptions) -> Exporter:
    return OtterExporter()
