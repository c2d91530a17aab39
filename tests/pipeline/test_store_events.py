"""Live progress in the store: one write per stage, nothing lost at the end, cancellation."""

from __future__ import annotations

from pathlib import Path

import pytest

from coauthor.pipeline import progress
from coauthor.pipeline.brief import make_brief
from coauthor.pipeline.progress import StoreEvents
from coauthor.pipeline.runner import RunCancelledError
from coauthor.schemas.runs import RunProgress
from coauthor.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'db.sqlite'}")


def written(store: Store, run_id: int) -> RunProgress:
    live = store.progress(run_id)
    assert live is not None
    return live.progress


def test_a_stage_end_is_written_with_the_next_write_and_at_the_runs_end(store: Store) -> None:
    run = store.create_run(make_brief("idea", steps=1), model="m")
    events = StoreEvents(store, run.id)
    events.stage_started("plan", total=1)
    assert written(store, run.id).stage == "plan"
    events.stage_finished("plan", total=1)
    assert written(store, run.id).stages_done == 0  # not yet: the next stage follows at once
    events.stage_started("step", step=1, total=1)
    assert (written(store, run.id).stage, written(store, run.id).stages_done) == ("step", 1)
    events.stage_finished("step", step=1, total=1)
    events.run_ended()
    assert written(store, run.id).stages_done == 2


def test_streamed_text_is_gathered_and_written_when_due(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = store.create_run(make_brief("idea", steps=1), model="m")
    events = StoreEvents(store, run.id)
    events.stage_started("plan", total=1)
    monkeypatch.setattr(progress, "WRITE_EVERY_S", 3600.0)
    events.text("Hello, ")
    events.text("world")
    assert written(store, run.id).text == ""  # throttled
    monkeypatch.setattr(progress, "WRITE_EVERY_S", 0.0)
    events.text("!")
    assert written(store, run.id).text == "Hello, world!"
    events.stage_started("step", step=1, total=1)
    assert written(store, run.id).text == ""  # a new stage starts with no text


def test_a_cancellation_stops_the_run_at_the_next_stage(store: Store) -> None:
    run = store.create_run(make_brief("idea", steps=1), model="m")
    events = StoreEvents(store, run.id)
    events.stage_started("plan", total=1)
    assert not store.set_progress(run.id, written(store, run.id))
    store.request_cancel(run.id)
    assert store.set_progress(run.id, written(store, run.id))  # the write reads the flag
    with pytest.raises(RunCancelledError):
        events.stage_started("step", step=1, total=1)
