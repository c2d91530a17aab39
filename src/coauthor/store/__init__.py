"""Persistence: tasks and their revisions, runs and checkpoints, the logbook."""

from coauthor.store.engine import latest_revision, upgrade_database
from coauthor.store.records import (
    ConflictError,
    LiveState,
    LogEntry,
    NotFoundError,
    PermissionDenied,
    ReviewError,
    RevisionInfo,
    RunInfo,
    StoreError,
    TaskInfo,
    TeamError,
)
from coauthor.store.redact import redact
from coauthor.store.side import ChatMessage, DocumentVersion
from coauthor.store.store import Store
from coauthor.store.tables import RUN_STATUSES, ImmutableRevisionError, JsonObject

__all__ = [
    "RUN_STATUSES",
    "ChatMessage",
    "ConflictError",
    "DocumentVersion",
    "ImmutableRevisionError",
    "JsonObject",
    "LiveState",
    "LogEntry",
    "NotFoundError",
    "PermissionDenied",
    "ReviewError",
    "RevisionInfo",
    "RunInfo",
    "Store",
    "StoreError",
    "TaskInfo",
    "TeamError",
    "latest_revision",
    "redact",
    "upgrade_database",
]
