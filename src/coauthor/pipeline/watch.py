"""Where a run stands, as a page that polls it shows it: live, finished or orphaned.

A worker is a separate process: a page only reads what it wrote to the store.
A run still marked ``running`` whose worker process is gone (killed, crashed,
machine restarted) is told apart here, so the author can resume it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from coauthor.schemas import Verdict
from coauthor.store import RunInfo, RunProgress, Store

STARTUP_GRACE_S = 60.0
"""A worker that has written nothing after this long never started."""
EXIT_GRACE_S = 5.0
"""A worker may exit just before its last status write lands; do not call it dead then."""


@dataclass(frozen=True)
class RunState:
    run: RunInfo
    stage: str
    step: int | None
    total: int
    text: str
    notes: list[str]
    stages_done: int
    stages_expected: int
    tokens_in: int
    tokens_out: int
    elapsed_s: float
    verdicts: dict[int, Verdict] = field(default_factory=dict)
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
        return min(1.0, self.stages_done / max(1, self.stages_expected))


def expected_stages(run: RunInfo, *, verify: bool = True) -> int:
    """How many stage events a full run reports: lessons (if the brief has none), the
    plan, then per step the step, its verification and its summary."""
    per_step = 3 if verify else 2
    return (0 if run.brief.lessons else 1) + 1 + per_step * run.brief.steps


def run_state(store: Store, run_id: int, *, verify: bool = True) -> RunState:
    run = store.run(run_id)
    progress = store.progress(run_id)
    data: dict[str, Any] = progress.data if progress is not None else {}
    started = float(data.get("started_at") or _timestamp(run.created_at))
    end = time.time() if run.status == "running" else _timestamp(run.updated_at)
    verdicts = {
        int(number): Verdict.model_validate(value)
        for number, value in dict(data.get("verdicts", {})).items()
    }
    return RunState(
        run=run,
        stage=str(data.get("stage", "waiting for the worker")),
        step=data.get("step"),
        total=int(data.get("total") or run.brief.steps),
        text=str(data.get("text", "")),
        notes=[str(note) for note in data.get("notes", [])],
        stages_done=int(data.get("stages_done", 0)),
        stages_expected=expected_stages(run, verify=verify),
        tokens_in=int(data.get("tokens_in", 0)),
        tokens_out=int(data.get("tokens_out", 0)),
        elapsed_s=max(0.0, end - started),
        verdicts=verdicts,
        worker_pid=progress.worker_pid if progress is not None else None,
        orphaned=orphaned(run, progress),
    )


def orphaned(run: RunInfo, progress: RunProgress | None, *, now: float | None = None) -> bool:
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
