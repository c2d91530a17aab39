"""Fixtures of the copilot tests: a real SQLite store and sessions over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from copilot_helpers import SessionFactory

from coauthor.copilot import Session
from coauthor.llm.testing import ScriptedModel
from coauthor.schemas import Task
from coauthor.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'copilot.db'}") as opened:
        yield opened


@pytest.fixture
def session(store: Store, tmp_path: Path) -> SessionFactory:
    """``session(model=..., task=Task|None, **fields)``: a session with the task stored and open."""

    def make(
        *, model: ScriptedModel | None = None, task: Task | None = None, **fields: object
    ) -> Session:
        task_id = None if task is None else store.create_task(task).id
        built = Session(store, model=model, task_id=task_id, out_dir=tmp_path / "exports")
        for name, value in fields.items():
            setattr(built, name, value)
        return built

    return make
