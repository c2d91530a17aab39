"""ORM tables. Portable across SQLite and PostgreSQL; the migrations create them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column

RUN_STATUSES = ("running", "failed", "done", "cancelled")

JsonObject = dict[str, Any]
"""A JSON column's value: free-form here; each caller validates it into its own model."""

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware timestamp stored in UTC; SQLite drops the zone, this restores it."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a timezone-aware column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def storable(value: str | None, length: int | None = None) -> str | None:
    """Text as both databases keep it: PostgreSQL refuses NUL characters and enforces
    lengths that SQLite ignores, so NUL becomes U+FFFD and text is cut at ``length``."""
    if value is None:
        return None
    value = value.replace("\x00", "\ufffd")
    return value if length is None else value[:length]


class CleanText(sa.TypeDecorator[str]):
    """Unbounded text, NUL-free (see ``storable``)."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return storable(value)


class CleanString(sa.TypeDecorator[str]):
    """Text of at most ``length`` characters, NUL-free (see ``storable``)."""

    impl = sa.String
    cache_ok = True

    def __init__(self, length: int) -> None:
        super().__init__(length)
        self.length = length  # named like the argument, so statement caching tells lengths apart

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return storable(value, self.length)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        JsonObject: sa.JSON,
        str: CleanText,
    }


class TaskRow(Base):
    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]
    head_revision: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]


class RevisionRow(Base):
    """One immutable version of a task's content."""

    __tablename__ = "revisions"
    __table_args__ = (sa.UniqueConstraint("task_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id"))
    number: Mapped[int]
    created_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(CleanString(100))
    note: Mapped[str]
    content: Mapped[JsonObject]
    actor: Mapped[str | None] = mapped_column(CleanString(200))
    """The user who made it; None in single-user mode or before the team tables."""


class RunRow(Base):
    __tablename__ = "runs"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ({})".format(", ".join(f"'{s}'" for s in RUN_STATUSES)), name="status"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tasks.id"), index=True)
    status: Mapped[str] = mapped_column(CleanString(20), index=True)
    brief: Mapped[JsonObject]
    model: Mapped[str]
    error: Mapped[str | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    owner: Mapped[str | None] = mapped_column(CleanString(200))
    """``pid@host`` of the process executing the run; None when nobody is."""
    options: Mapped[JsonObject | None]
    actor: Mapped[str | None] = mapped_column(CleanString(200))
    """The user who started the run; its revisions and logbook rows are theirs."""


class CheckpointRow(Base):
    __tablename__ = "checkpoints"
    __table_args__ = (sa.UniqueConstraint("run_id", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("runs.id"))
    stage: Mapped[str] = mapped_column(CleanString(100))
    data: Mapped[JsonObject]
    created_at: Mapped[datetime]


class LogRow(Base):
    __tablename__ = "logbook"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("runs.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tasks.id"), index=True)
    stage: Mapped[str] = mapped_column(CleanString(100))
    model: Mapped[str]
    messages: Mapped[list[dict[str, str]]] = mapped_column(sa.JSON)
    reply: Mapped[str]
    tokens_in: Mapped[int]
    tokens_out: Mapped[int]
    latency_ms: Mapped[int]
    error: Mapped[str | None]
    created_at: Mapped[datetime]
    actor: Mapped[str | None] = mapped_column(CleanString(200))


class ImmutableRevisionError(RuntimeError):
    """Something tried to change or delete a stored revision."""


@event.listens_for(RevisionRow, "before_update")
def _no_update(mapper: Mapper[Any], connection: sa.Connection, target: RevisionRow) -> None:
    raise ImmutableRevisionError(f"revision {target.number} of task {target.task_id} is immutable")


@event.listens_for(RevisionRow, "before_delete")
def _no_delete(mapper: Mapper[Any], connection: sa.Connection, target: RevisionRow) -> None:
    raise ImmutableRevisionError(f"revision {target.number} of task {target.task_id} is immutable")


class DocumentRow(Base):
    """One version of a named document (the master document); versions are never changed."""

    __tablename__ = "documents"
    __table_args__ = (sa.UniqueConstraint("name", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(CleanString(100))
    number: Mapped[int]
    text: Mapped[str]
    note: Mapped[str]
    created_at: Mapped[datetime]


class ChatRow(Base):
    """One message of the copilot chat, kept per task (``task_id`` None: no task open)."""

    __tablename__ = "chat_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tasks.id"), index=True)
    role: Mapped[str] = mapped_column(CleanString(20))
    content: Mapped[str]
    meta: Mapped[JsonObject]
    created_at: Mapped[datetime]


class ExternalPageRow(Base):
    """Where a task was exported outside (a Notion page id), so re-exports update it."""

    __tablename__ = "external_pages"
    __table_args__ = (sa.UniqueConstraint("task_id", "target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id"))
    target: Mapped[str] = mapped_column(CleanString(50))
    external_id: Mapped[str]
    updated_at: Mapped[datetime]


class ProgressRow(Base):
    """Live state of a run for the views that poll it; overwritten as the run goes."""

    __tablename__ = "run_progress"

    run_id: Mapped[int] = mapped_column(sa.ForeignKey("runs.id"), primary_key=True)
    data: Mapped[JsonObject]
    cancel_requested: Mapped[bool] = mapped_column(sa.Boolean)
    worker_pid: Mapped[int | None]
    updated_at: Mapped[datetime]


# -- the team (migration 0005) ------------------------------------------------------------
class UserRow(Base):
    """A member of the team. A database without users is in single-user mode."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(CleanString(200), unique=True)
    role: Mapped[str] = mapped_column(CleanString(20))
    display_name: Mapped[str]
    created_at: Mapped[datetime]


class TaskReviewRow(Base):
    """A task's review status, waivers and who owns which part; no row: a draft."""

    __tablename__ = "task_reviews"

    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id"), primary_key=True)
    status: Mapped[str] = mapped_column(CleanString(30), index=True)
    submitted_revision: Mapped[int | None]
    approved_revision: Mapped[int | None]
    waivers: Mapped[JsonObject]
    assignments: Mapped[JsonObject]
    updated_at: Mapped[datetime]


class ReviewEventRow(Base):
    """One move of the review workflow: who moved the task, from where to where."""

    __tablename__ = "review_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id"), index=True)
    revision: Mapped[int]
    move: Mapped[str] = mapped_column(CleanString(30))
    before: Mapped[str] = mapped_column(CleanString(30))
    after: Mapped[str] = mapped_column(CleanString(30))
    actor: Mapped[str | None] = mapped_column(CleanString(200))
    note: Mapped[str]
    created_at: Mapped[datetime]


class CommentRow(Base):
    """A comment on a step (or one part of it) of the revision it was made on."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id"), index=True)
    revision: Mapped[int]
    step: Mapped[int]
    part: Mapped[str | None] = mapped_column(CleanString(30))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comments.id"))
    actor: Mapped[str | None] = mapped_column(CleanString(200))
    text: Mapped[str]
    created_at: Mapped[datetime]
    resolved_by: Mapped[str | None] = mapped_column(CleanString(200))
    resolved_at: Mapped[datetime | None]


class ExportRow(Base):
    """Who exported which revision of a task, in which format."""

    __tablename__ = "exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id"), index=True)
    revision: Mapped[int]
    format: Mapped[str] = mapped_column(CleanString(50))
    actor: Mapped[str | None] = mapped_column(CleanString(200))
    created_at: Mapped[datetime]


# -- metrics (migration 0006) ---------------------------------------------------------------
class BugRow(Base):
    """A bug reported against a task; closed ones are kept."""

    __tablename__ = "bugs"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id"), index=True)
    text: Mapped[str]
    status: Mapped[str] = mapped_column(CleanString(20))
    reporter: Mapped[str | None] = mapped_column(CleanString(200))
    created_at: Mapped[datetime]
    closed_by: Mapped[str | None] = mapped_column(CleanString(200))
    closed_at: Mapped[datetime | None]


# -- students' results (migration 0007) -----------------------------------------------------
class StepResultRow(Base):
    """One student's score on one step, from the latest file of a source (otter, nbgrader)
    imported for the task; importing that source again replaces these rows."""

    __tablename__ = "step_results"
    __table_args__ = (
        sa.UniqueConstraint("task_id", "source", "student", "step", name="uq_step_results_score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id"), index=True)
    source: Mapped[str] = mapped_column(CleanString(20))
    file: Mapped[str] = mapped_column(CleanString(500))
    student: Mapped[str] = mapped_column(CleanString(500))
    step: Mapped[int]
    score: Mapped[float] = mapped_column(sa.Float())
    possible: Mapped[float] = mapped_column(sa.Float())
    actor: Mapped[str | None] = mapped_column(CleanString(200))
    imported_at: Mapped[datetime]
