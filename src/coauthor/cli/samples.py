"""``coauthor examples add``: the shipped example tasks into the library."""

from __future__ import annotations

import typer

from coauthor.cli.app import JsonFlag, app, emit, err, errors, open_store, settings
from coauthor.pipeline.samples import add_examples

examples_app = typer.Typer(
    no_args_is_help=True,
    help="Verified example tasks to try editing, exporting, history and the copilot on.",
)
app.add_typer(examples_app, name="examples")


@examples_app.command("add")
def add(as_json: JsonFlag = False) -> None:
    """Add every shipped example task to the library (once), and print what was added."""
    with errors(), open_store(settings().database_url) as store:
        added = add_examples(store)
        if as_json:
            emit(
                {
                    "status": "ok",
                    "examples": [
                        {
                            "slug": a.slug,
                            "task_id": a.task_id,
                            "title": a.title,
                            "added": a.new,
                        }
                        for a in added
                    ],
                }
            )
            return
        for a in added:
            state = "added as" if a.new else "already in the library as"
            typer.echo(f"{a.slug}: {state} task {a.task_id} '{a.title}'")
        count = sum(a.new for a in added)
        err.print(f"{count} example tasks added; see them with: coauthor list", highlight=False)
