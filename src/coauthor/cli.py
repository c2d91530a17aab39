"""The ``coauthor`` command: a thin shell over the core, like the studio.

Exit codes: 0 done, 1 a fault (model, store, disk), 2 bad input.
With ``--json`` a command prints one JSON object on stdout and nothing else;
progress and notes go to stderr.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from coauthor.export import ExportError, exporter, formats
from coauthor.export.base import render
from coauthor.llm.base import Model, ModelError
from coauthor.llm.registry import model_from_string
from coauthor.pipeline.brief import BriefError, make_brief
from coauthor.pipeline.events import Events
from coauthor.pipeline.runner import Outcome, RunFailedError, Runner
from coauthor.prompts import MasterDocumentError, master_document
from coauthor.settings import Settings
from coauthor.store import NotFoundError, Store

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Co-Author: turn a task idea into a verified multi-step programming task.",
)
err = Console(stderr=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
ModelOption = Annotated[
    str | None,
    typer.Option("--model", help="local, local:PATH.gguf, openai:NAME, openai:NAME@URL"),
]


class InputError(Exception):
    """Bad input from the user: exit code 2."""


def fail(message: str, code: int) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def errors() -> Iterator[None]:
    """Turn every expected failure into one line on stderr and an exit code."""
    try:
        yield
    except (InputError, BriefError, MasterDocumentError, ExportError, NotFoundError) as exc:
        fail(str(exc), 2)
    except ValueError as exc:  # a malformed model spec, an invalid setting
        fail(str(exc).splitlines()[0], 2)
    except RunFailedError as exc:
        fail(
            f"run {exc.run_id} failed at {exc}; fix the cause, then: coauthor resume {exc.run_id}",
            1,
        )
    except ModelError as exc:
        fail(str(exc), 1)
    except OSError as exc:
        fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), 1)


def settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = f"COAUTHOR_{first['loc'][0]!s}".upper()
        raise InputError(f"invalid {name}: {first['msg']}") from None


def emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, default=str) + "\n")


class ProgressEvents(Events):
    """Rich progress bars on stderr: one bar over all stages, named by stage and step."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.bar: TaskID | None = None

    def stage_started(self, stage: str, *, step: int | None = None, total: int = 0) -> None:
        if self.bar is None:
            self.bar = self.progress.add_task("starting", total=2 + 2 * total)
        where = f"step {step}/{total}: " if step else ""
        self.progress.update(self.bar, description=f"{where}{stage}")

    def stage_finished(self, stage: str, *, step: int | None = None, total: int = 0) -> None:
        if self.bar is not None:
            self.progress.advance(self.bar)

    def note(self, message: str) -> None:
        self.progress.console.print(f"[yellow]note:[/] {message}", highlight=False)


def execute(store: Store, model: Model, run_id: int, *, config: Settings) -> Outcome:
    master = master_document(config.master_document)
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=False) as progress:
        runner = Runner(store, model, master=master, events=ProgressEvents(progress))
        return runner.execute(run_id)


def report(outcome: Outcome, *, as_json: bool) -> None:
    task = outcome.revision.task
    if as_json:
        emit(
            {
                "task_id": outcome.revision.task_id,
                "run_id": outcome.run.id,
                "status": outcome.run.status,
                "revision": outcome.revision.number,
                "title": task.title,
                "flags": [flag for step in task.steps for flag in step.flags],
            }
        )
        return
    err.print(
        f"[green]done:[/] task {outcome.revision.task_id} '{task.title}' "
        f"({len(task.steps)} steps, revision {outcome.revision.number}, run {outcome.run.id}). "
        f"See it with: coauthor show {outcome.revision.task_id}",
        highlight=False,
    )


@app.command()
def new(
    idea: Annotated[str, typer.Argument(help="The task idea; a raw student request is fine.")],
    domain: Annotated[
        str, typer.Option(help="e-commerce, fintech, ... (free text)")
    ] = "e-commerce",
    difficulty: Annotated[str, typer.Option(help="intern, junior, middle, senior")] = "junior",
    task_type: Annotated[str, typer.Option("--type", help="one-shot, challenge, quest")] = "quest",
    steps: Annotated[int, typer.Option(help="Number of steps (1-12)")] = 3,
    lang: Annotated[str, typer.Option(help="Language of the task: en, ru")] = "en",
    model: ModelOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Generate a new task from an idea."""
    with errors():
        config = settings()
        brief = make_brief(
            idea,
            domain=domain,
            difficulty=difficulty,
            task_type=task_type,
            language=lang,
            steps=steps,
        )
        master_document(config.master_document)  # an unreadable document stops us before a run
        spec = model or config.model
        llm = model_from_string(spec, config)
        with Store(config.database_url) as store:
            run = store.create_run(brief, model=spec)
            err.print(f"run {run.id} started on {spec}", highlight=False)
            try:
                report(execute(store, llm, run.id, config=config), as_json=as_json)
            finally:
                llm.close()


@app.command()
def resume(
    run_id: Annotated[int, typer.Argument(help="The run to continue.")],
    model: ModelOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Continue a failed or killed run from its last checkpoint."""
    with errors():
        config = settings()
        with Store(config.database_url) as store:
            run = store.run(run_id)
            llm = model_from_string(model or run.model, config)
            try:
                report(execute(store, llm, run.id, config=config), as_json=as_json)
            finally:
                llm.close()


@app.command("list")
def list_tasks(as_json: JsonFlag = False) -> None:
    """Tasks in the library, and runs that did not finish."""
    with errors(), Store(settings().database_url) as store:
        tasks = store.list_tasks()
        runs = [run for run in store.list_runs() if run.status != "done"]
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
                            "status": r.status,
                            "task_id": r.task_id,
                            "idea": r.brief.idea[:100],
                            "error": r.error,
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
                f"run {r.id:>3}  {r.status:<9} {r.brief.idea[:60]}  (coauthor resume {r.id})"
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
    out: Annotated[Path, typer.Option(help="Destination folder.")],
    fmt: Annotated[str, typer.Option("--format", help="Export format.")] = "markdown",
    revision: Annotated[int | None, typer.Option(help="Revision; default latest.")] = None,
) -> None:
    """Export a task (formats: see --format)."""
    with errors(), Store(settings().database_url) as store:
        target = exporter(fmt)
        rev = store.revision(task_id, revision)
        path = target.export(rev.task, out, task_id=task_id, revision=rev.number)
        typer.echo(str(path))


def main() -> None:
    app()


__all__ = ["app", "formats", "main"]
