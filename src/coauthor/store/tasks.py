"""Tasks and their immutable revisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coauthor.schemas import Task
from coauthor.schemas.team import Action, ReviewStatus
from coauthor.store.base import StoreBase, get_task
from coauthor.store.records import (
    ConflictError,
    NotFoundError,
    RevisionInfo,
    TaskInfo,
    revision_info,
    task_info,
)
from coauthor.store.tables import JsonObject, RevisionRow, TaskReviewRow, TaskRow, utcnow


class TaskStore(StoreBase):
    def create_task(self, task: Task, *, source: str = "generate", note: str = "") -> TaskInfo:
        """A new task whose revision 1 is ``task``."""
        with self._session() as s, s.begin():
            actor = self._require(s, Action.edit)
            row, revision = insert_task(s, task, source=source, note=note, actor=actor)
            return task_info(row, revision.content)

    def add_revision(
        self,
        task_id: int,
        task: Task,
        *,
        source: str,
        note: str = "",
        base_revision: int | None = None,
    ) -> RevisionInfo:
        """A new head revision; ConflictError if ``base_revision`` is not the head. A task in
        review or approved goes back to draft (its approved revision stays as it was)."""
        with self._session() as s, s.begin():
            actor = self._require(s, Action.edit)
            return revision_info(
                append_revision(s, task_id, task, source, note, base_revision, actor=actor)
            )

    def revision(self, task_id: int, number: int | None = None) -> RevisionInfo:
        """Revision ``number`` of a task, or its head."""
        with self._session() as s:
            if number is None:
                number = get_task(s, task_id).head_revision
            row = s.scalar(
                sa.select(RevisionRow).where(
                    RevisionRow.task_id == task_id, RevisionRow.number == number
                )
            )
            if row is None:
                raise NotFoundError(f"task {task_id} has no revision {number}")
            return revision_info(row)

    def revisions(self, task_id: int) -> list[RevisionInfo]:
        """Every revision of a task, oldest first."""
        with self._session() as s:
            get_task(s, task_id)
            rows = s.scalars(
                sa.select(RevisionRow)
                .where(RevisionRow.task_id == task_id)
                .order_by(RevisionRow.number)
            )
            return [revision_info(row) for row in rows]

    def task(self, task_id: int) -> TaskInfo:
        with self._session() as s:
            found = s.execute(_task_query().where(TaskRow.id == task_id)).one_or_none()
            if found is None:
                raise NotFoundError(f"no task {task_id}")
            return task_info(found[0], found[1])

    def list_tasks(self, *, include_deleted: bool = False) -> list[TaskInfo]:
        """Tasks, newest first."""
        query = _task_query().order_by(TaskRow.created_at.desc(), TaskRow.id.desc())
        if not include_deleted:
            query = query.where(TaskRow.deleted_at.is_(None))
        with self._session() as s:
            return [task_info(row, content) for row, content in s.execute(query)]

    def task_heads(self) -> list[tuple[int, int]]:
        """(task id, head revision) of every task not deleted, newest first: what a caller
        that caches tasks per revision needs, without reading any task's content."""
        with self.engine.connect() as c:
            return [(row[0], row[1]) for row in c.execute(_TASK_HEADS)]

    def delete_task(self, task_id: int) -> None:
        """Soft delete: the task is hidden from ``list_tasks`` but kept."""
        with self._session() as s, s.begin():
            self._require(s, Action.edit)
            row = get_task(s, task_id)
            if row.deleted_at is None:
                row.deleted_at = row.updated_at = utcnow()

    def restore_task(self, task_id: int) -> None:
        with self._session() as s, s.begin():
            self._require(s, Action.edit)
            row = get_task(s, task_id)
            if row.deleted_at is not None:
                row.deleted_at = None
                row.updated_at = utcnow()


def insert_task(
    s: Session, task: Task, *, source: str, note: str, actor: str | None = None
) -> tuple[TaskRow, RevisionRow]:
    now = utcnow()
    row = TaskRow(title=task.title, head_revision=1, created_at=now, updated_at=now)
    s.add(row)
    s.flush()
    return row, _add_revision_row(s, row.id, 1, task, source, note, now, actor)


def append_revision(
    s: Session,
    task_id: int,
    task: Task,
    source: str,
    note: str,
    base_revision: int | None,
    *,
    actor: str | None = None,
) -> RevisionRow:
    now = utcnow()
    # move the head in one UPDATE, so two writers on the same base cannot both win
    where = [TaskRow.id == task_id]
    if base_revision is not None:
        where.append(TaskRow.head_revision == base_revision)
    moved = s.execute(
        sa.update(TaskRow)
        .where(*where)
        .values(head_revision=TaskRow.head_revision + 1, title=task.title, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if cast(sa.CursorResult[Any], moved).rowcount != 1:
        head = get_task(s, task_id).head_revision
        raise ConflictError(f"task {task_id} is at revision {head}, not {base_revision}")
    number = s.scalars(sa.select(TaskRow.head_revision).where(TaskRow.id == task_id)).one()
    _back_to_draft(s, task_id, now)
    return _add_revision_row(s, task_id, number, task, source, note, now, actor)


def _back_to_draft(s: Session, task_id: int, now: datetime) -> None:
    """A new revision of a task in review or approved is a new draft: the revision under
    review (or approved) is not the head any more."""
    s.execute(
        sa.update(TaskReviewRow)
        .where(
            TaskReviewRow.task_id == task_id,
            TaskReviewRow.status.in_([ReviewStatus.in_review, ReviewStatus.approved]),
        )
        .values(status=ReviewStatus.draft, submitted_revision=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def _add_revision_row(
    s: Session,
    task_id: int,
    number: int,
    task: Task,
    source: str,
    note: str,
    now: datetime,
    actor: str | None,
) -> RevisionRow:
    revision = RevisionRow(
        task_id=task_id,
        number=number,
        created_at=now,
        source=source,
        note=note,
        content=task.model_dump(mode="json"),
        actor=actor,
    )
    s.add(revision)
    s.flush()
    return revision


_TASK_HEADS = (
    sa.select(TaskRow.id, TaskRow.head_revision)
    .where(TaskRow.deleted_at.is_(None))
    .order_by(TaskRow.created_at.desc(), TaskRow.id.desc())
)


def _task_query() -> sa.Select[TaskRow, JsonObject]:
    """Tasks joined with their head revision's content."""
    return sa.select(TaskRow, RevisionRow.content).join(
        RevisionRow,
        sa.and_(RevisionRow.task_id == TaskRow.id, RevisionRow.number == TaskRow.head_revision),
    )
