"""Commands that write tasks: new and resume."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from coauthor.cli.app import (
    JsonFlag,
    ModelOption,
    app,
    emit,
    err,
    errors,
    open_store,
    settings,
)
from coauthor.cli.checks import verdict_fields, verdict_line
from coauthor.llm.base import Model
from coauthor.llm.registry import model_from_string
from coauthor.pipeline.brief import make_brief
from coauthor.pipeline.context import master_text
from coauthor.pipeline.events import Events, repair_words, tests_words
from coauthor.pipeline.parts import Part
from coauthor.pipeline.runner import Outcome, RunFailedError, Runner, start_run
from coauthor.pipeline.verify import Checker
from coauthor.prompts import master_document
from coauthor.schemas import Verdict
from coauthor.schemas.runs import RunOptions, expected_stages
from coauthor.settings import Settings
from coauthor.store import Store

VerifyFlag = Annotated[
    bool, typer.Option("--verify/--no-verify", help="Check every step in the sandbox.")
]


class ProgressEvents(Events):
    """Rich progress bars on stderr: one bar over all stages, named by stage and step."""

    def __init__(self, progress: Progress, *, stages: int) -> None:
        self.progress = progress
        self.stages = stages
        self.bar: TaskID | None = None

    def stage_started(self, stage: str, *, step: int | None = None, total: int = 0) -> None:
        if self.bar is None:
            self.bar = self.progress.add_task("starting", total=self.stages)
        where = f"step {step}/{total}: " if step else ""
        self.progress.update(self.bar, description=f"{where}{stage}")

    def repair_round(self, step: int, *, number: int, rounds: int, part: Part | None) -> None:
        if self.bar is not None:
            words = repair_words(number, rounds, part)
            self.progress.update(self.bar, description=f"step {step}: {words}")

    def tests_round(self, step: int, *, number: int, rounds: int) -> None:
        if self.bar is not None:
            words = tests_words(number, rounds)
            self.progress.update(self.bar, description=f"step {step}: {words}")

    def stage_finished(self, stage: str, *, step: int | None = None, total: int = 0) -> None:
        if self.bar is not None:
            self.progress.advance(self.bar)

    def note(self, message: str) -> None:
        self.progress.console.print(f"[yellow]note:[/] {message}", highlight=False)

    def verdict(self, step: int, verdict: Verdict) -> None:
        colour = "green" if verdict.verified else "red"
        line = verdict_line(step, verdict)
        self.progress.console.print(line, style=colour, highlight=False, markup=False)


def execute(
    store: Store, model: Model, run_id: int, *, config: Settings, verify: bool = True
) -> Outcome:
    master = master_text(store, config)
    checker = Checker.from_settings(config) if verify else None
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=False) as progress:
        run = store.run(run_id)
        events = ProgressEvents(progress, stages=expected_stages(run.brief, verify=verify))
        runner = Runner(
            store,
            model,
            master=master,
            events=events,
            checker=checker,
            repair_rounds=config.repair_rounds,
            exemplar_tokens=config.exemplar_tokens,
        )
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
                "steps": [verdict_fields(n, step) for n, step in enumerate(task.steps, 1)],
            }
        )
        return
    for number, step in enumerate(task.steps, 1):
        err.print(verdict_line(number, step.verdict), highlight=False, markup=False)
    err.print(
        f"[green]done:[/] task {outcome.revision.task_id} '{task.title}' "
        f"({len(task.steps)} steps, revision {outcome.revision.number}, run {outcome.run.id}). "
        f"See it with: coauthor show {outcome.revision.task_id}",
        highlight=False,
    )


def report_failure(exc: RunFailedError, *, task_id: int | None, as_json: bool) -> None:
    """With ``--json`` a failed run is still one object, so a script can resume it."""
    if as_json:
        emit(
            {
                "task_id": task_id,
                "run_id": exc.run_id,
                "status": "failed",
                "error": str(exc),
                "resume": f"coauthor resume {exc.run_id}",
            }
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
    like: Annotated[
        int | None, typer.Option("--like", help="Write like this task (its id): the exemplar.")
    ] = None,
    model: ModelOption = None,
    verify: VerifyFlag = True,
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
            exemplar_task=like,
        )
        master_document(config.master_document)  # an unreadable document stops us before a run
        spec = model or config.model
        llm = model_from_string(spec, config)
        with open_store(config.database_url) as store:
            if like is not None:
                store.task(like)  # a missing task stops us before a run
            run = start_run(store, brief, model=spec, options=RunOptions(verify=verify))
            err.print(f"run {run.id} started on {spec}", highlight=False)
            try:
                report(execute(store, llm, run.id, config=config, verify=verify), as_json=as_json)
            except RunFailedError as exc:
                report_failure(exc, task_id=run.task_id, as_json=as_json)
                raise
            finally:
                llm.close()


@app.command()
def resume(
    run_id: Annotated[int, typer.Argument(help="The run to continue.")],
    model: ModelOption = None,
    verify: Annotated[
        bool | None,
        typer.Option(
            "--verify/--no-verify", help="Check steps in the sandbox (default: as the run began)."
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Continue a failed or killed run from its last checkpoint, with the choices it began
    with unless told otherwise."""
    with errors():
        config = settings()
        with open_store(config.database_url) as store:
            run = store.run(run_id)
            verify = run.options.verify if verify is None else verify
            llm = model_from_string(model or run.model, config)
            try:
                report(execute(store, llm, run.id, config=config, verify=verify), as_json=as_json)
            except RunFailedError as exc:
                report_failure(exc, task_id=run.task_id, as_json=as_json)
                raise
            finally:
                llm.close()
