from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coauthor.cli import app
from coauthor.llm.registry import registered_backend
from coauthor.llm.testing import ScriptedModel
from coauthor.pipeline.repair import Diagnosis
from coauthor.store import Store
from coauthor.testing import SOLUTION, TESTS, run_replies


@pytest.fixture
def scripted() -> Iterator[ScriptedModel]:
    model = ScriptedModel()
    with registered_backend("scriptedverify", lambda argument, settings: model):
        yield model


@pytest.fixture(autouse=True)
def database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scripted: ScriptedModel
) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'verify.db'}"
    monkeypatch.setenv("COAUTHOR_DATABASE_URL", url)
    monkeypatch.setenv("COAUTHOR_MODEL", "scriptedverify")
    yield url


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_new_verifies_every_step_and_reports_the_verdicts(scripted: ScriptedModel) -> None:
    scripted.add(*run_replies(2))
    code, out, err = cli("new", "idea", "--steps", "2", "--json")
    assert code == 0, err
    steps = json.loads(out)["steps"]
    assert [s["verified"] for s in steps] == [True, True]
    first = steps[0]
    assert first["tests"] == 4 and first["coverage"] == pytest.approx(100.0)  # 3 cases, 1 more
    assert first["weak_tests"] == [] and first["isolation"]
    assert set(first["starter_outcomes"].values()) <= {"failed", "error"}


def test_a_broken_step_is_repaired_round_by_round_each_a_revision(
    database: str, scripted: ScriptedModel
) -> None:
    wrong = SOLUTION.replace("np.mean(treatment) - np.mean(control)", "0.0")
    replies = run_replies(1)
    replies[3] = f"```python\n{wrong}```"  # the generated solution is wrong
    scripted.add(*replies)
    code, out, err = cli("new", "idea", "--steps", "1", "--no-verify", "--json")
    assert code == 0, err

    code, out, _ = cli("verify", "1", "--json")
    assert code == 1
    payload = json.loads(out)
    assert payload["status"] == "failed" and payload["revision"] == 2
    [step] = payload["steps"]
    assert "the solution fails" in step["problems"][0]
    assert "test_positive_uplift" in step["failing_tests"]

    scripted.add(
        Diagnosis(culprit="solution", reason="it returns a constant"),
        f"```python\n{SOLUTION}```",
    )
    code, out, err = cli("verify", "1", "--step", "1", "--repair", "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["status"] == "verified" and payload["revision"] == 4
    assert payload["steps"][0]["repair_rounds"] == 1
    assert "rewrote the solution: it returns a constant" in payload["steps"][0]["repairs"][0]
    sources = [r.source for r in Store(database).revisions(1)]
    assert sources == ["generate", "verify", "repair", "verify"]


def test_verify_rejects_a_step_that_does_not_exist(scripted: ScriptedModel) -> None:
    scripted.add(*run_replies(1))
    assert cli("new", "idea", "--steps", "1", "--no-verify")[0] == 0
    code, _, err = cli("verify", "1", "--step", "5")
    assert code == 2 and "no step 5" in err


def test_tests_that_fake_a_pass_never_verify_a_step(scripted: ScriptedModel) -> None:
    faking = TESTS + "\n\nimport os\nos._exit(0)\n"
    replies = run_replies(1)
    replies[5] = f"```python\n{faking}```"  # the further tests (after the cases)
    scripted.add(*replies)
    code, out, err = cli("new", "idea", "--steps", "1", "--no-verify", "--json")
    assert code == 0, err
    code, out, _ = cli("verify", "1", "--json")
    assert code == 1 and json.loads(out)["steps"][0]["verified"] is False


def test_an_author_can_force_the_checking_mode(scripted: ScriptedModel) -> None:
    scripted.add(*run_replies(1))
    code, _, err = cli("new", "idea", "--steps", "1", "--no-verify", "--json")
    assert code == 0, err
    for flag, shown in (
        ("in-process", "in-process, tamper-evident"),
        ("isolated", "process-isolated"),
    ):
        code, out, err = cli("verify", "1", "--mode", flag, "--json")
        assert code == 0, err
        step = json.loads(out)["steps"][0]
        assert step["verified"] is True and step["checking_mode"] == shown
    code, _, err = cli("verify", "1", "--mode", "sideways")
    assert code == 2 and "unknown --mode 'sideways'" in err
