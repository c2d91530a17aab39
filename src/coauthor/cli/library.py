"""Commands that read the library: list, show, export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coauthor.cli.app import InputError, JsonFlag, app, emit, err, errors, open_store, settings
from coauthor.export import exporter
from coauthor.export.base import PUBLISHED, ExportOptions, Publisher, formats, render
from coauthor.pipeline.claims import stalled
from coauthor.schemas.team import ReviewStatus
from coauthor.store import RunInfo, Store, TaskInfo

STALLED = "its process stopped without finishing (killed or crashed)"


@app.command("list")
def list_tasks(
    mine: Annotated[
        bool, typer.Option("--mine", help="Only tasks with a part assigned to me.")
    ] = False,
    status: Annotated[
        str | None,
        typer.Option(
            help="Only tasks in review status: draft, in-review, changes-requested, approved"
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Tasks in the library, and runs that did not finish."""
    with errors():
        wanted = None if status is None else review_status(status)
        filtered = mine or wanted is not None
        with open_store(settings().database_url) as store:
            tasks = store.find_tasks(assigned_to=store.user if mine else None, status=wanted)
            runs = [] if filtered else [r for r in store.list_runs() if r.status != "done"]
            states = store.review_states(t.id for t in tasks)
            statuses = {t.id: states[t.id].status.value for t in tasks}
            _show_list(tasks, runs, statuses, as_json=as_json, filtered=filtered)


def review_status(value: str) -> ReviewStatus:
    """``in-review`` or ``in review``: a review status."""
    try:
        return ReviewStatus(value.replace("-", " "))
    except ValueError:
        names = ", ".join(s.value.replace(" ", "-") for s in ReviewStatus)
        raise InputError(f"unknown status {value!r}: one of {names}") from None


def _show_list(
    tasks: list[TaskInfo],
    runs: list[RunInfo],
    statuses: dict[int, str],
    *,
    as_json: bool,
    filtered: bool,
) -> None:
    shown = {run.id: "failed" if stalled(run) else run.status for run in runs}
    if as_json:
        emit(
            {
                "status": "ok",
                "tasks": [
                    {
                        "task_id": t.id,
                        "title": t.title,
                        "revision": t.head_revision,
                        "domain": t.domain,
                        "difficulty": t.difficulty,
                        "type": t.task_type,
                        "language": t.language,
                        "updated_at": t.updated_at,
                        "review": statuses[t.id],
                    }
                    for t in tasks
                ],
                "runs": [
                    {
                        "run_id": r.id,
                        "status": shown[r.id],
                        "task_id": r.task_id,
                        "idea": r.brief.idea[:100],
                        "error": r.error or (STALLED if stalled(r) else None),
                    }
                    for r in runs
                ],
            }
        )
        return
    if not tasks and not runs:
        if filtered:
            err.print("no tasks match")
        else:
            err.print('no tasks yet; create one with: coauthor new "IDEA"')
    for t in tasks:
        shown_status = "" if statuses[t.id] == "draft" else f"  [{statuses[t.id]}]"
        typer.echo(
            f"{t.id:>4}  r{t.head_revision:<3} {t.difficulty:<7} {t.domain[:16]:<16} "
            f"{t.title}{shown_status}"
        )
    for r in runs:
        typer.echo(f"run {r.id:>3}  {shown[r.id]:<9} {r.brief.idea[:60]}  (coauthor resume {r.id})")


@app.command()
def show(
    task_id: Annotated[int, typer.Argument(help="Task id (see coauthor list).")],
    revision: Annotated[int | None, typer.Option(help="Revision number; default latest.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Print a task with all its steps."""
    with errors(), open_store(settings().database_url) as store:
        rev = store.revision(task_id, revision)
        if as_json:
            emit(
                {
                    "task_id": task_id,
                    "run_id": None,
                    "status": "ok",
                    "revision": rev.number,
                    "source": rev.source,
                    "created_at": rev.created_at,
                    "task": rev.task.model_dump(mode="json"),
                }
            )
            return
        typer.echo(f"# {rev.task.title}  (task {task_id}, revision {rev.number})\n")
        for number, step in enumerate(rev.task.steps, 1):
            typer.echo(render("statement.md.j2", step=step, number=number))
            for name, code in (
                ("starter.py", step.starter),
                ("solution.py", step.solution),
                ("test_step.py", step.tests),
            ):
                typer.echo(f"### {name}\n```python\n{code}```\n")


@app.command()
def export(
    task_id: Annotated[int, typer.Argument(help="Task id.")],
    out: Annotated[
        Path | None, typer.Option(help="Destination folder (not needed for notion).")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="markdown, otter, nbgrader, json or notion.")
    ] = "markdown",
    revision: Annotated[int | None, typer.Option(help="Revision; default latest.")] = None,
    notion_parent: Annotated[
        str | None,
        typer.Option(envvar="COAUTHOR_NOTION_PARENT", help="Notion page to put task pages under."),
    ] = None,
    notion_url: Annotated[
        str | None, typer.Option(envvar="COAUTHOR_NOTION_URL", hidden=True)
    ] = None,
) -> None:
    """Export a task; notion publishes a page (token from NOTION_TOKEN) and prints its URL."""
    with errors():
        # an unknown format or a missing --out is refused before the database is touched
        if fmt not in formats():
            exporter(fmt)  # the error that lists the formats
        if out is None and fmt not in PUBLISHED:
            raise InputError(f"the {fmt} format writes files: pass --out FOLDER")
        with open_store(settings().database_url) as store:
            _export(store, task_id, out, fmt, revision, notion_parent, notion_url)


def _export(
    store: Store,
    task_id: int,
    out: Path | None,
    fmt: str,
    revision: int | None,
    notion_parent: str | None,
    notion_url: str | None,
) -> None:
    options = ExportOptions(
        notion_parent=notion_parent,
        notion_url=notion_url,
        known_page=store.external_page,
        remember_page=store.remember_external_page,
    )
    target = exporter(fmt, options)
    rev = store.revision(task_id, revision)
    if isinstance(target, Publisher):
        published = target.publish(rev.task, task_id=task_id, revision=rev.number)
        typer.echo(published.url or published.page_id)
    elif out is not None:
        typer.echo(str(target.export(rev.task, out, task_id=task_id, revision=rev.number)))
    store.record_export(task_id, rev.number, fmt)
