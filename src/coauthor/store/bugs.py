"""The bug list: reports filed against a task, and closing them."""

from __future__ import annotations

import sqlalchemy as sa

from coauthor.schemas.metrics import Bug, BugStatus
from coauthor.schemas.team import Action
from coauthor.store.base import StoreBase, get_task
from coauthor.store.records import NotFoundError
from coauthor.store.redact import redact
from coauthor.store.tables import BugRow, utcnow

MAX_BUG = 5000


class BugStore(StoreBase):
    def file_bug(self, task_id: int, text: str) -> Bug:
        """Report a bug against a task (anyone who may comment may)."""
        text = redact(text.strip())
        if not text:
            raise ValueError("a bug report needs some text")
        with self._session() as s, s.begin():
            reporter = self._require(s, Action.comment)
            get_task(s, task_id)
            row = BugRow(
                task_id=task_id,
                text=text[:MAX_BUG],
                status=BugStatus.open.value,
                reporter=reporter,
                created_at=utcnow(),
            )
            s.add(row)
            s.flush()
            return _bug(row)

    def close_bug(self, bug_id: int, *, closed: bool = True) -> Bug:
        """Close a bug (or reopen it with ``closed=False``)."""
        with self._session() as s, s.begin():
            actor = self._require(s, Action.comment)
            row = s.get(BugRow, bug_id)
            if row is None:
                raise NotFoundError(f"no bug {bug_id}")
            row.status = (BugStatus.closed if closed else BugStatus.open).value
            row.closed_by = actor if closed else None
            row.closed_at = utcnow() if closed else None
            s.flush()
            return _bug(row)

    def bugs(self, task_id: int | None = None) -> list[Bug]:
        """Bugs, oldest first, of one task or all."""
        query = sa.select(BugRow).order_by(BugRow.id)
        if task_id is not None:
            query = query.where(BugRow.task_id == task_id)
        with self._session() as s:
            return [_bug(row) for row in s.scalars(query)]


def _bug(row: BugRow) -> Bug:
    return Bug(
        id=row.id,
        task_id=row.task_id,
        text=row.text,
        status=BugStatus(row.status),
        reporter=row.reporter,
        created_at=row.created_at,
        closed_by=row.closed_by,
        closed_at=row.closed_at,
    )
