"""What every part of the Store shares: the engine, short sessions, lookups by id, and the
acting user whose role every write is checked against."""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Iterator
from typing import Self

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from coauthor.schemas.team import ALLOWED, Action, Role
from coauthor.store.records import NotFoundError, PermissionDenied
from coauthor.store.tables import RunRow, TaskRow, UserRow


class StoreBase:
    """An engine and a factory of short sessions; each Store method runs in its own.

    ``user`` is the name of the person acting through this Store (the studio's signed-in
    user, the CLI's ``COAUTHOR_USER``). On a database without users (single-user mode)
    everyone may do everything; once the database has users, every write checks the acting
    user's role and records their name.
    """

    def __init__(self, url: str, engine: sa.Engine, user: str | None = None) -> None:
        self.url = url
        self.engine = engine
        self.user = user
        self._held = threading.local()

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    @contextlib.contextmanager
    def holding(self) -> Iterator[None]:
        """Within the block, this thread's short writes (logbook rows, live progress,
        checkpoints: a run's many small transactions) share one connection instead of
        taking one from the pool and giving it back each time. Only for a SQLite file,
        whose pool has no upper bound (store/engine.py): a server's pool is bounded and
        shared by every thread of a worker, and must not run dry."""
        if (
            self.engine.dialect.name != "sqlite"
            or isinstance(self.engine.pool, StaticPool)
            or getattr(self._held, "connection", None) is not None
        ):
            yield
            return
        with self.engine.connect() as connection:
            self._held.connection = connection
            try:
                yield
            finally:
                self._held.connection = None

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sa.Connection]:
        """One short write transaction, on the connection this thread holds if it does."""
        held: sa.Connection | None = getattr(self._held, "connection", None)
        if held is None:
            with self.engine.begin() as connection:
                yield connection
        else:
            with held.begin():
                yield held

    def acting_as(self, user: str | None) -> Self:
        """This Store (same engine) acting as ``user``; closing either closes both."""
        other = copy.copy(self)
        other.user = user
        return other

    def _require(self, s: Session, action: Action) -> str | None:
        """The actor to record for ``action``; PermissionDenied if the acting user may not."""
        role = acting_role(s, self.user)
        if role is not None and role not in ALLOWED[action]:
            allowed = " or ".join(sorted(r.value for r in ALLOWED[action]))
            raise PermissionDenied(
                f"{self.user} is {role.value}: to {action.value} one must be {allowed}"
            )
        return self.user


def team_mode(s: Session) -> bool:
    """True once the database has users."""
    return s.scalar(sa.select(UserRow.id).limit(1)) is not None


def acting_role(s: Session, user: str | None) -> Role | None:
    """The role of ``user``; None in single-user mode (everything allowed). PermissionDenied
    on a team database for nobody or a name that is not a member."""
    if not team_mode(s):
        return None
    if not user:
        raise PermissionDenied("this is a team database: sign in (or set COAUTHOR_USER)")
    role = s.scalar(sa.select(UserRow.role).where(UserRow.name == user))
    if role is None:
        raise PermissionDenied(
            f"unknown user {user!r}: this is a team database; an admin adds members with "
            "coauthor users add NAME --role ROLE"
        )
    return Role(role)


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
