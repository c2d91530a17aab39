"""A batch: every idea of a backlog as a run on the queue, followed as one.

A batch is a saved document (``batch:ID``) listing its runs; where each stands is read
from the runs, their live progress and their jobs, so ``--status`` works from any
machine and after any restart. Items are queued at batch priority (an author's own run
goes first) and fail alone: a failed item never stops the others.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field

import procrastinate

from coauthor.pipeline.batch import Backlog
from coauthor.pipeline.runner import start_run
from coauthor.queue.jobs import enqueue_run, queue_jobs
from coauthor.schemas.runs import RunOptions, expected_stages
from coauthor.store import NotFoundError, Store

PREFIX = "batch:"
Outcome = str
"""waiting, running, verified, not verified, failed"""


@dataclass(frozen=True)
class BatchInfo:
    id: str
    runs: list[int]
    verify: bool
    created_at: float


@dataclass(frozen=True)
class ItemState:
    run_id: int
    line: int
    idea: str
    outcome: Outcome
    stages_done: int
    stages_expected: int
    steps: int
    tokens: int
    error: str | None
    task_id: int | None


@dataclass
class BatchState:
    batch: BatchInfo
    items: list[ItemState] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for item in self.items if item.outcome == outcome)

    @property
    def finished(self) -> bool:
        return all(item.outcome not in ("waiting", "running") for item in self.items)

    @property
    def tasks_done(self) -> int:
        return sum(1 for item in self.items if item.outcome in ("verified", "not verified"))

    @property
    def stages(self) -> tuple[int, int]:
        return (
            sum(i.stages_done for i in self.items),
            sum(i.stages_expected for i in self.items),
        )

    @property
    def tokens(self) -> int:
        return sum(item.tokens for item in self.items)

    def eta_s(self, now: float | None = None) -> float | None:
        """Seconds left at the pace so far; None before any stage finished."""
        done, total = self.stages
        if done == 0 or self.finished:
            return None if not self.finished else 0.0
        elapsed = (time.time() if now is None else now) - self.batch.created_at
        return elapsed / done * max(0, total - done)

    def summary(self) -> dict[str, int]:
        failed = self.count("failed")
        return {
            "verified": self.count("verified"),
            "not verified": self.count("not verified"),
            "failed": failed,
            "resumable": failed,
            "waiting": self.count("waiting"),
            "running": self.count("running"),
        }


def start_batch(
    app: procrastinate.App, store: Store, backlog: Backlog, *, model: str, verify: bool
) -> BatchInfo:
    """Save a run per idea, then queue them all; the batch's id is returned."""
    runs = []
    lines = {}
    for item in backlog.items:
        run = start_run(store, item.brief, model=model, options=RunOptions(verify=verify))
        runs.append(run.id)
        lines[str(run.id)] = item.line
    batch = BatchInfo(uuid.uuid4().hex[:8], runs, verify, time.time())
    store.save_document(
        PREFIX + batch.id,
        json.dumps(
            {"runs": runs, "lines": lines, "verify": verify, "created_at": batch.created_at}
        ),
        note=f"batch of {len(runs)} ideas",
    )
    for run_id in runs:
        enqueue_run(app, run_id, verify=verify, batch=batch.id)
    return batch


def load_batch(store: Store, batch_id: str) -> tuple[BatchInfo, dict[str, int]]:
    saved = store.document(PREFIX + batch_id)
    if saved is None:
        raise NotFoundError(f"no batch {batch_id!r}; see the id printed when it started")
    data = json.loads(saved.text)
    info = BatchInfo(batch_id, list(data["runs"]), bool(data["verify"]), float(data["created_at"]))
    return info, {str(k): int(v) for k, v in data.get("lines", {}).items()}


def batch_state(app: procrastinate.App | None, store: Store, batch_id: str) -> BatchState:
    """Where every item of the batch stands; without ``app`` the queue is not asked
    (a run marked running then counts as running)."""
    info, lines = load_batch(store, batch_id)
    jobs: dict[int, str] = {}
    if app is not None:
        for queued in reversed(queue_jobs(app)):
            if queued.batch == batch_id:
                jobs[queued.run_id] = queued.status
    state = BatchState(info)
    for run_id in info.runs:
        run = store.run(run_id)
        live = store.progress(run_id)
        progress = live.progress if live is not None else None
        job = jobs.get(run_id)
        if run.status == "done":
            verdicts = progress.verdicts if progress is not None else {}
            all_ok = info.verify and verdicts and all(v.verified for v in verdicts.values())
            outcome = "verified" if all_ok else "not verified"
        elif job == "todo":
            outcome = "waiting"
        elif run.status == "running" and (app is None or job == "doing"):
            outcome = "running"
        else:
            outcome = "failed"
        state.items.append(
            ItemState(
                run_id=run_id,
                line=lines.get(str(run_id), 0),
                idea=run.brief.idea,
                outcome=outcome,
                stages_done=progress.stages_done if progress is not None else 0,
                stages_expected=expected_stages(run.brief, verify=info.verify),
                steps=run.brief.steps,
                tokens=(progress.tokens_in + progress.tokens_out) if progress is not None else 0,
                error=run.error if outcome == "failed" else None,
                task_id=run.task_id,
            )
        )
    return state


def resume_batch(app: procrastinate.App, store: Store, batch_id: str) -> list[int]:
    """Queue again every item that failed or was lost; the runs resume from their
    checkpoints. The run ids queued again."""
    state = batch_state(app, store, batch_id)
    again = []
    for item in state.items:
        if item.outcome == "failed":
            if store.run(item.run_id).status != "running":
                store.set_run_status(item.run_id, "running")
            enqueue_run(app, item.run_id, verify=state.batch.verify, batch=batch_id)
            again.append(item.run_id)
    return again
