"""The Store: tasks with immutable revisions, runs with checkpoints, and the logbook."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coauthor.llm.base import CallRecord
from coauthor.schemas import Task, TaskBrief
from coauthor.store.engine import make_engine, upgrade
from coauthor.store.records import (
    ConflictError,
    LogEntry,
    NotFoundError,
    RevisionInfo,
    RunInfo,
    TaskInfo,
    log_entry,
    revision_info,
    run_info,
    task_info,
)
from coauthor.store.redact import redact
from coauthor.store.side import SideTables
from coauthor.store.tables import (
    RUN_STATUSES,
    CheckpointRow,
    LogRow,
    RevisionRow,
    RunRow,
    TaskRow,
    utcnow,
)


class Store(SideTables):
    """All persistence. Each method runs in its own short transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        try:
            upgrade(self.engine)
        except Exception:
            self.engine.dispose()
            raise

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    # -- tasks and revisions ---------------------------------------------------------
    def create_task(self, task: Task, *, source: str = "generate", note: str = "") -> TaskInfo:
        """A new task whose revision 1 is ``task``."""
        with self._session() as s, s.begin():
            row, revision = _insert_task(s, task, source=source, note=note)
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
        """A new head revision; ConflictError if ``base_revision`` is not the head."""
        with self._session() as s, s.begin():
            return revision_info(_append_revision(s, task_id, task, source, note, base_revision))

    def revision(self, task_id: int, number: int | None = None) -> RevisionInfo:
        """Revision ``number`` of a task, or its head."""
        with self._session() as s:
            if number is None:
                number = _get_task(s, task_id).head_revision
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
            _get_task(s, task_id)
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

    def delete_task(self, task_id: int) -> None:
        """Soft delete: the task is hidden from ``list_tasks`` but kept."""
        with self._session() as s, s.begin():
            row = _get_task(s, task_id)
            if row.deleted_at is None:
                row.deleted_at = row.updated_at = utcnow()

    def restore_task(self, task_id: int) -> None:
        with self._session() as s, s.begin():
            row = _get_task(s, task_id)
            if row.deleted_at is not None:
                row.deleted_at = None
                row.updated_at = utcnow()

    # -- runs ------------------------------------------------------------------------
    def create_run(self, brief: TaskBrief, *, model: str, task_id: int | None = None) -> RunInfo:
        """A new run in status ``running``."""
        with self._session() as s, s.begin():
            if task_id is not None:
                _get_task(s, task_id)
            now = utcnow()
            row = RunRow(
                task_id=task_id,
                status="running",
                brief=brief.model_dump(mode="json"),
                model=model,
                error=None,
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            s.flush()
            return run_info(row)

    def run(self, run_id: int) -> RunInfo:
        with self._session() as s:
            return run_info(_get_run(s, run_id))

    def list_runs(self, *, status: str | None = None) -> list[RunInfo]:
        """Runs, newest first, optionally only those in ``status``."""
        query = sa.select(RunRow).order_by(RunRow.created_at.desc(), RunRow.id.desc())
        if status is not None:
            query = query.where(RunRow.status == _check_status(status))
        with self._session() as s:
            return [run_info(row) for row in s.scalars(query)]

    def set_run_status(self, run_id: int, status: str, *, error: str | None = None) -> None:
        """Move a run to ``status``; ``error`` is stored redacted."""
        with self._session() as s, s.begin():
            row = _get_run(s, run_id)
            row.status = _check_status(status)
            row.error = None if error is None else redact(error)
            row.updated_at = utcnow()

    def save_checkpoint(self, run_id: int, stage: str, data: dict[str, Any]) -> None:
        """Keep a stage's output; saving the same stage again replaces it."""
        with self._session() as s, s.begin():
            run = _get_run(s, run_id)
            run.updated_at = now = utcnow()
            row = s.scalar(
                sa.select(CheckpointRow).where(
                    CheckpointRow.run_id == run_id, CheckpointRow.stage == stage
                )
            )
            if row is None:
                s.add(CheckpointRow(run_id=run_id, stage=stage, data=data, created_at=now))
            else:
                row.data = data

    def checkpoints(self, run_id: int) -> dict[str, dict[str, Any]]:
        """Stage name to saved data, in the order the stages were first saved."""
        with self._session() as s:
            _get_run(s, run_id)
            rows = s.scalars(
                sa.select(CheckpointRow)
                .where(CheckpointRow.run_id == run_id)
                .order_by(CheckpointRow.id)
            )
            return {row.stage: row.data for row in rows}

    def finish_run(
        self,
        run_id: int,
        task: Task,
        *,
        source: str = "generate",
        note: str = "",
        earlier: Sequence[tuple[Task, str, str]] = (),
    ) -> RevisionInfo:
        """In one transaction: store ``task`` (new task or new revision) and mark the run done.

        ``earlier`` versions (task, source, note) are saved first, in order, as revisions
        of their own: e.g. the task as generated and after each repair round.
        """
        versions = [*earlier, (task, source, note)]
        with self._session() as s, s.begin():
            run = _get_run(s, run_id)
            if run.status in ("done", "cancelled"):
                raise ConflictError(f"run {run_id} is already {run.status}")
            first, first_source, first_note = versions[0]
            if run.task_id is None:
                task_row, revision = _insert_task(s, first, source=first_source, note=first_note)
                run.task_id = task_row.id
            else:
                revision = _append_revision(s, run.task_id, first, first_source, first_note, None)
            for version, version_source, version_note in versions[1:]:
                revision = _append_revision(
                    s, run.task_id, version, version_source, version_note, None
                )
            run.status = "done"
            run.error = None
            run.updated_at = revision.created_at
            return revision_info(revision)

    # -- logbook ---------------------------------------------------------------------
    def log_call(
        self,
        record: CallRecord,
        *,
        stage: str,
        run_id: int | None = None,
        task_id: int | None = None,
    ) -> None:
        """Keep one model request, with every secret redacted."""
        messages = [{key: redact(value) for key, value in m.items()} for m in record.messages]
        row = LogRow(
            run_id=run_id,
            task_id=task_id,
            stage=redact(stage),
            model=redact(record.model),
            messages=messages,
            reply=redact(record.reply),
            tokens_in=record.usage.prompt_tokens,
            tokens_out=record.usage.completion_tokens,
            latency_ms=round(record.latency_s * 1000),
            error=None if record.error is None else redact(record.error),
            created_at=utcnow(),
        )
        with self._session() as s, s.begin():
            s.add(row)

    def logbook(self, *, run_id: int | None = None, task_id: int | None = None) -> list[LogEntry]:
        """Logged calls, oldest first, filtered by run and/or task."""
        query = sa.select(LogRow).order_by(LogRow.id)
        if run_id is not None:
            query = query.where(LogRow.run_id == run_id)
        if task_id is not None:
            query = query.where(LogRow.task_id == task_id)
        with self._session() as s:
            return [log_entry(row) for row in s.scalars(query)]


# -- helpers (all run inside the caller's session) -----------------------------------
def _check_status(status: str) -> str:
    if status not in RUN_STATUSES:
        raise ValueError(f"unknown run status {status!r}; expected one of {RUN_STATUSES}")
    return status


def _get_task(s: Session, task_id: int) -> TaskRow:
    row = s.get(TaskRow, task_id)
    if row is None:
        raise NotFoundError(f"no task {task_id}")
    return row


def _get_run(s: Session, run_id: int) -> RunRow:
    row = s.get(RunRow, run_id)
    if row is None:
        raise NotFoundError(f"no run {run_id}")
    return row


def _insert_task(s: Session, task: Task, *, source: str, note: str) -> tuple[TaskRow, RevisionRow]:
    now = utcnow()
    row = TaskRow(title=task.title, head_revision=1, created_at=now, updated_at=now)
    s.add(row)
    s.flush()
    return row, _add_revision_row(s, row.id, 1, task, source, note, now)


def _append_revision(
    s: Session, task_id: int, task: Task, source: str, note: str, base_revision: int | None
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
        head = _get_task(s, task_id).head_revision
        raise ConflictError(f"task {task_id} is at revision {head}, not {base_revision}")
    number = s.scalars(sa.select(TaskRow.head_revision).where(TaskRow.id == task_id)).one()
    return _add_revision_row(s, task_id, number, task, source, note, now)


def _add_revision_row(
    s: Session,
    task_id: int,
    number: int,
    task: Task,
    source: str,
    note: str,
    now: datetime,
) -> RevisionRow:
    revision = RevisionRow(
        task_id=task_id,
        number=number,
        created_at=now,
        source=source,
        note=note,
        content=task.model_dump(mode="json"),
    )
    s.add(revision)
    s.flush()
    return revision


def _task_query() -> sa.Select[tuple[TaskRow, dict[str, Any]]]:
    """Tasks joined with their head revision's content."""
    return sa.select(TaskRow, RevisionRow.content).join(
        RevisionRow,
        sa.and_(RevisionRow.task_id == TaskRow.id, RevisionRow.number == TaskRow.head_revision),
    )
