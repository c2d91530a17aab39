"""Students' results from the graders: ``results import`` and ``results show``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from coauthor.cli.app import JsonFlag, app, emit, errors, open_store, settings
from coauthor.pipeline.results import import_results
from coauthor.schemas.results import TaskPassThrough

results_app = typer.Typer(
    no_args_is_help=True,
    help="Students' results read back from otter-grader and nbgrader: pass-through per step.",
)
app.add_typer(results_app, name="results")
out = Console()


def share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def pass_through_table(figures: TaskPassThrough) -> Table:
    table = Table(
        title=f"Task {figures.task_id}: {figures.title} — {figures.students} students, "
        f"{figures.passed_all} passed every step ({share(figures.pass_through)})",
        title_justify="left",
    )
    for name in ("step", "title", "attempted", "passed", "pass-through", "mean score", "drop-out"):
        table.add_column(name, justify="left" if name == "title" else "right")
    for step in figures.steps:
        if not step.graded:
            table.add_row(str(step.step), step.title, "-", "-", "not graded", "-", "-")
            continue
        drop = "-" if step.dropped is None else f"{step.dropped} ({share(step.drop_out)})"
        table.add_row(
            str(step.step),
            step.title,
            f"{step.attempted}/{step.students}",
            f"{step.passed}/{step.students}",
            share(step.pass_through),
            share(step.mean_score),
            drop,
        )
    return table


@results_app.command("import")
def import_command(
    task_id: Annotated[int, typer.Argument(help="The task the file grades.")],
    file: Annotated[
        Path, typer.Argument(help="otter's final_grades.csv or nbgrader's gradebook.db")
    ],
    as_json: JsonFlag = False,
) -> None:
    """Import graded results; they replace the task's earlier results from the same grader.
    A file that does not map to the task's steps is refused (exit 2) and nothing is written."""
    with errors():
        with open_store(settings().database_url) as store:
            done = import_results(store, task_id, file)
        if as_json:
            emit({"status": "ok", **done.model_dump(mode="json")})
            return
        replaced = (
            f"; replaced {done.replaced} scores of the earlier {done.source} file"
            if done.replaced
            else ""
        )
        out.print(
            f"Imported {done.students} students' {done.source} results for task {task_id} "
            f"({done.scores} step scores){replaced}.",
            highlight=False,
            soft_wrap=True,
        )
        out.print(pass_through_table(done.pass_through))


@results_app.command("show")
def show_command(
    task_id: Annotated[int, typer.Argument(help="The task.")], as_json: JsonFlag = False
) -> None:
    """Pass-through per step of the task's imported results, and where students drop out."""
    with errors():
        with open_store(settings().database_url) as store:
            figures = store.pass_through(task_id)
        if as_json:
            emit({"status": "ok", **figures.model_dump(mode="json")})
            return
        if not figures.students:
            out.print(f"No results imported for task {task_id}: coauthor results import.")
            return
        out.print(pass_through_table(figures))
