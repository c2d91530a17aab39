"""Process faults: SIGKILL at random moments of runs, from the command line and on queue
workers, then resumed. Every run finishes, with the same steps as a run nobody killed,
one task and one revision each, and the database passes ``PRAGMA integrity_check``.

The moments are drawn from a seeded generator; the seed is in every failure message
(``COAUTHOR_FAULT_SEED=N`` repeats a sequence). The processes are forked by
``fork_runner.py``, which imports Co-Author once: each trial is a real process killed by
the kernel, without seconds of imports per start.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from coauthor.pipeline.brief import make_brief
from coauthor.queue.app import apply_schema, libpq_url, open_app
from coauthor.queue.jobs import enqueue_run, queue_jobs
from coauthor.store import Store

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
SEED = int(os.environ.get("COAUTHOR_FAULT_SEED", str(random.SystemRandom().randrange(10**6))))
TRIALS = 10
"""Kills of CLI runs, and kills of workers: 20 in all."""
STEPS = 1
CALLS = 2 + 4 * STEPS  # lessons, plan, and per step three calls and a summary
DELAY = 0.08
"""Seconds before each scripted reply: a run takes at least CALLS * DELAY seconds."""
KILL_WITHIN = 0.4
"""A kill lands this many seconds at most after the run was seen to start (< CALLS * DELAY,
so a CLI run is always killed before it ends)."""
TIMING = "0.3,3,0.3,0.1"
"""Worker heartbeat, stalled, recover, poll (seconds): a killed worker's job is retried
within seconds."""


class Forker:
    """The fork server: spawns CLI commands and workers, reaps them."""

    def __init__(self, logs: Path, env: dict[str, str]) -> None:
        self.logs = logs
        self.env = env
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "fork_runner.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={
                **os.environ,
                "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{HERE}",
                "COAUTHOR_WORKER_LOG": "WARNING",
            },
        )
        assert self._read() == {"ready": 1}
        self.alive: set[int] = set()

    def _read(self) -> dict[str, int]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, "the fork server died"
        answer: dict[str, int] = json.loads(line)
        return answer

    def _ask(self, request: dict[str, object]) -> dict[str, int]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        return self._read()

    def spawn(self, kind: str, name: str, argv: list[str] | None = None) -> int:
        request = {"spawn": kind, "argv": argv or [], "env": self.env, "log": str(self.logs / name)}
        pid = self._ask(request)["pid"]
        self.alive.add(pid)
        return pid

    def wait(self, pid: int) -> int:
        """The exit code of ``pid`` once it ended (negative: the signal that ended it)."""
        self.alive.discard(pid)
        return self._ask({"wait": pid})["code"]

    def kill(self, pid: int, sig: int = signal.SIGKILL) -> int:
        os.kill(pid, sig)
        return self.wait(pid)

    def log(self, name: str) -> str:
        path = self.logs / name
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def close(self) -> None:
        for pid in list(self.alive):
            self.kill(pid)
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture
def forker(tmp_path: Path, queue_url: str) -> Iterator[Forker]:
    database = tmp_path / "faults.db"
    Store(f"sqlite:///{database}").close()
    logs = tmp_path / "logs"
    logs.mkdir()
    env = {
        "COAUTHOR_DATABASE_URL": f"sqlite:///{database}",
        "COAUTHOR_QUEUE_URL": queue_url,
        "COAUTHOR_WORKER_TIMING": TIMING,
        "SCRIPTED_DELAY": str(DELAY),
    }
    started = Forker(logs, env)
    yield started
    started.close()


def wait_until(check: Callable[[], object], what: str, timeout: float = 60) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"seed {SEED}: timed out waiting for {what}")


def steps_of(store: Store, run_id: int) -> list[dict[str, object]]:
    """The finished task's steps, as JSON, for the run's only task and revision."""
    run = store.run(run_id)
    assert run.status == "done" and run.task_id is not None, (SEED, run)
    revisions = store.revisions(run.task_id)
    assert [r.number for r in revisions] == [1], f"seed {SEED}: run {run_id}: {revisions}"
    task = store.revision(run.task_id).task
    return [step.model_dump(mode="json") for step in task.steps]


def test_runs_killed_at_random_moments_resume_to_the_same_task(
    forker: Forker,
    queue_url: str,
) -> None:
    rng = random.Random(SEED)
    store = Store(forker.env["COAUTHOR_DATABASE_URL"])
    model = f"slowscripted:{STEPS}"
    new = ["--steps", str(STEPS), "--no-verify", "--model", model, "--json"]
    print(f"fault seed {SEED}")
    began = time.monotonic()

    # A run nobody kills: what every killed run must end up as.
    reference = forker.spawn("cli", "reference.log", ["new", "reference idea", *new])
    assert forker.wait(reference) == 0, forker.log("reference.log")
    (reference_run,) = store.list_runs()
    expected = steps_of(store, reference_run.id)
    assert len(expected) == STEPS

    # The command line: `coauthor new` killed once the run exists, then `coauthor resume`.
    cli_runs: list[int] = []
    for trial in range(TRIALS):
        idea = f"cli idea {trial}"
        pid = forker.spawn("cli", f"cli-{trial}.log", ["new", idea, *new])
        run_id = int(
            str(
                wait_until(
                    lambda idea=idea: next(
                        (r.id for r in store.list_runs() if r.brief.idea == idea), None
                    ),
                    f"trial {trial}: the run to start",
                )
            )
        )
        moment = rng.uniform(0, KILL_WITHIN)
        time.sleep(moment)
        code = forker.kill(pid)
        context = f"seed {SEED}, CLI trial {trial}, killed {moment:.3f} s in"
        assert code == -signal.SIGKILL, (
            f"{context}: the run ended first\n{forker.log(f'cli-{trial}.log')}"
        )
        assert store.run(run_id).status != "done", context
        resumed = forker.spawn("cli", f"resume-{trial}.log", ["resume", str(run_id), "--json"])
        assert forker.wait(resumed) == 0, f"{context}\n{forker.log(f'resume-{trial}.log')}"
        cli_runs.append(run_id)

    print(f"CLI trials: {time.monotonic() - began:.1f} s")
    began = time.monotonic()
    # Workers: each is killed at a random moment after it took a job; the next takes
    # a waiting job, or the dead worker's once its heartbeat is seen to have stopped.
    url = libpq_url(queue_url)
    queue = open_app(url)
    apply_schema(queue, url)
    worker_runs = [
        store.create_run(make_brief(f"worker idea {n}", steps=STEPS), model="scripted").id
        for n in range(TRIALS)
    ]
    with queue.open():
        for run_id in worker_runs:
            enqueue_run(queue, run_id, verify=False)
        seen: set[str] = set()
        hit_mid_run = 0
        for trial in range(TRIALS):
            pid = forker.spawn("worker", f"worker-{trial}.log")

            def new_worker_busy() -> str | None:
                doing = [j for j in queue_jobs(queue) if j.status == "doing" and j.worker]
                fresh = [j for j in doing if j.worker not in seen]
                return f"{fresh[0].worker}:{fresh[0].run_id}" if fresh else None

            taken = str(wait_until(new_worker_busy, f"worker trial {trial}: a job taken"))
            worker, _, run_text = taken.rpartition(":")
            seen.add(worker)
            moment = rng.uniform(0, KILL_WITHIN)
            time.sleep(moment)
            forker.kill(pid)
            hit_mid_run += store.run(int(run_text)).status != "done"
        print(f"worker kills: {time.monotonic() - began:.1f} s")
        rescuer = forker.spawn("worker", "rescuer.log")
        wait_until(
            lambda: all(j.status == "succeeded" for j in queue_jobs(queue)),
            "every job to finish after the kills",
            timeout=120,
        )
        jobs = queue_jobs(queue)
        print(f"worker trials: {time.monotonic() - began:.1f} s")
    assert forker.kill(rescuer, signal.SIGTERM) == 0, forker.log("rescuer.log")
    context = f"seed {SEED}"
    assert hit_mid_run >= TRIALS // 2, f"{context}: only {hit_mid_run} kills landed mid-run"
    assert sorted(j.run_id for j in jobs) == sorted(worker_runs), context
    assert sum(j.attempts for j in jobs) > len(jobs), f"{context}: no job was retried"

    for run_id in [*cli_runs, *worker_runs]:
        assert steps_of(store, run_id) == expected, f"{context}: run {run_id}"
    tasks = store.list_tasks()
    assert len(tasks) == 1 + 2 * TRIALS, f"{context}: {len(tasks)} tasks"
    assert sorted(t.id for t in tasks) == sorted(
        {store.run(r).task_id for r in [reference_run.id, *cli_runs, *worker_runs]}
    )
    store.close()
    database = forker.env["COAUTHOR_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    connection.close()
