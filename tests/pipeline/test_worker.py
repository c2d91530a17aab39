from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coauthor.llm.base import Completion, JsonSchema
from coauthor.llm.registry import registered_backend
from coauthor.llm.testing import ScriptedModel
from coauthor.pipeline.brief import make_brief
from coauthor.pipeline.worker import work
from coauthor.schemas.calls import Message
from coauthor.settings import Settings
from coauthor.store import Store
from coauthor.testing import run_replies


class CancellingModel(ScriptedModel):
    """Asks the store to cancel its run after ``after`` requests, like an author would."""

    def __init__(self, replies: list[Any], *, store: Store, run_id: int, after: int) -> None:
        super().__init__(replies)
        self.store, self.run_id, self.after = store, run_id, after

    def _complete(
        self, messages: list[Message], *, schema: JsonSchema | None, max_tokens: int
    ) -> Completion:
        if len(self.requests) == self.after:
            self.store.request_cancel(self.run_id)
        return super()._complete(messages, schema=schema, max_tokens=max_tokens)


@pytest.fixture
def models() -> Iterator[dict[str, ScriptedModel]]:
    """``workertest:NAME`` is the model put under NAME here."""
    made: dict[str, ScriptedModel] = {}
    with registered_backend("workertest", lambda argument, settings: made[argument]):
        yield made


@pytest.fixture
def settings(tmp_path: Path, models: dict[str, ScriptedModel]) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'w.db'}")


def test_a_worker_runs_to_the_end_and_leaves_live_progress(
    settings: Settings, models: dict[str, ScriptedModel]
) -> None:
    store = Store(settings.database_url)
    run = store.create_run(make_brief("idea", steps=2), model="workertest:full")
    models["full"] = ScriptedModel(run_replies(2))
    assert work(settings, run.id) == 0
    assert store.run(run.id).status == "done"
    progress = store.progress(run.id)
    assert progress is not None and progress.worker_pid is not None
    assert progress.progress.stages_done == 6 and progress.progress.total == 2
    assert progress.progress.tokens_out > 0
    assert progress.progress.text  # the last reply, streamed in


def test_cancel_stops_the_run_and_it_resumes_later(
    settings: Settings, models: dict[str, ScriptedModel]
) -> None:
    store = Store(settings.database_url)
    run = store.create_run(make_brief("idea", steps=2), model="workertest:cancel")
    replies = run_replies(2)
    models["cancel"] = CancellingModel(replies, store=store, run_id=run.id, after=3)
    assert work(settings, run.id) == 0
    cancelled = store.run(run.id)
    assert cancelled.status == "cancelled" and store.list_tasks() == []
    done = set(store.checkpoints(run.id))
    assert done and "summary:2" not in done

    calls_done = len(models["cancel"].requests)
    models["cancel"].replies.clear()  # the cancelled run never asked for the rest
    redo_from = {1: 0, 2: 1, 3: 2, 5: 2, 6: 5}.get(calls_done, calls_done)
    models["cancel"] = ScriptedModel(replies[_first_call_of_unfinished(done) :])
    assert redo_from >= 0
    assert work(settings, run.id) == 0
    assert store.run(run.id).status == "done"


def _first_call_of_unfinished(done: set[str]) -> int:
    calls = [("lessons", 1), ("plan", 1), ("step:1", 3), ("summary:1", 1), ("step:2", 3)]
    first = 0
    for stage, count in calls:
        if stage not in done:
            return first
        first += count
    return first
