"""The Store: tasks with immutable revisions, runs with checkpoints, and the side tables."""

from __future__ import annotations

from coauthor.store.bugs import BugStore
from coauthor.store.engine import make_engine, upgrade
from coauthor.store.results import ResultStore
from coauthor.store.runs import RunStore
from coauthor.store.side import SideStore
from coauthor.store.tasks import TaskStore
from coauthor.store.team import TeamStore


class Store(TeamStore, ResultStore, TaskStore, RunStore, SideStore, BugStore):
    """All persistence. Each method runs in its own short transaction."""

    def __init__(self, url: str, user: str | None = None) -> None:
        """Open (and upgrade) the database at ``url``, acting as ``user`` (see StoreBase)."""
        engine = make_engine(url)
        try:
            upgrade(engine)
        except Exception:
            engine.dispose()
            raise
        super().__init__(url, engine, user)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
