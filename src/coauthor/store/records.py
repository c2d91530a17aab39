"""What the Store returns: frozen records built from rows, and its errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from coauthor.schemas import Difficulty, Language, Task, TaskBrief, TaskType
from coauthor.schemas.calls import Message
from coauthor.schemas.runs import RunOptions, RunProgress
from coauthor.store.tables import JsonObject, LogRow, RevisionRow, RunRow, TaskRow


class StoreError(Exception):
    """Base class of the Store's errors."""


class ConflictError(StoreError):
    """A save was based on a revision that is no longer the head (or the run is over)."""


class NotFoundError(StoreError):
    """No task, revision or run with that id."""


class PermissionDenied(StoreError):  # noqa: N818 - the name the team knows it by
    """The acting user is unknown on a team database, or their role does not allow this."""


class TeamError(StoreError):
    """A change to the team or a review that cannot be made (the message says why)."""


class ReviewError(TeamError):
    """A review move that the task's status does not allow, or a submission not ready."""


@dataclass(frozen=True)
class TaskInfo:
    id: int
    title: str
    head_revision: int
    domain: str
    difficulty: Difficulty
    task_type: TaskType
    language: Language
    created_at: datetime
    updated_at: datetime
    deleted: bool


@dataclass(frozen=True)
class RevisionInfo:
    task_id: int
    number: int
    created_at: datetime
    source: str
    note: str
    task: Task
    actor: str | None = None


@dataclass(frozen=True)
class RunInfo:
    id: int
    status: str
    brief: TaskBrief
    model: str
    task_id: int | None
    error: str | None
    created_at: datetime
    updated_at: datetime
    owner: str | None = None
    options: RunOptions = field(default_factory=RunOptions)
    actor: str | None = None


@dataclass(frozen=True)
class LiveState:
    """A run's live progress as its executor last wrote it, and who that executor is."""

    run_id: int
    progress: RunProgress
    cancel_requested: bool
    worker_pid: int | None
    updated_at: datetime


@dataclass(frozen=True)
class LogEntry:
    id: int
    run_id: int | None
    task_id: int | None
    stage: str
    model: str
    messages: list[Message]
    reply: str
    tokens_in: int
    tokens_out: int
    latency_ms: int
    error: str | None
    created_at: datetime
    actor: str | None = None


def task_info(row: TaskRow, content: JsonObject) -> TaskInfo:
    brief = TaskBrief.model_validate(content["brief"])
    return TaskInfo(
        id=row.id,
        title=row.title,
        head_revision=row.head_revision,
        domain=brief.domain,
        difficulty=brief.difficulty,
        task_type=brief.task_type,
        language=brief.language,
        created_at=row.created_at,
        updated_at=row.updated_at,
        deleted=row.deleted_at is not None,
    )


def revision_info(row: RevisionRow) -> RevisionInfo:
    return RevisionInfo(
        task_id=row.task_id,
        number=row.number,
        created_at=row.created_at,
        source=row.source,
        note=row.note,
        task=Task.model_validate(row.content),
        actor=row.actor,
    )


def run_info(row: RunRow) -> RunInfo:
    return RunInfo(
        id=row.id,
        status=row.status,
        brief=TaskBrief.model_validate(row.brief),
        model=row.model,
        task_id=row.task_id,
        error=row.error,
        created_at=row.created_at,
        updated_at=row.updated_at,
        owner=row.owner,
        options=RunOptions.model_validate(row.options or {}),
        actor=row.actor,
    )


def log_entry(row: LogRow) -> LogEntry:
    return LogEntry(
        id=row.id,
        run_id=row.run_id,
        task_id=row.task_id,
        stage=row.stage,
        model=row.model,
        messages=[Message(role=m["role"], content=m["content"]) for m in row.messages],
        reply=row.reply,
        tokens_in=row.tokens_in,
        tokens_out=row.tokens_out,
        latency_ms=row.latency_ms,
        error=row.error,
        created_at=row.created_at,
        actor=row.actor,
    )
