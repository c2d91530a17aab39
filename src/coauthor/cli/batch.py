"""``coauthor batch``: a whole backlog drafted on the job queue, followed on the terminal."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path
from typing import Annotated

import procrastinate
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from coauthor.cli.app import InputError, JsonFlag, ModelOption, app, emit, err, errors, settings
from coauthor.pipeline.batch import BacklogError, read_backlog
from coauthor.queue.app import data_folder
from coauthor.queue.batch import BatchState, batch_state, resume_batch, start_batch
from coauthor.queue.local import QueueServerError
from coauthor.queue.worker import prepare, start_local_worker
from coauthor.settings import Settings
from coauthor.store import Store

POLL_S = 1.0


@app.command()
def batch(
    backlog: Annotated[
        Path | None, typer.Argument(help="BACKLOG.csv or BACKLOG.jsonl: one idea per row.")
    ] = None,
    concurrency: Annotated[
        int,
        typer.Option(
            min=0,
            max=64,
            help="Runs this command's own worker executes at once; 0: none "
            "(workers elsewhere share the queue).",
        ),
    ] = 4,
    verify: Annotated[bool, typer.Option("--verify/--no-verify", help="Check every step.")] = True,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Queue the valid rows, report the others.")
    ] = False,
    status: Annotated[str | None, typer.Option("--status", help="Where batch ID stands.")] = None,
    resume: Annotated[
        str | None, typer.Option("--resume", help="Queue again the failed items of batch ID.")
    ] = None,
    model: ModelOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Draft every idea of a backlog; a failed item never stops the others."""
    with errors():
        if sum(x is not None for x in (backlog, status, resume)) != 1:
            raise InputError("give one of: BACKLOG file, --status BATCH_ID, --resume BATCH_ID")
        config = settings()
        if model is not None:
            config = config.model_copy(update={"model": model})
        if backlog is not None:
            try:
                items = read_backlog(backlog, skip_invalid=skip_invalid)
            except BacklogError as exc:
                raise InputError(str(exc)) from None
            for problem in items.problems:
                err.print(f"skipped {problem}", highlight=False)
        with Store(config.database_url) as store:
            queue = _queue(config)
            with queue.open():
                if status is not None:
                    _report(batch_state(queue, store, status), as_json=as_json)
                    return
                if resume is not None:
                    again = resume_batch(queue, store, resume)
                    err.print(f"batch {resume}: {len(again)} items queued again")
                    batch_id = resume
                else:
                    started = start_batch(queue, store, items, model=config.model, verify=verify)
                    batch_id = started.id
                    err.print(
                        f"batch {batch_id}: {len(started.runs)} ideas queued "
                        f"(coauthor batch --status {batch_id})"
                    )
                final = _follow(queue, store, config, batch_id, concurrency)
                _report(final, as_json=as_json)
                if final.count("failed"):
                    raise typer.Exit(1)


def _queue(config: Settings) -> procrastinate.App:
    try:
        app = prepare(config)
    except QueueServerError as exc:
        raise InputError(str(exc)) from None
    app.close()
    return app


def _follow(
    queue: procrastinate.App, store: Store, config: Settings, batch_id: str, concurrency: int
) -> BatchState:
    worker = None
    if concurrency > 0:
        log = data_folder(config) / "logs"
        worker = start_local_worker(
            config, concurrency=concurrency, log_file=log / f"batch-{batch_id}.log"
        )
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[line]}"),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=err, transient=False) as bar:
            shown = bar.add_task(f"batch {batch_id}", total=1, line="")
            while True:
                state = batch_state(queue, store, batch_id)
                done, total = state.stages
                eta = state.eta_s()
                bar.update(
                    shown,
                    total=max(1, total),
                    completed=done,
                    line=(
                        f"tasks {state.tasks_done}/{len(state.items)}  steps "
                        f"{sum(i.steps for i in state.items if i.task_id)}  "
                        f"tokens {state.tokens:,}  failed {state.count('failed')}  "
                        f"ETA {'?' if eta is None else f'{eta:.0f} s'}"
                    ),
                )
                if state.finished:
                    return state
                if worker is not None and worker.poll() is not None:
                    err.print("the batch's worker stopped; see its log", highlight=False)
                    return state
                time.sleep(POLL_S)
    except KeyboardInterrupt:
        err.print(f"stopped following; resume with: coauthor batch --resume {batch_id}")
        raise typer.Exit(130) from None
    finally:
        if worker is not None:
            _stop(worker)


def _stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def _report(state: BatchState, *, as_json: bool) -> None:
    summary = state.summary()
    if as_json:
        emit(
            {
                "batch_id": state.batch.id,
                "status": "finished" if state.finished else "in progress",
                "summary": summary,
                "items": [
                    {
                        "run_id": i.run_id,
                        "line": i.line,
                        "outcome": i.outcome,
                        "task_id": i.task_id,
                        "error": i.error,
                    }
                    for i in state.items
                ],
            }
        )
        return
    table = Table(title=f"batch {state.batch.id}")
    for name in ("line", "run", "outcome", "task", "idea / error"):
        table.add_column(name)
    for i in state.items:
        table.add_row(
            str(i.line),
            str(i.run_id),
            i.outcome,
            "" if i.task_id is None else str(i.task_id),
            (i.error or i.idea)[:70],
        )
    out = Console()
    out.print(table)
    out.print("  ".join(f"{name}: {count}" for name, count in summary.items()))
