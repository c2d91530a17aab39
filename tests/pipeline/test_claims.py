"""One executor per run: a second executor is refused and changes nothing; a run whose
process is gone is stalled and resumable; resume keeps the run's own choices."""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coauthor.cli import app
from coauthor.llm.registry import registered_backend
from coauthor.llm.testing import ScriptedModel
from coauthor.pipeline.brief import make_brief
from coauthor.pipeline.claims import RunBusyError, claim, me, stalled
from coauthor.pipeline.runner import Runner, start_run
from coauthor.schemas.runs import RunOptions
from coauthor.store import ConflictError, Store
from coauthor.testing import run_replies


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'claims.db'}") as opened:
        yield opened


@pytest.fixture
def live_pid() -> Iterator[int]:
    """A process that stays alive while the test runs (another executor)."""
    process = subprocess.Popen(["sleep", "60"])
    yield process.pid
    process.kill()
    process.wait()


def dead_pid() -> int:
    gone = subprocess.Popen(["true"])
    gone.wait()
    return gone.pid


def test_only_one_of_two_claims_on_the_same_run_wins(store: Store) -> None:
    run = store.create_run(make_brief("idea", steps=1), model="scripted")
    assert store.claim_run(run.id, "1@a", replacing=None)
    assert not store.claim_run(run.id, "2@a", replacing=None)  # it saw the run unowned too
    assert store.run(run.id).owner == "1@a"


def test_a_run_executed_by_a_live_process_is_refused_and_left_as_it_is(
    store: Store, live_pid: int
) -> None:
    run = start_run(store, make_brief("idea", steps=1), model="scripted")
    other = f"{live_pid}@{socket.gethostname()}"
    assert store.claim_run(run.id, other, replacing=None)
    model = ScriptedModel()
    with pytest.raises(RunBusyError, match=f"run {run.id} is already running"):
        Runner(store, model, master="m").execute(run.id)
    after = store.run(run.id)
    assert (after.status, after.owner, store.checkpoints(run.id)) == ("running", other, {})


def test_a_run_whose_process_died_is_stalled_and_resumes(store: Store) -> None:
    run = start_run(store, make_brief("idea", steps=1), model="scripted")
    assert store.claim_run(run.id, f"{dead_pid()}@{socket.gethostname()}", replacing=None)
    assert stalled(store.run(run.id))
    outcome = Runner(store, ScriptedModel(run_replies(1)), master="m").execute(run.id)
    assert outcome.run.status == "done" and outcome.run.owner is None
    assert not stalled(outcome.run)


def test_a_finished_run_stays_finished(store: Store) -> None:
    run = start_run(store, make_brief("idea", steps=1), model="scripted")
    done = Runner(store, ScriptedModel(run_replies(1)), master="m").execute(run.id)
    again = Runner(store, ScriptedModel(), master="m").execute(run.id)
    assert again.revision.number == done.revision.number == 1
    with pytest.raises(ConflictError, match="already done"):
        store.set_run_status(run.id, "failed", error="a late loser")
    assert not store.claim_run(run.id, me(), replacing=None)
    read_before_it_finished = replace(store.run(run.id), status="failed", owner=None)
    with pytest.raises(RunBusyError, match="just finished"):
        claim(store, read_before_it_finished)


@pytest.fixture
def cli_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, ScriptedModel]]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("COAUTHOR_DATABASE_URL", url)
    monkeypatch.setenv("COAUTHOR_MODEL", "claimscripted")
    model = ScriptedModel()
    with registered_backend("claimscripted", lambda argument, settings: model):
        yield url, model


def test_resume_keeps_no_verify_and_list_tells_a_stalled_run(
    cli_store: tuple[str, ScriptedModel],
) -> None:
    url, model = cli_store
    replies = run_replies(1)
    model.add(*replies[:2], RuntimeError("the process was killed here"))
    runner = CliRunner()
    result = runner.invoke(app, ["new", "idea about uplift", "--steps", "1", "--no-verify"])
    assert result.exit_code == 1
    with Store(url) as store:
        run = store.list_runs()[0]
        assert run.options == RunOptions(verify=False) and run.status == "failed"
        store.set_run_status(run.id, "running")  # as a killed process leaves it
        assert store.claim_run(run.id, f"{dead_pid()}@{socket.gethostname()}", replacing=None)
    listed = json.loads(runner.invoke(app, ["list", "--json"]).stdout)
    assert listed["runs"][0]["status"] == "failed" and "killed" in listed["runs"][0]["error"]
    model.add(*replies[2:])
    result = runner.invoke(app, ["resume", str(run.id)])
    assert result.exit_code == 0, result.stderr
    with Store(url) as store:
        assert not any(stage.startswith("verify") for stage in store.checkpoints(run.id))
        assert store.run(run.id).status == "done"
