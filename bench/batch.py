"""Wall time of a batch on the job queue against the ideal, with a model whose speed is
known: every call takes ``--delay`` seconds and at most 4 calls are served at once (the
capacity of one model server), shared by every worker process.

    .venv/bin/python bench/batch.py [--ideas 8] [--steps 2] [--delay 0.5]

Rows: 1 worker x 1, 1 worker x 4, 2 workers x 4 (8 in flight against capacity 4). The
ideal is the total model time divided by min(concurrency, capacity). Queue and store:
a private PostgreSQL cluster and a SQLite file in a temporary folder, removed after.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.table import Table

from coauthor.llm.base import Completion, JsonSchema, Model
from coauthor.llm.testing import ScriptedModel
from coauthor.schemas.calls import Message
from coauthor.settings import Settings
from coauthor.store import RunInfo, Store
from coauthor.testing import run_replies

CAPACITY = 4


class CappedModel(ScriptedModel):
    """Each reply holds one of CAPACITY slot files (flock) for ``delay`` seconds.

    Callers waiting for a slot queue on a gate (a blocking flock), so only one of them
    polls the slots at a time: eight waiting threads polling every few milliseconds took
    CPU time from the runs being measured.
    """

    def __init__(self, replies: list[object], delay: float, slots: Path) -> None:
        super().__init__(replies)  # type: ignore[arg-type]
        self.delay, self.slots = delay, slots

    def _complete(
        self, messages: list[Message], *, schema: JsonSchema | None, max_tokens: int
    ) -> Completion:
        with (self.slots / "gate").open("a") as gate:
            fcntl.flock(gate, fcntl.LOCK_EX)
            held = self._take_slot()
            fcntl.flock(gate, fcntl.LOCK_UN)
        with held:
            time.sleep(self.delay)
            return super()._complete(messages, schema=schema, max_tokens=max_tokens)

    def _take_slot(self) -> TextIO:
        """An open slot file this process holds the lock of (closing it frees the slot)."""
        while True:
            for slot in range(CAPACITY):
                handle = (self.slots / f"slot{slot}").open("a")
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    handle.close()
                    continue
                return handle
            time.sleep(0.002)


def calls_per_run(steps: int) -> int:
    return len(run_replies(steps))


def replay(run: RunInfo, settings: Settings, store: Store) -> Model:
    done = set(store.checkpoints(run.id))
    calls = [("lessons", 1), ("plan", 1)]
    for n in range(1, run.brief.steps + 1):
        calls += [(f"step:{n}", 3), (f"summary:{n}", 1)]
    start = 0
    for stage, count in calls:
        if stage not in done:
            break
        start += count
    replies = run_replies(run.brief.steps)[start:]
    return CappedModel(replies, float(os.environ["BENCH_DELAY"]), Path(os.environ["BENCH_SLOTS"]))


def worker_main(concurrency: int) -> None:
    from coauthor.queue import jobs
    from coauthor.queue.worker import serve

    jobs.model_factory = replay
    os.environ.setdefault("COAUTHOR_WORKER_LOG", "WARNING")
    serve(Settings(), concurrency=concurrency)


def done_count(database: str, ids: list[int]) -> int:
    """How many of the runs ``ids`` are done, read straight from the SQLite file."""
    path = database.removeprefix("sqlite:///")
    marks = ",".join("?" * len(ids))
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as connection:
        query = f"SELECT count(*) FROM runs WHERE status = 'done' AND id IN ({marks})"
        return int(connection.execute(query, ids).fetchone()[0])


def measure(
    folder: Path, queue_url: str, ideas: int, steps: int, delay: float, layout: tuple[int, int]
) -> float:
    from coauthor.pipeline.brief import make_brief
    from coauthor.queue.app import apply_schema, open_app
    from coauthor.queue.jobs import enqueue_run, queue_jobs

    workers, concurrency = layout
    database = f"sqlite:///{folder / f'bench-{workers}x{concurrency}.db'}"
    slots = folder / "slots"
    slots.mkdir(exist_ok=True)
    schema = f"w{workers}c{concurrency}"
    env = {
        **os.environ,
        "COAUTHOR_DATABASE_URL": database,
        "COAUTHOR_QUEUE_URL": queue_url + f"&options=-csearch_path%3D{schema}",
        "BENCH_DELAY": str(delay),
        "BENCH_SLOTS": str(slots),
    }
    url = env["COAUTHOR_QUEUE_URL"]
    import psycopg

    with psycopg.connect(queue_url, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    app = open_app(url)
    apply_schema(app, url)
    started = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", str(concurrency)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    store = Store(database)
    try:
        with app.open():
            connector = app.connector.get_sync_connector()
            while (
                connector.execute_query_one("SELECT count(*) AS n FROM procrastinate_workers")["n"]
                < workers
            ):
                time.sleep(0.2)
            runs = [
                store.create_run(make_brief(f"Bench idea {n}", steps=steps), model="bench")
                for n in range(ideas)
            ]
            begin = time.perf_counter()
            for run in runs:
                enqueue_run(app, run.id, verify=False, batch="bench")
            ids = [r.id for r in runs]
            checked = begin
            # one cheap query a tick: the bench shares the CPUs it measures, and reading
            # every run through the store 20 times a second cost the workers CPU time
            while done_count(database, ids) < len(ids):
                if time.perf_counter() - checked > 1.0:
                    failed = [j for j in queue_jobs(app) if j.status == "failed"]
                    if failed:
                        raise RuntimeError(f"runs {[j.run_id for j in failed]} failed")
                    checked = time.perf_counter()
                time.sleep(0.02)
            wall = time.perf_counter() - begin
            assert all(j.status in ("succeeded", "doing") for j in queue_jobs(app))
    finally:
        for process in started:
            process.send_signal(signal.SIGINT)
        for process in started:
            process.wait(timeout=60)
        store.close()
    return wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ideas", type=int, default=8)
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--delay", type=float, default=0.5)
    parser.add_argument("--worker", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(args.worker)
        return
    from coauthor.queue.local import local_queue_url, stop_local

    folder = Path(tempfile.mkdtemp(prefix="coauthor-bench-"))
    os.chmod(folder, 0o755)
    cluster = folder / "queue"
    try:
        queue_url = local_queue_url(cluster)
        model_time = args.ideas * calls_per_run(args.steps) * args.delay
        table = Table(
            title=f"{args.ideas} ideas x {args.steps} steps, {args.delay} s a call, "
            f"capacity {CAPACITY}"
        )
        for name in ("workers x concurrency", "wall s", "ideal s", "of ideal"):
            table.add_column(name)
        for layout in ((1, 1), (1, 4), (2, 4)):
            wall = measure(folder, queue_url, args.ideas, args.steps, args.delay, layout)
            ideal = model_time / min(layout[0] * layout[1], CAPACITY)
            table.add_row(
                f"{layout[0]} x {layout[1]}", f"{wall:.1f}", f"{ideal:.1f}", f"{ideal / wall:.2f}"
            )
        Console().print(table)
    finally:
        stop_local(cluster)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
