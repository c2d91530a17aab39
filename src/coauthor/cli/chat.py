"""The copilot on the command line: ``coauthor chat`` (interactive) and ``coauthor ask``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coauthor.cli.app import JsonFlag, ModelOption, app, emit, err, errors, open_store, settings
from coauthor.cli.tasks import execute, report
from coauthor.copilot import (
    CopilotError,
    Intent,
    Reply,
    Session,
    Slots,
    handle,
    open_session,
    put_into_theory,
)
from coauthor.copilot.results import Checks, Clarify, Explanation, Proposal
from coauthor.llm.registry import model_from_string
from coauthor.pipeline.runner import RunFailedError, start_run
from coauthor.schemas import TaskBrief
from coauthor.settings import Settings
from coauthor.store import NotFoundError, Store

TaskOption = Annotated[
    int | None, typer.Option("--task", help="The task the messages are about (its id).")
]
OutOption = Annotated[Path, typer.Option("--out", help="Folder for exports.")]
QUIT = {"exit", "quit", "q", "выход", ":q"}


def chat_session(
    store: Store, config: Settings, *, task: int | None, model: str | None, out: Path
) -> Session:
    if task is not None:
        store.task(task)  # an unknown id stops here, with exit code 2
    spec = model or config.model
    return open_session(
        store, config, model=lambda: model_from_string(spec, config), task_id=task, out_dir=out
    )


def payload(reply: Reply, session: Session) -> dict[str, object]:
    decision = reply.decision
    return {
        "status": "ok",
        "task_id": session.task_id,
        "intent": None if reply.intent is None else reply.intent.value,
        "clarify": reply.intent is None,
        "confidence": None if decision is None else round(decision.confidence, 4),
        "decided_by": None if decision is None else decision.decided_by.value,
        "slots": {} if decision is None else decision.slots.as_dict(),
        "text": reply.text,
        "revision": reply.revision,
        "links": list(reply.links),
        "suggestions": list(reply.suggestions),
        "result": None if reply.result is None else reply.result.model_dump(mode="json"),
    }


@app.command()
def ask(
    message: Annotated[str, typer.Argument(help="What you would write to a colleague.")],
    task: TaskOption = None,
    model: ModelOption = None,
    out: OutOption = Path("exports"),
    as_json: JsonFlag = False,
) -> None:
    """Send one message to the copilot and print its answer."""
    with errors():
        config = settings()
        with open_store(config.database_url) as store:
            session = chat_session(store, config, task=task, model=model, out=out)
            try:
                reply = handle(session, message)
            finally:
                session.close()
            if as_json:
                emit(payload(reply, session))
            else:
                show(reply)


@app.command()
def chat(
    task: TaskOption = None,
    model: ModelOption = None,
    out: OutOption = Path("exports"),
) -> None:
    """Talk to the copilot: edit, test, verify, review, export, ask. Type 'exit' to leave."""
    with errors():
        config = settings()
        with open_store(config.database_url) as store:
            session = chat_session(store, config, task=task, model=model, out=out)
            where = f"task {task}" if task is not None else "no task open (/task ID opens one)"
            err.print(f"copilot ready; {where}", highlight=False)
            try:
                converse(session, config, model=model)
            finally:
                session.close()


def converse(session: Session, config: Settings, *, model: str | None) -> None:
    while True:
        try:
            message = typer.prompt("you", prompt_suffix="> ").strip()
        except (EOFError, typer.Abort):
            return
        if message.lower() in QUIT:
            return
        if message.startswith("/task"):
            open_task(session, message.removeprefix("/task").strip())
        elif message:
            follow_up(session, handle(session, message), config, model=model, message=message)


def open_task(session: Session, number: str) -> None:
    """``/task ID`` opens a task, ``/task`` alone closes it."""
    try:
        session.task_id = session.store.task(int(number)).id if number.isdigit() else None
    except NotFoundError as exc:
        err.print(f"[red]{exc}[/]", highlight=False)
        return
    err.print(f"open task: {session.task_id}", highlight=False)


def follow_up(
    session: Session, reply: Reply, config: Settings, *, model: str | None, message: str
) -> None:
    """Show a reply and ask the one question it leads to, if any."""
    show(reply)
    result = reply.result
    if isinstance(result, Clarify):
        choice = typer.prompt("choose 1 or 2 (Enter: neither)", default="", show_default=False)
        if choice.strip() in ("1", "2"):
            intent = result.choices[int(choice) - 1]
            follow_up(
                session,
                handle(session, message, intent=intent),
                config,
                model=model,
                message=message,
            )
    elif isinstance(result, Proposal):
        if typer.confirm("generate now?", default=False):
            generate(session, result.brief, config, model=model)
    elif isinstance(result, Checks) and result.repairable:
        if typer.confirm(f"repair step(s) {', '.join(map(str, result.repairable))} now?"):
            for number in result.repairable:
                slots = Slots(step=number, repair=True)
                show(handle(session, f"repair step {number}", intent=Intent.verify, slots=slots))
    elif isinstance(result, Explanation) and result.offers and session.task_id is not None:
        step = typer.prompt(
            "put it into a step's theory? step number (Enter: no)", default="", show_default=False
        )
        if step.strip().isdigit():
            lang = session.head().task.brief.language
            try:
                show(put_into_theory(session, int(step), reply.text, lang=lang))
            except CopilotError as exc:
                err.print(str(exc), highlight=False)


def generate(session: Session, brief: TaskBrief, config: Settings, *, model: str | None) -> None:
    """Run the same generation as ``coauthor new`` and open the new task."""
    spec = model or config.model
    llm = session.llm()
    run = start_run(session.store, brief, model=spec)
    err.print(f"run {run.id} started on {spec}", highlight=False)
    try:
        outcome = execute(session.store, llm, run.id, config=config)
    except RunFailedError as exc:
        err.print(f"[red]run {exc.run_id} failed:[/] {exc}; resume: coauthor resume {exc.run_id}")
        return
    report(outcome, as_json=False)
    session.task_id = outcome.revision.task_id


def show(reply: Reply) -> None:
    typer.echo(reply.text)
    for link in reply.links:
        typer.echo(f"  -> {link}")
    for suggestion in reply.suggestions:
        typer.echo(f"  * {suggestion}")
