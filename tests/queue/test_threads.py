"""A worker with --concurrency N runs N jobs in threads of one process: each opens the
store at the same moment, and each must finish."""

from __future__ import annotations

import threading
from pathlib import Path

from scripted_worker import replay

from coauthor.pipeline.brief import make_brief
from coauthor.pipeline.worker import work
from coauthor.settings import Settings
from coauthor.store import Store


def test_four_runs_in_four_threads_of_one_worker_all_finish(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'threads.db'}")
    store = Store(settings.database_url)
    runs = [store.create_run(make_brief(f"idea {n}", steps=1), model="x") for n in range(4)]
    codes: dict[int, int] = {}

    def one(run_id: int) -> None:
        codes[run_id] = work(settings, run_id, take_over=True, model_factory=replay)

    threads = [threading.Thread(target=one, args=(run.id,)) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert codes == {run.id: 0 for run in runs}
    assert [store.run(run.id).status for run in runs] == ["done"] * 4
    assert len(store.list_tasks()) == 4
