"""Moving tasks between libraries: ``coauthor import`` reads a JSON export into a new task."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coauthor.cli.app import JsonFlag, app, emit, err, errors, open_store, settings
from coauthor.export.json_format import load


@app.command("import")
def import_task(
    file: Annotated[Path, typer.Argument(help="A task-<id>.json written by export --format json.")],
    as_json: JsonFlag = False,
) -> None:
    """Import a task from a JSON export as a new task, and print its id."""
    with errors():
        task = load(file)
        with open_store(settings().database_url) as store:
            info = store.create_task(task, source="import", note=f"imported from {file.name}")
        if as_json:
            emit(
                {
                    "task_id": info.id,
                    "status": "ok",
                    "revision": info.head_revision,
                    "title": task.title,
                }
            )
            return
        typer.echo(str(info.id))
        err.print(f"imported '{task.title}' as task {info.id}", highlight=False)
