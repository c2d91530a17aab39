"""Persistence: tasks and their revisions, runs and checkpoints, the logbook."""

from coauthor.store.records import (
    ConflictError,
    LogEntry,
    NotFoundError,
    RevisionInfo,
    RunInfo,
    StoreError,
    TaskInfo,
)
from coauthor.store.redact import redact
from coauthor.store.side import ChatMessage, DocumentVersion, RunProgress
from coauthor.store.store import Store
from coauthor.store.tables import RUN_STATUSES, ImmutableRevisionError

__all__ = [
    "RUN_STATUSES",
    "ChatMessage",
    "ConflictError",
    "DocumentVersion",
    "ImmutableRevisionError",
    "LogEntry",
    "NotFoundError",
    "RevisionInfo",
    "RunInfo",
    "RunProgress",
    "Store",
    "StoreError",
    "TaskInfo",
    "redact",
]
