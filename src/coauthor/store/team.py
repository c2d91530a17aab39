"""The team in the Store: users and roles, review status, ownership of parts, comments,
and the record of exports. Every write checks the acting user's role (see StoreBase)."""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coauthor.schemas import Step, Task
from coauthor.schemas.team import (
    TRANSITIONS,
    Action,
    Assignments,
    Comment,
    Duty,
    ExportRecord,
    ReviewEvent,
    ReviewMove,
    ReviewState,
    ReviewStatus,
    ReviewSummary,
    Role,
    StepOwners,
    StepPart,
    User,
    Waiver,
)
from coauthor.store.base import acting_role, get_task, team_mode
from coauthor.store.records import (
    NotFoundError,
    PermissionDenied,
    ReviewError,
    TaskInfo,
    TeamError,
)
from coauthor.store.tables import (
    CommentRow,
    ExportRow,
    ReviewEventRow,
    RevisionRow,
    TaskReviewRow,
    UserRow,
    utcnow,
)
from coauthor.store.tasks import TaskStore


def local_user() -> str:
    """Who acts on this machine when nobody signed in: ``COAUTHOR_USER``, else the operating
    system's user (the command line, and the studio in single-user mode)."""
    named = os.environ.get("COAUTHOR_USER", "").strip()
    if named:
        return named
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no name for this uid (a bare container)
        return "local"


class TeamStore(TaskStore):
    # -- who is acting -----------------------------------------------------------------
    def team_mode(self) -> bool:
        """True once the database has users; without any it is single-user."""
        with self._session() as s:
            return team_mode(s)

    def role(self) -> Role:
        """The acting user's role: admin in single-user mode; PermissionDenied for an unknown
        user on a team database (what the CLI and studio check before anything else)."""
        with self._session() as s:
            return acting_role(s, self.user) or Role.admin

    def may(self, action: Action) -> bool:
        """Whether the acting user may take ``action`` (for showing or hiding controls)."""
        with self._session() as s:
            try:
                self._require(s, action)
            except PermissionDenied:
                return False
            return True

    # -- users -------------------------------------------------------------------------
    def users(self) -> list[User]:
        with self._session() as s:
            return [_user(row) for row in s.scalars(sa.select(UserRow).order_by(UserRow.name))]

    def user_info(self, name: str) -> User | None:
        with self._session() as s:
            row = s.scalar(sa.select(UserRow).where(UserRow.name == name))
            return None if row is None else _user(row)

    def add_user(self, name: str, role: Role, *, display_name: str = "") -> User:
        """A new member (admin only). The first member of a database is an admin: the acting
        user when they are named and are not ``name`` (then ``name`` gets ``role``), else
        ``name`` itself."""
        name = _clean_name(name)
        with self._session() as s, s.begin():
            if not team_mode(s):
                if self.user and self.user != name:
                    s.add(_new_user(self.user, Role.admin, ""))
                else:
                    role = Role.admin
            else:
                self._require(s, Action.admin)
            if s.scalar(sa.select(UserRow.id).where(UserRow.name == name)) is not None:
                raise TeamError(f"user {name!r} exists already")
            row = _new_user(name, role, display_name)
            s.add(row)
            s.flush()
            return _user(row)

    def sign_in(self, name: str, *, display_name: str = "") -> User:
        """The member signing in as ``name`` (the studio's seam for its sign-in provider):
        the very first one becomes admin; on a team database an unknown name is refused."""
        name = _clean_name(name)
        with self._session() as s, s.begin():
            if not team_mode(s):
                row = _new_user(name, Role.admin, display_name)
                s.add(row)
                s.flush()
                return _user(row)
            found = s.scalar(sa.select(UserRow).where(UserRow.name == name))
            if found is None:
                acting_role(s, name)  # raises the "unknown user" PermissionDenied
                raise AssertionError  # pragma: no cover - acting_role raised
            if display_name and found.display_name != display_name:
                found.display_name = display_name
            return _user(found)

    def set_role(self, name: str, role: Role) -> User:
        with self._session() as s, s.begin():
            self._require(s, Action.admin)
            row = _user_row(s, name)
            if row.role == Role.admin and role != Role.admin:
                _keep_an_admin(s, name)
            row.role = role
            return _user(row)

    def remove_user(self, name: str) -> None:
        """Remove a member; what they did keeps their name. The last admin stays."""
        with self._session() as s, s.begin():
            self._require(s, Action.admin)
            row = _user_row(s, name)
            if row.role == Role.admin:
                _keep_an_admin(s, name)
            s.delete(row)

    # -- review --------------------------------------------------------------------------
    def review_state(self, task_id: int) -> ReviewState:
        with self._session() as s:
            get_task(s, task_id)
            return _state(task_id, s.get(TaskReviewRow, task_id))

    def review_states(self, task_ids: Iterable[int]) -> dict[int, ReviewState]:
        """The review state of each task (a draft for one never reviewed nor assigned)."""
        with self._session() as s:
            rows = {row.task_id: row for row in s.scalars(sa.select(TaskReviewRow))}
        return {task_id: _state(task_id, rows.get(task_id)) for task_id in task_ids}

    def move_review(
        self,
        task_id: int,
        move: ReviewMove,
        *,
        note: str = "",
        waivers: dict[int, str] | None = None,
    ) -> ReviewState:
        """Move a task through draft -> in review -> changes requested / approved (and back
        to draft with reopen). Submitting needs every step of the head revision verified or
        waived (``waivers``: step -> reason, added to those given before). Approving records
        the revision under review as the approved one; ReviewError for a move the status
        does not allow, PermissionDenied for one the user's role does not."""
        starts, after, action = TRANSITIONS[move]
        with self._session() as s, s.begin():
            actor = self._require(s, action)
            task = get_task(s, task_id)
            row = _review_row(s, task_id)
            before = ReviewStatus(row.status)
            if before not in starts:
                raise ReviewError(
                    f"cannot {move.value} task {task_id}: it is {before.value} "
                    f"(allowed from {', '.join(sorted(x.value for x in starts))})"
                )
            if move is ReviewMove.submit:
                kept = {int(k): Waiver.model_validate(v) for k, v in row.waivers.items()}
                for step, reason in (waivers or {}).items():
                    if not reason.strip():
                        raise ReviewError(f"a waiver for step {step} needs a reason")
                    kept[step] = Waiver(reason=reason.strip(), by=actor)
                content = _content(s, task_id, task.head_revision)
                missing = _unready(content, kept)
                if not content.steps:
                    raise ReviewError(f"task {task_id} has no steps to review")
                if missing:
                    raise ReviewError(
                        f"cannot submit task {task_id}: step(s) "
                        f"{', '.join(map(str, missing))} not verified; verify them or waive "
                        "each with a reason"
                    )
                row.waivers = {str(k): w.model_dump(mode="json") for k, w in kept.items()}
                row.submitted_revision = task.head_revision
            elif move is ReviewMove.approve:
                row.approved_revision = row.submitted_revision or task.head_revision
            elif move is ReviewMove.reopen:
                row.submitted_revision = None
            row.status = after
            row.updated_at = utcnow()
            s.add(
                ReviewEventRow(
                    task_id=task_id,
                    revision=task.head_revision,
                    move=move,
                    before=before,
                    after=after,
                    actor=actor,
                    note=note,
                    created_at=row.updated_at,
                )
            )
            s.flush()
            return _state(task_id, row)

    def review_events(self, task_id: int) -> list[ReviewEvent]:
        query = (
            sa.select(ReviewEventRow)
            .where(ReviewEventRow.task_id == task_id)
            .order_by(ReviewEventRow.id)
        )
        with self._session() as s:
            return [
                ReviewEvent(
                    task_id=r.task_id,
                    revision=r.revision,
                    move=ReviewMove(r.move),
                    before=ReviewStatus(r.before),
                    after=ReviewStatus(r.after),
                    actor=r.actor,
                    note=r.note,
                    created_at=r.created_at,
                )
                for r in s.scalars(query)
            ]

    def review_summary(self, task_id: int) -> ReviewSummary:
        """What is left to review on a task: unverified steps, open comments per step."""
        state = self.review_state(task_id)
        info = self.task(task_id)
        with self._session() as s:
            content = _content(s, task_id, info.head_revision)
        open_by_step: dict[int, int] = {}
        for comment in self.comments(task_id):
            if comment.parent_id is None and not comment.resolved:
                open_by_step[comment.step] = open_by_step.get(comment.step, 0) + 1
        return ReviewSummary(
            task_id=task_id,
            title=info.title,
            status=state.status,
            revision=info.head_revision,
            unverified_steps=_unready(content, state.waivers),
            waived_steps=sorted(state.waivers),
            open_comments=sum(open_by_step.values()),
            open_by_step=open_by_step,
            reviewers={
                step: owners.review
                for step, owners in state.assignments.steps.items()
                if owners.review
            },
        )

    # -- ownership -----------------------------------------------------------------------
    def assign(
        self, task_id: int, duty: Duty, user: str | None, *, step: int | None = None
    ) -> Assignments:
        """Make ``user`` (None: nobody) responsible for ``duty``: the plan, or a step's prose,
        code or review (``step`` from 1)."""
        with self._session() as s, s.begin():
            self._require(s, Action.edit)
            task = get_task(s, task_id)
            if user is not None and team_mode(s):
                _user_row(s, user)
            row = _review_row(s, task_id)
            owners = Assignments.model_validate(row.assignments)
            if duty is Duty.plan:
                owners.plan = user
            else:
                count = len(_content(s, task_id, task.head_revision).steps)
                if step is None or not 1 <= step <= count:
                    raise ReviewError(f"task {task_id} has steps 1-{count}; say which one")
                mine = owners.steps.get(step, StepOwners())
                owners.steps[step] = mine.model_copy(update={duty.value: user})
            row.assignments = owners.model_dump(mode="json")
            row.updated_at = utcnow()
            return owners

    def find_tasks(
        self, *, assigned_to: str | None = None, status: ReviewStatus | None = None
    ) -> list[TaskInfo]:
        """The library filtered: tasks where ``assigned_to`` owns some part, in ``status``."""
        tasks = self.list_tasks()
        states = self.review_states(info.id for info in tasks)
        kept = []
        for info in tasks:
            state = states[info.id]
            if status is not None and state.status != status:
                continue
            if assigned_to is not None and assigned_to not in state.assignments.people():
                continue
            kept.append(info)
        return kept

    # -- comments ------------------------------------------------------------------------
    def add_comment(
        self,
        task_id: int,
        text: str,
        *,
        step: int | None = None,
        part: StepPart | None = None,
        reply_to: int | None = None,
    ) -> Comment:
        """A comment on a step (or one part of it) of the head revision, or a reply in the
        thread of comment ``reply_to`` (same step, part and revision)."""
        if not text.strip():
            raise ReviewError("an empty comment")
        with self._session() as s, s.begin():
            actor = self._require(s, Action.comment)
            task = get_task(s, task_id)
            revision = task.head_revision
            if reply_to is not None:
                parent = _comment_row(s, task_id, reply_to)
                root = parent if parent.parent_id is None else s.get(CommentRow, parent.parent_id)
                assert root is not None
                step, part, revision = root.step, _part(root.part), root.revision
                reply_to = root.id
            else:
                count = len(_content(s, task_id, revision).steps)
                if step is None or not 1 <= step <= count:
                    raise ReviewError(f"task {task_id} has steps 1-{count}; say which one")
            row = CommentRow(
                task_id=task_id,
                revision=revision,
                step=step,
                part=part,
                parent_id=reply_to,
                actor=actor,
                text=text.strip(),
                created_at=utcnow(),
                resolved_by=None,
                resolved_at=None,
            )
            s.add(row)
            s.flush()
            head = _content(s, task_id, task.head_revision)
            return _comment(row, _content(s, task_id, row.revision), head)

    def resolve_comment(self, task_id: int, comment_id: int, *, resolved: bool = True) -> Comment:
        """Mark a comment's thread resolved (or open again)."""
        with self._session() as s, s.begin():
            actor = self._require(s, Action.comment)
            task = get_task(s, task_id)
            row = _comment_row(s, task_id, comment_id)
            row.resolved_at = utcnow() if resolved else None
            row.resolved_by = actor if resolved else None
            head = _content(s, task_id, task.head_revision)
            return _comment(row, _content(s, task_id, row.revision), head)

    def comments(self, task_id: int) -> list[Comment]:
        """Every comment on a task, threads in order (each root, then its replies); each
        says whether its step or part has changed since the revision it was made on."""
        with self._session() as s:
            task = get_task(s, task_id)
            rows = list(
                s.scalars(
                    sa.select(CommentRow)
                    .where(CommentRow.task_id == task_id)
                    .order_by(CommentRow.id)
                )
            )
            contents: dict[int, Task] = {}

            def content(number: int) -> Task:
                if number not in contents:
                    contents[number] = _content(s, task_id, number)
                return contents[number]

            head = content(task.head_revision)
            made = {row.id: _comment(row, content(row.revision), head) for row in rows}
        ordered: list[Comment] = []
        for row in rows:
            if row.parent_id is None:
                ordered.append(made[row.id])
                ordered += [made[r.id] for r in rows if r.parent_id == row.id]
        return ordered

    # -- exports -------------------------------------------------------------------------
    def record_export(self, task_id: int, revision: int, fmt: str) -> ExportRecord:
        """Note that the acting user exported ``revision``; PermissionDenied if they may not."""
        with self._session() as s, s.begin():
            actor = self._require(s, Action.export)
            get_task(s, task_id)
            row = ExportRow(
                task_id=task_id, revision=revision, format=fmt, actor=actor, created_at=utcnow()
            )
            s.add(row)
            s.flush()
            return _export(row)

    def exports(self, task_id: int) -> list[ExportRecord]:
        query = sa.select(ExportRow).where(ExportRow.task_id == task_id).order_by(ExportRow.id)
        with self._session() as s:
            return [_export(row) for row in s.scalars(query)]


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200 or any(c.isspace() for c in name):
        raise TeamError(f"invalid user name {name!r}: 1-200 characters, no spaces")
    return name


def _new_user(name: str, role: Role, display_name: str) -> UserRow:
    return UserRow(name=name, role=role, display_name=display_name, created_at=utcnow())


def _user(row: UserRow) -> User:
    return User(
        name=row.name, role=Role(row.role), display_name=row.display_name, created_at=row.created_at
    )


def _user_row(s: Session, name: str) -> UserRow:
    row = s.scalar(sa.select(UserRow).where(UserRow.name == name))
    if row is None:
        raise NotFoundError(f"no user {name!r}")
    return row


def _keep_an_admin(s: Session, leaving: str) -> None:
    others = s.scalar(
        sa.select(sa.func.count(UserRow.id)).where(
            UserRow.role == Role.admin, UserRow.name != leaving
        )
    )
    if not others:
        raise TeamError(f"{leaving} is the last admin: make someone else admin first")


def _review_row(s: Session, task_id: int) -> TaskReviewRow:
    row = s.get(TaskReviewRow, task_id)
    if row is None:
        row = TaskReviewRow(
            task_id=task_id,
            status=ReviewStatus.draft,
            submitted_revision=None,
            approved_revision=None,
            waivers={},
            assignments={},
            updated_at=utcnow(),
        )
        s.add(row)
        s.flush()
    return row


def _state(task_id: int, row: TaskReviewRow | None) -> ReviewState:
    if row is None:
        return ReviewState(task_id=task_id)
    return ReviewState(
        task_id=task_id,
        status=ReviewStatus(row.status),
        submitted_revision=row.submitted_revision,
        approved_revision=row.approved_revision,
        waivers={int(k): Waiver.model_validate(v) for k, v in row.waivers.items()},
        assignments=Assignments.model_validate(row.assignments),
    )


def _content(s: Session, task_id: int, number: int) -> Task:
    content = s.scalar(
        sa.select(RevisionRow.content).where(
            RevisionRow.task_id == task_id, RevisionRow.number == number
        )
    )
    if content is None:
        raise NotFoundError(f"task {task_id} has no revision {number}")
    return Task.model_validate(content)


def _unready(task: Task, waivers: dict[int, Waiver]) -> list[int]:
    return [
        number
        for number, step in enumerate(task.steps, 1)
        if not (step.verdict is not None and step.verdict.verified) and number not in waivers
    ]


def _part(value: str | None) -> StepPart | None:
    return None if value is None else StepPart(value)


def _comment_row(s: Session, task_id: int, comment_id: int) -> CommentRow:
    row = s.get(CommentRow, comment_id)
    if row is None or row.task_id != task_id:
        raise NotFoundError(f"task {task_id} has no comment {comment_id}")
    return row


def _what(step: Step | None, part: StepPart | None) -> Any:
    """What a comment is about: the part, or the whole step but its verdict."""
    if step is None:
        return None
    if part is not None:
        return getattr(step, part.value)
    return step.model_dump(mode="json", exclude={"verdict"})


def _comment(row: CommentRow, then: Task, head: Task) -> Comment:
    part = _part(row.part)

    def step_of(task: Task) -> Step | None:
        return task.steps[row.step - 1] if row.step <= len(task.steps) else None

    return Comment(
        id=row.id,
        task_id=row.task_id,
        revision=row.revision,
        step=row.step,
        part=part,
        parent_id=row.parent_id,
        actor=row.actor,
        text=row.text,
        created_at=row.created_at,
        resolved_by=row.resolved_by,
        resolved_at=row.resolved_at,
        outdated=_what(step_of(then), part) != _what(step_of(head), part),
    )


def _export(row: ExportRow) -> ExportRecord:
    return ExportRecord(
        task_id=row.task_id,
        revision=row.revision,
        format=row.format,
        actor=row.actor,
        created_at=row.created_at,
    )
