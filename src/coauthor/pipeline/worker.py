"""Runs a generation run in its own process, writing live progress to the store.

The studio starts one worker per run and only polls the store, so closing a tab,
reloading or clicking elsewhere never stops or loses a run. A worker that dies is
seen by its stale heartbeat (``updated_at``) and the run can be resumed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from coauthor.llm.base import ModelError
from coauthor.llm.registry import model_from_string
from coauthor.pipeline.context import master_text
from coauthor.pipeline.figures import FigureDrawer
from coauthor.pipeline.progress import StoreEvents
from coauthor.pipeline.runner import RunCancelledError, RunFailedError, Runner
from coauthor.pipeline.verify import Checker
from coauthor.settings import Settings
from coauthor.store import Store


def work(settings: Settings, run_id: int, *, verify: bool = False) -> int:
    """Run ``run_id`` to the end in this process; the exit code for the worker.

    With ``verify`` every step is checked in the sandbox (with the settings' repair
    rounds) and the verdicts appear in the live progress as they arrive.
    """
    with Store(settings.database_url) as store:
        run = store.run(run_id)
        store.clear_cancel(run_id)
        try:
            model = model_from_string(run.model, settings)
        except (ModelError, ValueError) as exc:  # a bad spec or a missing key: say so
            store.set_run_status(run_id, "failed", error=f"model: {exc}")
            return 1
        events = StoreEvents(store, run_id)
        shown = model.hooked(on_text=events.text)
        events.usage = shown.usage
        try:
            runner = Runner(
                store,
                shown,
                master=master_text(store, settings),
                events=events,
                checker=Checker.from_settings(settings) if verify else None,
                repair_rounds=settings.repair_rounds,
                exemplar_tokens=settings.exemplar_tokens,
                figures=FigureDrawer.for_store(store, settings),
            )
            runner.execute(run_id)
        except RunCancelledError:
            return 0
        except RunFailedError as exc:
            events.note(f"failed: {exc}")
            return 1
        finally:
            events.flush(force=True)
            model.close()
    return 0


def launch(
    settings: Settings, run_id: int, *, log_dir: Path, verify: bool = False
) -> subprocess.Popen[bytes]:
    """Start a detached worker for ``run_id``; it outlives the caller (a UI session).

    The worker gets the caller's settings (every field, as ``COAUTHOR_*``), so values
    the caller changed at run time (the studio's settings page) reach it too.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    for name, value in settings.model_dump(mode="json").items():
        if value is not None:
            env[f"COAUTHOR_{name.upper()}"] = str(value)
    with (log_dir / f"run-{run_id}.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "coauthor.pipeline.worker", str(run_id)]
            + (["--verify"] if verify else []),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )


if __name__ == "__main__":
    sys.exit(work(Settings(), int(sys.argv[1]), verify="--verify" in sys.argv[2:]))
