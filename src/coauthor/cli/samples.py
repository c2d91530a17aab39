"""``coauthor examples add``: the shipped example tasks into the library, verified."""

from __future__ import annotations

from typing import Annotated

import typer

from coauthor.cli.app import JsonFlag, app, emit, err, errors, open_store, settings
from coauthor.pipeline.samples import Added, add_examples
from coauthor.pipeline.verify import Checker

examples_app = typer.Typer(
    no_args_is_help=True,
    help="Verified example tasks to try editing, exporting, history and the copilot on.",
)
app.add_typer(examples_app, name="examples")


def _progress(title: str, number: int, steps: int) -> None:
    err.print(f"verifying '{title}': step {number} of {steps}", highlight=False, markup=False)


def _outcome(a: Added) -> str:
    if not a.new:
        return f"already in the library as task {a.task_id} '{a.title}'"
    added = f"added as task {a.task_id} '{a.title}'"
    if a.verified is None:
        return f"{added}, not verified (--no-verify)"
    if a.all_verified:
        return f"{added}, {a.steps} of {a.steps} steps verified"
    return f"{added}, only {a.verified} of {a.steps} steps verified ({'; '.join(a.problems)})"


@examples_app.command("add")
def add(
    verify: Annotated[
        bool,
        typer.Option(
            "--verify/--no-verify", help="Verify every step in the sandbox before adding it."
        ),
    ] = True,
    as_json: JsonFlag = False,
) -> None:
    """Add every shipped example task to the library (once), verified, and print what was
    added. A step that fails verification is added with its failing verdict and named."""
    with errors():
        config = settings()
        checker = Checker.from_settings(config) if verify else None
        with open_store(config.database_url) as store:
            added = add_examples(store, checker=checker, progress=_progress)
        problems = [a for a in added if a.new and a.verified is not None and not a.all_verified]
        if as_json:
            emit(
                {
                    "status": "problems" if problems else "ok",
                    "examples": [
                        {
                            "slug": a.slug,
                            "task_id": a.task_id,
                            "title": a.title,
                            "added": a.new,
                            "steps": a.steps,
                            "verified_steps": a.verified,
                            "problems": a.problems,
                        }
                        for a in added
                    ],
                }
            )
            return
        for a in added:
            typer.echo(f"{a.slug}: {_outcome(a)}")
        count = sum(a.new for a in added)
        if problems:
            err.print(
                f"[yellow]{count} example tasks added; {len(problems)} with steps that did "
                "not verify here (see above; `coauthor verify ID` shows the output)[/]",
                highlight=False,
            )
        else:
            err.print(f"{count} example tasks added; see them with: coauthor list", highlight=False)
