"""Runs hold a connection each for their writes: many at once never wait for the pool."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from coauthor.pipeline.brief import make_brief
from coauthor.schemas.calls import CallRecord, Usage
from coauthor.schemas.runs import RunProgress
from coauthor.store import Store

RUNS = 24
"""More than the pool keeps (store/engine.py) and more than SQLAlchemy's default bound (15
connections), which made the 16th holder wait 30 s and fail."""


def test_more_runs_than_the_pool_keeps_write_at_once(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'held.db'}")
    runs = [store.create_run(make_brief("An idea"), model="scripted").id for _ in range(RUNS)]
    all_holding = threading.Barrier(RUNS, timeout=20)
    failures: list[BaseException] = []

    def work(run_id: int) -> None:
        try:
            with store.holding():
                store.set_progress(run_id, RunProgress(stage="plan"))
                all_holding.wait()  # every thread holds its connection now
                store.log_call(CallRecord("m", [], "ok", Usage(), 0.0), stage="plan", run_id=run_id)
                store.save_checkpoint(run_id, "plan", {"run": run_id})
                assert store.run(run_id).id == run_id  # a read beside the held connection
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(run_id,)) for run_id in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures, failures[0]
    assert time.monotonic() - started < 25
    assert all(store.checkpoints(run_id) == {"plan": {"run": run_id}} for run_id in runs)
    assert len(store.logbook()) == RUNS
    store.close()
