"""The team from the command line: ``users``, ``review``, ``assign``, ``comment`` and
``comments``. Each acts as ``COAUTHOR_USER`` (default: the operating system's user); the
core checks that user's role."""

from __future__ import annotations

from typing import Annotated

import typer

from coauthor.cli.app import InputError, JsonFlag, app, emit, err, errors, open_store, settings
from coauthor.schemas.team import Comment, Duty, ReviewMove, ReviewState, Role, StepPart

users = typer.Typer(no_args_is_help=True, help="The team: members and their roles (admin).")
review = typer.Typer(
    no_args_is_help=True,
    help="The review workflow: draft -> in review -> changes requested / approved.",
)
app.add_typer(users, name="users")
app.add_typer(review, name="review")

TaskArg = Annotated[int, typer.Argument(help="Task id (see coauthor list).")]
NoteOption = Annotated[str, typer.Option("--note", help="Why, for the history.")]
ROLES = ", ".join(r.value for r in Role)


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InputError(f"unknown role {value!r}: one of {ROLES}") from None


# -- users ---------------------------------------------------------------------------------------
@users.command("list")
def list_users(as_json: JsonFlag = False) -> None:
    """Members and their roles; none: the database is single-user."""
    with errors(), open_store(settings().database_url) as store:
        members = store.users()
        if as_json:
            emit({"status": "ok", "users": [u.model_dump(mode="json") for u in members]})
            return
        if not members:
            err.print("no users: single-user mode (whoever runs Co-Author may do everything)")
        for user in members:
            typer.echo(f"{user.name:<20} {user.role.value:<9} {user.display_name}".rstrip())


@users.command("add")
def add_user(
    name: Annotated[str, typer.Argument(help="The user's sign-in name.")],
    role: Annotated[str, typer.Option("--role", help=ROLES)] = "author",
    display_name: Annotated[str, typer.Option("--name", help="Full name, for the pages.")] = "",
) -> None:
    """Add a member. The first member makes the database a team one: you become its admin."""
    with errors(), open_store(settings().database_url) as store:
        first = not store.team_mode()
        added = store.add_user(name, _role(role), display_name=display_name)
        if first and store.user != added.name:
            err.print(f"you ({store.user}) are the team's first admin", highlight=False)
        typer.echo(f"{added.name} added as {added.role.value}")


@users.command("role")
def set_role(
    name: Annotated[str, typer.Argument(help="A member's name.")],
    role: Annotated[str, typer.Argument(help=ROLES)],
) -> None:
    """Change a member's role."""
    with errors(), open_store(settings().database_url) as store:
        changed = store.set_role(name, _role(role))
        typer.echo(f"{changed.name} is now {changed.role.value}")


@users.command("remove")
def remove_user(name: Annotated[str, typer.Argument(help="A member's name.")]) -> None:
    """Remove a member; what they did keeps their name."""
    with errors(), open_store(settings().database_url) as store:
        store.remove_user(name)
        typer.echo(f"{name} removed")


# -- review --------------------------------------------------------------------------------------
def _moved(task_id: int, state: ReviewState, as_json: bool) -> None:
    if as_json:
        emit({"status": "ok", "task_id": task_id, "review": state.model_dump(mode="json")})
        return
    approved = f" (approved: revision {state.approved_revision})" if state.approved_revision else ""
    typer.echo(f"task {task_id}: {state.status.value}{approved}")


@review.command("submit")
def submit(
    task_id: TaskArg,
    waive: Annotated[
        list[int] | None, typer.Option("--waive", help="A step sent without a passing verdict.")
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why the waived steps may go.")] = "",
    note: NoteOption = "",
    as_json: JsonFlag = False,
) -> None:
    """Send a task to review: every step verified, or waived with --waive N --reason TEXT."""
    with errors():
        if waive and not reason.strip():
            raise InputError("--waive needs --reason: why may the step go unverified?")
        with open_store(settings().database_url) as store:
            waivers = dict.fromkeys(waive or [], reason)
            state = store.move_review(task_id, ReviewMove.submit, note=note, waivers=waivers)
            _moved(task_id, state, as_json)


def _move(move: ReviewMove, task_id: int, note: str, as_json: bool) -> None:
    with errors(), open_store(settings().database_url) as store:
        _moved(task_id, store.move_review(task_id, move, note=note), as_json)


@review.command("request-changes")
def request_changes(task_id: TaskArg, note: NoteOption = "", as_json: JsonFlag = False) -> None:
    """Send a task in review back to its authors (reviewer)."""
    _move(ReviewMove.request_changes, task_id, note, as_json)


@review.command("approve")
def approve(task_id: TaskArg, note: NoteOption = "", as_json: JsonFlag = False) -> None:
    """Approve the revision under review (reviewer); it stays exportable after later edits."""
    _move(ReviewMove.approve, task_id, note, as_json)


@review.command("reopen")
def reopen(task_id: TaskArg, note: NoteOption = "", as_json: JsonFlag = False) -> None:
    """Back to draft, from in review, changes requested or approved."""
    _move(ReviewMove.reopen, task_id, note, as_json)


@review.command("status")
def status(task_id: TaskArg, as_json: JsonFlag = False) -> None:
    """Where a task is in review, and what is left to review."""
    with errors(), open_store(settings().database_url) as store:
        state = store.review_state(task_id)
        summary = store.review_summary(task_id)
        events = store.review_events(task_id)
        if as_json:
            emit(
                {
                    "status": "ok",
                    "task_id": task_id,
                    "review": state.model_dump(mode="json"),
                    "left": summary.model_dump(mode="json"),
                    "history": [e.model_dump(mode="json") for e in events],
                }
            )
            return
        _moved(task_id, state, as_json=False)
        unverified = ", ".join(map(str, summary.unverified_steps)) or "none"
        typer.echo(f"unverified steps without a waiver: {unverified}")
        for step, waiver in sorted(state.waivers.items()):
            typer.echo(f"step {step} waived by {waiver.by or '-'}: {waiver.reason}")
        typer.echo(f"open comments: {summary.open_comments}")
        for event in events:
            who = event.actor or "-"
            typer.echo(
                f"  {event.created_at:%Y-%m-%d %H:%M} {who}: {event.move.value} "
                f"(revision {event.revision}) {event.note}".rstrip()
            )


# -- ownership -----------------------------------------------------------------------------------
@app.command()
def assign(
    task_id: TaskArg,
    duty: Annotated[str, typer.Argument(help="plan, prose, code or review")],
    user: Annotated[str, typer.Argument(help="A member's name; - for nobody.")],
    step: Annotated[int | None, typer.Option(help="The step (prose, code, review).")] = None,
) -> None:
    """Make someone responsible for the plan, or a step's prose, code or review."""
    with errors():
        try:
            part = Duty(duty)
        except ValueError:
            raise InputError(f"unknown part {duty!r}: plan, prose, code or review") from None
        with open_store(settings().database_url) as store:
            store.assign(task_id, part, None if user == "-" else user, step=step)
            where = "the plan" if part is Duty.plan else f"step {step} {part.value}"
            typer.echo(f"task {task_id}: {where} -> {user}")


# -- comments ------------------------------------------------------------------------------------
def _comment_line(comment: Comment) -> str:
    where = f"step {comment.step}" + (f" {comment.part.value}" if comment.part else "")
    flags = [f"r{comment.revision}"]
    if comment.outdated:
        flags.append("outdated")
    if comment.resolved:
        flags.append(f"resolved by {comment.resolved_by or '-'}")
    indent = "    " if comment.parent_id is not None else ""
    head = f"#{comment.id} {where}" if comment.parent_id is None else f"#{comment.id} reply"
    return f"{indent}{head} ({', '.join(flags)}) {comment.actor or '-'}: {comment.text}"


@app.command()
def comment(
    task_id: TaskArg,
    text: Annotated[str, typer.Argument(help="The comment.")] = "",
    step: Annotated[int | None, typer.Option(help="The step it is about.")] = None,
    part: Annotated[
        str | None,
        typer.Option(help="story, theory, requirements, starter, solution or tests"),
    ] = None,
    reply: Annotated[int | None, typer.Option("--reply", help="Answer comment N.")] = None,
    resolve: Annotated[int | None, typer.Option("--resolve", help="Resolve comment N.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Comment on a step (or one part of it), reply to a comment, or resolve one."""
    with errors():
        about = None
        if part is not None:
            try:
                about = StepPart(part)
            except ValueError:
                names = ", ".join(p.value for p in StepPart)
                raise InputError(f"unknown part {part!r}: one of {names}") from None
        if resolve is None and not text.strip():
            raise InputError("say something: coauthor comment ID --step N TEXT")
        if resolve is None and reply is None and step is None:
            raise InputError("which step? pass --step N (or --reply COMMENT)")
        with open_store(settings().database_url) as store:
            if resolve is not None:
                made = store.resolve_comment(task_id, resolve)
            else:
                made = store.add_comment(task_id, text, step=step, part=about, reply_to=reply)
            if as_json:
                emit({"status": "ok", "comment": made.model_dump(mode="json")})
            else:
                typer.echo(_comment_line(made))


@app.command()
def comments(
    task_id: TaskArg,
    open_only: Annotated[bool, typer.Option("--open", help="Only unresolved threads.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """A task's comments, thread by thread; outdated: the part changed since."""
    with errors(), open_store(settings().database_url) as store:
        found = store.comments(task_id)
        if open_only:
            shut = {c.id for c in found if c.parent_id is None and c.resolved}
            found = [c for c in found if c.id not in shut and c.parent_id not in shut]
        if as_json:
            emit({"status": "ok", "comments": [c.model_dump(mode="json") for c in found]})
            return
        if not found:
            err.print(f"no comments on task {task_id}")
        for made in found:
            typer.echo(_comment_line(made))
