"""Where a run stands, as a page that polls it shows it: live, finished or orphaned.

A worker is a separate process: a page only reads what it wrote to the store.
A run still marked ``running`` whose worker process is gone (killed, crashed,
machine restarted) is told apart here, so the author can resume it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from coauthor.schemas.runs import RunProgress, expected_stages
from coauthor.store import LiveState, RunInfo, Store

STARTUP_GRACE_S = 60.0
"""A worker that has written nothing after this long never started."""
EXIT_GRACE_S = 5.0
"""A worker may exit just before its last status write lands; do not call it dead then."""


@dataclass(frozen=True)
class RunState:
    """A run with its live progress, as a page that polls it shows it."""

    run: RunInfo
    progress: RunProgress
    stages_expected: int
    elapsed_s: float
    worker_pid: int | None = None
    orphaned: bool = False
    """Marked running, but no worker process is doing it: resume it."""

    @property
    def active(self) -> bool:
        return self.run.status == "running" and not self.orphaned

    @property
    def fraction(self) -> float:
        if self.run.status == "done":
            return 1.0
        return min(1.0, self.progress.stages_done / max(1, self.stages_expected))


def run_state(
    store: Store, run_id: int, *, verify: bool = True, job: str | None = None
) -> RunState:
    """``job``: the status of the run's job on the queue (``todo``, ``doing``, ...), when
    the caller asked the queue; then a running run with no job waiting or running for it
    is orphaned (the queue retries a dead worker's job itself, so that is a run whose job
    failed or was lost). Without it, the run's worker process is looked for."""
    run = store.run(run_id)
    live = store.progress(run_id)
    waiting = "waiting for a worker" if job == "todo" else "waiting for the worker"
    progress = live.progress if live is not None else RunProgress(stage=waiting)
    started = progress.started_at if live is not None else _timestamp(run.created_at)
    end = time.time() if run.status == "running" else _timestamp(run.updated_at)
    return RunState(
        run=run,
        progress=progress,
        stages_expected=expected_stages(run.brief, verify=verify),
        elapsed_s=max(0.0, end - started),
        worker_pid=live.worker_pid if live is not None else None,
        orphaned=orphaned(run, live) if job is None else _without_job(run, job),
    )


def _without_job(run: RunInfo, job: str, *, now: float | None = None) -> bool:
    if run.status != "running" or job in ("todo", "doing"):
        return False
    now = time.time() if now is None else now
    return now - _timestamp(run.updated_at) > EXIT_GRACE_S


def orphaned(run: RunInfo, progress: LiveState | None, *, now: float | None = None) -> bool:
    """True when ``run`` says running but no worker is alive to finish it."""
    if run.status != "running":
        return False
    now = time.time() if now is None else now
    if progress is None or progress.worker_pid is None:
        return now - _timestamp(run.updated_at) > STARTUP_GRACE_S
    if now - _timestamp(progress.updated_at) < EXIT_GRACE_S:
        return False
    return not pid_alive(progress.worker_pid)


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (a zombie counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        state = stat.read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def _timestamp(moment: datetime) -> float:
    """Store times are UTC; a naive one (an old SQLite row) is read as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
