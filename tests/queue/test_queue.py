"""Runs on the job queue: worker processes share the jobs, each run is executed once, and
a job of a killed worker is picked up by another that resumes from the checkpoints."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from coauthor.cli import main
from coauthor.pipeline.brief import make_brief
from coauthor.queue.app import apply_schema, libpq_url, open_app
from coauthor.queue.jobs import QueuedJob, QueueLimitError, cancel_run, enqueue_run, queue_jobs
from coauthor.store import Store

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
FAST = "0.5,3,0.5,0.3"
"""heartbeat, stalled, recover, poll (seconds): a dead worker is seen within seconds."""


class Workers:
    def __init__(self, database_url: str, queue_url: str, log_dir: Path) -> None:
        self.env = {
            **os.environ,
            "COAUTHOR_DATABASE_URL": database_url,
            "COAUTHOR_QUEUE_URL": queue_url,
            "COAUTHOR_WORKER_TIMING": FAST,
            "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        }
        self.log_dir = log_dir
        self.started: list[subprocess.Popen[bytes]] = []

    def start(
        self, name: str, *, concurrency: int = 1, delay: float = 0.0
    ) -> subprocess.Popen[bytes]:
        env = {**self.env, "SCRIPTED_DELAY": str(delay)}
        with (self.log_dir / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, str(HERE / "scripted_worker.py"), str(concurrency), name],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.started.append(process)
        return process

    def stop(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in self.started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def logs(self) -> str:
        return "\n".join(p.read_text()[-3000:] for p in sorted(self.log_dir.glob("*.log")))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'runs.db'}") as opened:
        yield opened


@pytest.fixture
def workers(tmp_path: Path, store: Store, queue_url: str) -> Iterator[Workers]:
    logs = tmp_path / "logs"
    logs.mkdir()
    started = Workers(str(store.engine.url), queue_url, logs)
    yield started
    started.stop()


@pytest.fixture
def queue(queue_url: str):  # type: ignore[no-untyped-def]
    url = libpq_url(queue_url)
    app = open_app(url)
    apply_schema(app, url)
    with app.open():
        yield app


def wait_for(check, timeout: float, what: str, workers: Workers) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}\n{workers.logs()}")


def test_two_workers_share_a_batch_and_each_run_is_done_once(
    store: Store,
    workers: Workers,
    queue,  # type: ignore[no-untyped-def]
) -> None:
    runs = [store.create_run(make_brief(f"idea {n}", steps=1), model="scripted") for n in range(6)]
    for run in runs:
        assert enqueue_run(queue, run.id, verify=False, batch="b1") is not None
    assert enqueue_run(queue, runs[0].id, verify=False, batch="b1") is None  # already waiting
    workers.start("w1", delay=0.05)
    workers.start("w2", delay=0.05)
    wait_for(
        lambda: all(j.status == "succeeded" for j in queue_jobs(queue)), 120, "every job", workers
    )
    assert all(store.run(r.id).status == "done" for r in runs)
    jobs = queue_jobs(queue)
    assert sorted(j.run_id for j in jobs) == sorted(r.id for r in runs)
    assert all(j.status == "succeeded" and j.attempts == 1 for j in jobs)
    tasks = store.list_tasks()
    assert len(tasks) == len(runs)
    for run in runs:
        done = store.run(run.id)
        assert done.task_id is not None
        assert store.revision(done.task_id).number == 1  # no duplicated revision


def test_a_job_of_a_killed_worker_is_finished_by_another(
    store: Store,
    workers: Workers,
    queue,  # type: ignore[no-untyped-def]
) -> None:
    run = store.create_run(make_brief("idea", steps=3), model="scripted")
    enqueue_run(queue, run.id, verify=False)
    doomed = workers.start("doomed", delay=0.4)
    wait_for(lambda: len(store.checkpoints(run.id)) >= 3, 60, "a few stages", workers)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    assert store.run(run.id).status == "running"
    workers.start("rescuer", delay=0.0)
    wait_for(lambda: [j.status for j in queue_jobs(queue)] == ["succeeded"], 90, "the job", workers)
    finished = store.run(run.id)
    assert finished.task_id is not None
    revision = store.revision(finished.task_id)
    assert revision.number == 1 and len(revision.task.steps) == 3
    assert [j.attempts for j in queue_jobs(queue)] == [2]


def test_cancel_a_waiting_run_and_the_author_limit(
    store: Store,
    queue,  # type: ignore[no-untyped-def]
) -> None:
    first = store.create_run(make_brief("idea", steps=1), model="scripted")
    second = store.create_run(make_brief("idea", steps=1), model="scripted")
    enqueue_run(queue, first.id, verify=False, user="ann", limit=1)
    with pytest.raises(QueueLimitError, match="ann already has 1 runs"):
        enqueue_run(queue, second.id, verify=False, user="ann", limit=1)
    cancel_run(queue, store, first.id)
    assert store.run(first.id).status == "cancelled"
    assert [j.status for j in queue_jobs(queue, run_id=first.id)] == ["cancelled"]
    assert enqueue_run(queue, second.id, verify=False, user="ann", limit=1) is not None


def test_an_authors_run_goes_before_waiting_batch_items(
    store: Store,
    workers: Workers,
    queue,  # type: ignore[no-untyped-def]
) -> None:
    batch = [store.create_run(make_brief(f"b {n}", steps=1), model="scripted") for n in range(3)]
    for run in batch:
        enqueue_run(queue, run.id, verify=False, batch="b")
    mine = store.create_run(make_brief("mine", steps=1), model="scripted")
    enqueue_run(queue, mine.id, verify=False, user="ann")
    workers.start("only")
    wait_for(
        lambda: all(store.run(r.id).status == "done" for r in [*batch, mine]), 60, "all", workers
    )
    finished = sorted([*batch, mine], key=lambda r: store.run(r.id).updated_at)
    assert finished[0].id == mine.id


def test_a_batch_from_the_cli_runs_on_two_workers_and_a_failed_item_stops_nothing(
    tmp_path: Path,
    store: Store,
    workers: Workers,
    queue_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    backlog = tmp_path / "backlog.csv"
    backlog.write_text(
        "idea,steps\nFirst idea,1\nSecond idea,1\nThis one will FAIL,1\nFourth idea,2\n"
    )
    monkeypatch.setenv("COAUTHOR_DATABASE_URL", str(store.engine.url))
    monkeypatch.setenv("COAUTHOR_QUEUE_URL", queue_url)
    monkeypatch.setenv("COAUTHOR_MODEL", "scripted")
    workers.start("w1")
    workers.start("w2")
    with pytest.raises(SystemExit) as code:
        main(["batch", str(backlog), "--concurrency", "0", "--no-verify", "--json"])
    assert code.value.code == 1  # one item failed
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "finished"
    assert report["summary"]["not verified"] == 3 and report["summary"]["failed"] == 1
    failed = [i for i in report["items"] if i["outcome"] == "failed"]
    assert failed[0]["line"] == 4 and "refuses this idea" in failed[0]["error"]
    assert len(store.list_tasks()) == 3
    jobs = queue_jobs_of(queue_url)
    assert sorted(j.run_id for j in jobs) == sorted(i["run_id"] for i in report["items"])

    with pytest.raises(SystemExit) as code:
        main(["batch", "--status", report["batch_id"], "--json"])
    assert json.loads(capsys.readouterr().out)["summary"] == report["summary"]


def queue_jobs_of(url: str) -> list[QueuedJob]:
    app = open_app(libpq_url(url))
    with app.open():
        return queue_jobs(app)
