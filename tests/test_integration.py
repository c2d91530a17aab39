"""The real thing: ``coauthor`` on the embedded model, killed with -9 and resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coauthor.store import Store

# The embedded model takes about 2-5 minutes for this on 2 free cores; much longer
# when the machine is busy, hence the generous per-test timeout.
pytestmark = [pytest.mark.real_model, pytest.mark.slow, pytest.mark.timeout(2400)]

COAUTHOR = [sys.executable, "-m", "coauthor"]


def environment(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COAUTHOR_")}
    # one repair round exercises the real repair path; more only add minutes
    return {
        **env,
        "COAUTHOR_DATABASE_URL": url,
        "COAUTHOR_MODEL": "local",
        "COAUTHOR_REPAIR_ROUNDS": "1",
    }


def wait_for_checkpoint(store: Store, stage: str, process: subprocess.Popen[bytes]) -> int:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        assert process.poll() is None, "the run ended before it could be killed"
        for run in store.list_runs():
            if stage in store.checkpoints(run.id):
                return run.id
        time.sleep(0.1)
    raise AssertionError(f"no checkpoint {stage!r} in time")


def test_new_killed_mid_run_resumes_and_exports_every_part(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'it.db'}"
    env = environment(url)
    idea = "Students keep asking how to pick a sample size for an A/B test"
    process = subprocess.Popen(
        [*COAUTHOR, "new", idea, "--steps", "2", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    store = Store(url)
    try:
        run_id = wait_for_checkpoint(store, "plan", process)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert store.list_tasks() == []
    kept = store.checkpoints(run_id)
    assert "plan" in kept
    calls_before = {entry.stage for entry in store.logbook(run_id=run_id)}
    assert "lessons" in calls_before

    resumed = subprocess.run(
        [*COAUTHOR, "resume", str(run_id), "--json"],
        env=env,
        capture_output=True,
        timeout=1800,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr.decode()[-2000:]
    payload = json.loads(resumed.stdout)
    assert payload["status"] == "done" and payload["run_id"] == run_id
    stages = [entry.stage for entry in store.logbook(run_id=run_id)]
    assert stages.count("plan") == 1  # finished stages are not redone
    assert "step:2" in stages and "summary:2" in stages

    shown = subprocess.run(
        [*COAUTHOR, "show", str(payload["task_id"]), "--json"],
        env=env,
        capture_output=True,
        timeout=120,
        check=True,
    )
    task = json.loads(shown.stdout)["task"]
    assert len(task["steps"]) == 2 and task["brief"]["lessons"]
    for step in task["steps"]:
        for part in ("title", "story", "theory", "starter", "solution", "tests"):
            assert step[part].strip(), f"{part} is empty"
        assert step["requirements"]
        verdict = step["verdict"]  # verified or not, the checks ran and say why
        assert verdict is not None and verdict["isolation"] in ("bubblewrap", "rlimits-only")
        assert verdict["verified"] or verdict["problems"]
        assert verdict["repair_rounds"] <= 1

    out = tmp_path / "export"
    exported = subprocess.run(
        [*COAUTHOR, "export", str(payload["task_id"]), "--format", "markdown", "--out", str(out)],
        env=env,
        capture_output=True,
        timeout=120,
        check=True,
    )
    folder = Path(exported.stdout.decode().strip())
    folders = sorted(p for p in folder.iterdir() if p.is_dir())
    assert len(folders) == 2 and (folder / "README.md").is_file()
    for step_folder, step in zip(folders, task["steps"], strict=True):
        assert (step_folder / "solution.py").read_text() == step["solution"]
        assert (step_folder / "test_step.py").read_text() == step["tests"]
        assert step["story"][:50] in (step_folder / "statement.md").read_text()
    assert not _llama_servers_left(), "a model server outlived its run"
    store.close()


def _llama_servers_left() -> list[str]:
    found = subprocess.run(["pgrep", "-af", "llama_cpp.server"], capture_output=True, text=True)
    return [line for line in found.stdout.splitlines() if "it.db" in line or "--model" in line]
