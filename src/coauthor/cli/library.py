"""Commands that read the library: list, show, export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coauthor.cli.app import InputError, JsonFlag, app, emit, err, errors, settings
from coauthor.export import exporter
from coauthor.export.base import ExportOptions, Publisher, render
from coauthor.pipeline.claims import stalled
from coauthor.store import Store

STALLED = "its process stopped without finishing (killed or crashed)"


@app.command("list")
def list_tasks(as_json: JsonFlag = False) -> None:
    """Tasks in the library, and runs that did not finish."""
    with errors(), Store(settings().database_url) as store:
        tasks = store.list_tasks()
        runs = [run for run in store.list_runs() if run.status != "done"]
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
            err.print('no tasks yet; create one with: coauthor new "IDEA"')
        for t in tasks:
            typer.echo(
                f"{t.id:>4}  r{t.head_revision:<3} {t.difficulty:<7} {t.domain[:16]:<16} {t.title}"
            )
        for r in runs:
            typer.echo(
                f"run {r.id:>3}  {shown[r.id]:<9} {r.brief.idea[:60]}  (coauthor resume {r.id})"
            )


@app.command()
def show(
    task_id: Annotated[int, typer.Argument(help="Task id (see coauthor list).")],
    revision: Annotated[int | None, typer.Option(help="Revision number; default latest.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Print a task with all its steps."""
    with errors(), Store(settings().database_url) as store:
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
    with errors(), Store(settings().database_url) as store:
        options = ExportOptions(
            notion_parent=notion_parent,
            notion_url=notion_url,
            known_page=store.external_page,
            remember_page=store.remember_external_page,
        )
        target = exporter(fmt, options)
        if out is None and not isinstance(target, Publisher):
            raise InputError(f"the {fmt} format writes files: pass --out FOLDER")
        rev = store.revision(task_id, revision)
        if isinstance(target, Publisher):
            published = target.publish(rev.task, task_id=task_id, revision=rev.number)
            typer.echo(published.url or published.page_id)
        elif out is not None:
            typer.echo(str(target.export(rev.task, out, task_id=task_id, revision=rev.number)))
