"""What every part of the Store shares: the engine, short sessions, lookups by id."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coauthor.store.records import NotFoundError
from coauthor.store.tables import RunRow, TaskRow


class StoreBase:
    """An engine and a factory of short sessions; each Store method runs in its own."""

    def __init__(self, url: str, engine: sa.Engine) -> None:
        self.url = url
        self.engine = engine

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


def get_task(s: Session, task_id: int) -> TaskRow:
    row = s.get(TaskRow, task_id)
    if row is None:
        raise NotFoundError(f"no task {task_id}")
    return row


def get_run(s: Session, run_id: int) -> RunRow:
    row = s.get(RunRow, run_id)
    if row is None:
        raise NotFoundError(f"no run {run_id}")
    return row
