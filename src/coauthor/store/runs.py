"""Generation runs, the checkpoints of their finished stages, and their live progress."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from coauthor.schemas import Task, TaskBrief
from coauthor.schemas.runs import RunOptions, RunProgress
from coauthor.schemas.team import Action
from coauthor.store.base import StoreBase, get_run, get_task
from coauthor.store.prepared import Prepared
from coauthor.store.records import (
    ConflictError,
    LiveState,
    NotFoundError,
    RevisionInfo,
    RunInfo,
    revision_info,
    run_info,
)
from coauthor.store.redact import redact
from coauthor.store.tables import (
    RUN_STATUSES,
    CheckpointRow,
    JsonObject,
    ProgressRow,
    RunRow,
    utcnow,
)
from coauthor.store.tasks import append_revision, insert_task


class RunStore(StoreBase):
    def create_run(
        self,
        brief: TaskBrief,
        *,
        model: str,
        task_id: int | None = None,
        options: RunOptions | None = None,
    ) -> RunInfo:
        """A new run in status ``running``, not yet claimed by any process."""
        with self._session() as s, s.begin():
            actor = self._require(s, Action.edit)
            if task_id is not None:
                get_task(s, task_id)
            now = utcnow()
            row = RunRow(
                task_id=task_id,
                status="running",
                brief=brief.model_dump(mode="json"),
                model=model,
                error=None,
                created_at=now,
                updated_at=now,
                owner=None,
                options=(options or RunOptions()).model_dump(mode="json"),
                actor=actor,
            )
            s.add(row)
            s.flush()
            return run_info(row)

    def run(self, run_id: int) -> RunInfo:
        """One run (a plain SELECT: read at a run's start and end and by every poller)."""
        with self.engine.connect() as c:
            row = c.execute(_RUN, {"the_run": run_id}).first()
        if row is None:
            raise NotFoundError(f"no run {run_id}")
        return run_info(cast(RunRow, row))

    def list_runs(self, *, status: str | None = None) -> list[RunInfo]:
        """Runs, newest first, optionally only those in ``status``."""
        query = sa.select(RunRow).order_by(RunRow.created_at.desc(), RunRow.id.desc())
        if status is not None:
            query = query.where(RunRow.status == check_status(status))
        with self._session() as s:
            return [run_info(row) for row in s.scalars(query)]

    def claim_run(self, run_id: int, owner: str, *, replacing: str | None) -> bool:
        """Make ``owner`` the one process executing the run, in one UPDATE that succeeds only
        while the run is not done and its owner is still ``replacing``; False if another
        process got there first."""
        where = [RunRow.id == run_id, RunRow.status != "done"]
        where.append(RunRow.owner.is_(None) if replacing is None else RunRow.owner == replacing)
        with self._session() as s, s.begin():
            moved = s.execute(
                sa.update(RunRow)
                .where(*where)
                .values(status="running", owner=owner, error=None, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            return cast(sa.CursorResult[Any], moved).rowcount == 1

    def set_run_status(self, run_id: int, status: str, *, error: str | None = None) -> None:
        """Move a run to ``status`` (a run that is not running has no owner); ``error`` is
        stored redacted. A done run stays done."""
        with self._session() as s, s.begin():
            row = get_run(s, run_id)
            if row.status == "done" and status != "done":
                raise ConflictError(f"run {run_id} is already done")
            row.status = check_status(status)
            if status != "running":
                row.owner = None
            row.error = None if error is None else redact(error)
            row.updated_at = utcnow()

    def save_checkpoint(self, run_id: int, stage: str, data: JsonObject) -> None:
        """Keep a stage's output; saving the same stage again replaces it.

        One statement in its own short transaction (no ORM session: a run saves one per
        stage, and the session's bookkeeping was most of its cost): an insert that
        replaces the data of a stage saved before. A missing run is found by the foreign
        key, not by a read first.
        """
        values = {"run_id": run_id, "stage": stage, "data": data, "created_at": utcnow()}
        try:
            with self._writing() as c:
                if c.dialect.name in _UPSERT_INSERTS:
                    _UPSERT_CHECKPOINT.execute(c, values)
                    return
                where = {"the_run": run_id, "the_stage": stage}
                if _count(c.execute(_REPLACE_CHECKPOINT, {**where, "data": data})) == 0:
                    c.execute(_INSERT_CHECKPOINT, values)
        except sa.exc.IntegrityError:
            raise NotFoundError(f"no run {run_id}") from None

    def checkpoints(self, run_id: int) -> dict[str, JsonObject]:
        """Stage name to saved data, in the order the stages were first saved."""
        with self.engine.connect() as c:
            saved = {row.stage: row.data for row in c.execute(_CHECKPOINTS, {"the_run": run_id})}
            if not saved and c.execute(_RUN_EXISTS, {"the_run": run_id}).first() is None:
                raise NotFoundError(f"no run {run_id}")
        return saved

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
            run = get_run(s, run_id)
            if run.status in ("done", "cancelled"):
                raise ConflictError(f"run {run_id} is already {run.status}")
            first, first_source, first_note = versions[0]
            actor = run.actor  # the run's revisions are made by whoever started it
            if run.task_id is None:
                task_row, revision = insert_task(
                    s, first, source=first_source, note=first_note, actor=actor
                )
                run.task_id = task_row.id
            else:
                revision = append_revision(
                    s, run.task_id, first, first_source, first_note, None, actor=actor
                )
            for version, version_source, version_note in versions[1:]:
                revision = append_revision(
                    s, run.task_id, version, version_source, version_note, None, actor=actor
                )
            run.status = "done"
            run.owner = None
            run.error = None
            run.updated_at = revision.created_at
            return revision_info(revision)

    # -- live progress ---------------------------------------------------------------
    def set_progress(
        self, run_id: int, progress: RunProgress, *, worker_pid: int | None = None
    ) -> bool:
        """Overwrite the live state of a run (its executor calls this as it goes); True when
        a cancellation has been requested, read in the same transaction (so the executor
        does not need a second round trip to learn it)."""
        values: dict[str, object] = {
            "data": progress.model_dump(mode="json"),
            "updated_at": utcnow(),
        }
        if worker_pid is not None:
            values["worker_pid"] = worker_pid
        with self._writing() as c:
            found = _SET_PROGRESS.execute(c, {"the_run": run_id, **values}).first()
            if found is not None:
                return bool(found[0])
            _INSERT_PROGRESS.execute(
                c, {"run_id": run_id, "cancel_requested": False, "worker_pid": None, **values}
            )
            return False

    def progress(self, run_id: int) -> LiveState | None:
        """What the run's executor last wrote; None before it wrote anything."""
        with self._session() as s:
            row = s.get(ProgressRow, run_id)
            if row is None:
                return None
            progress = RunProgress.model_validate(row.data) if row.data else RunProgress()
            return LiveState(
                row.run_id, progress, row.cancel_requested, row.worker_pid, row.updated_at
            )

    def request_cancel(self, run_id: int) -> None:
        """Ask the worker to stop; it does at its next chance and marks the run cancelled."""
        with self._session() as s, s.begin():
            row = _progress_row(s, run_id)
            row.cancel_requested = True
            row.updated_at = utcnow()

    def clear_cancel(self, run_id: int) -> None:
        with self._session() as s, s.begin():
            _progress_row(s, run_id).cancel_requested = False

    def cancel_requested(self, run_id: int) -> bool:
        with self._session() as s:
            row = s.get(ProgressRow, run_id)
            return row is not None and row.cancel_requested


# Statements built once (their compiled form is cached by the engine); the values come
# with each execution. Bound names differ from the column names the values set.
_RUN = sa.select(*RunRow.__table__.columns).where(RunRow.id == sa.bindparam("the_run"))
_RUN_EXISTS = sa.select(RunRow.id).where(RunRow.id == sa.bindparam("the_run"))
_CHECKPOINTS = (
    sa.select(CheckpointRow.stage, CheckpointRow.data)
    .where(CheckpointRow.run_id == sa.bindparam("the_run"))
    .order_by(CheckpointRow.id)
)
_REPLACE_CHECKPOINT = sa.update(CheckpointRow).where(
    CheckpointRow.run_id == sa.bindparam("the_run"),
    CheckpointRow.stage == sa.bindparam("the_stage"),
)
_INSERT_CHECKPOINT = sa.insert(CheckpointRow)


_UPSERT_INSERTS = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}
"""The dialects with an insert that can replace a conflicting row; others update, then
insert."""


def _upsert_checkpoint(dialect: str) -> sa.ClauseElement:
    """One statement that inserts a stage's checkpoint or replaces its data (keeping its
    place in the order and its creation time)."""
    statement: Any = _UPSERT_INSERTS[dialect](CheckpointRow)
    upsert = statement.on_conflict_do_update(
        index_elements=[CheckpointRow.run_id, CheckpointRow.stage],
        set_={"data": statement.excluded.data},
    )
    return cast(sa.ClauseElement, upsert)


_UPSERT_CHECKPOINT = Prepared(_upsert_checkpoint)  # compiled once per dialect
_SET_PROGRESS = Prepared(
    sa.update(ProgressRow)
    .where(ProgressRow.run_id == sa.bindparam("the_run", type_=sa.Integer))
    .returning(ProgressRow.cancel_requested)
)
_INSERT_PROGRESS = Prepared(sa.insert(ProgressRow))


def check_status(status: str) -> str:
    if status not in RUN_STATUSES:
        raise ValueError(f"unknown run status {status!r}; expected one of {RUN_STATUSES}")
    return status


def _count(result: sa.Result[Any]) -> int:
    """Rows an UPDATE matched."""
    return cast(sa.CursorResult[Any], result).rowcount


def _progress_row(s: Session, run_id: int) -> ProgressRow:
    row = s.get(ProgressRow, run_id)
    if row is None:
        row = ProgressRow(
            run_id=run_id, data={}, cancel_requested=False, worker_pid=None, updated_at=utcnow()
        )
        s.add(row)
    return row
