from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coauthor.cli import app
from coauthor.llm.base import ModelUnavailableError
from coauthor.llm.registry import registered_backend
from coauthor.llm.testing import ScriptedModel
from coauthor.store import Store
from coauthor.testing import run_replies


@pytest.fixture
def scripted() -> Iterator[ScriptedModel]:
    """The model every command of a test gets (``COAUTHOR_MODEL=scripted``)."""
    model = ScriptedModel()
    with registered_backend("scripted", lambda argument, settings: model, forms=["scripted"]):
        yield model


@pytest.fixture(autouse=True)
def database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scripted: ScriptedModel
) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("COAUTHOR_DATABASE_URL", url)
    monkeypatch.setenv("COAUTHOR_MODEL", "scripted")
    yield url


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_new_json_prints_one_object_and_the_task_is_stored(
    database: str, scripted: ScriptedModel
) -> None:
    scripted.add(*run_replies(2))
    code, out, err = cli("new", "A/B sample size", "--steps", "2", "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert out.count("\n") == 1
    assert payload["status"] == "done" and payload["task_id"] == 1 and payload["run_id"] == 1
    assert "run 1 started" in err

    code, out, _ = cli("show", "1", "--json")
    shown = json.loads(out)
    assert code == 0 and len(shown["task"]["steps"]) == 2 and shown["revision"] == 1
    first = shown["task"]["steps"][0]
    assert "\nimport pytest\n" in first["tests"] and "def test_positive_uplift" in first["tests"]
    assert first["cases"][0]["name"] == "positive_uplift"

    code, out, _ = cli("list", "--json")
    listed = json.loads(out)
    assert [t["task_id"] for t in listed["tasks"]] == [1] and listed["runs"] == []


def test_show_prints_the_anatomy_and_export_writes_the_bundle(
    tmp_path: Path, scripted: ScriptedModel
) -> None:
    scripted.add(*run_replies(2))
    assert cli("new", "idea", "--steps", "2")[0] == 0
    code, out, _ = cli("show", "1")
    assert code == 0 and "## Story" in out and "### test_step.py" in out
    code, out, err = cli("export", "1", "--format", "markdown", "--out", str(tmp_path / "x"))
    assert code == 0, err
    folder = Path(out.strip())
    readme = (folder / "README.md").read_text()
    assert "## Lessons" in readme and "Estimate an effect" in readme
    steps = sorted(p.name for p in folder.iterdir() if p.is_dir())
    assert steps == ["step-01-step-1", "step-02-step-2"]
    files = sorted(p.name for p in (folder / steps[0]).iterdir())
    assert files == ["solution.py", "starter.py", "statement.md", "test_step.py"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["new", "   "], "the idea is empty"),
        (["new", "x" * 20_001], "shorten it"),
        (["new", "idea", "--difficulty", "guru"], "unknown difficulty 'guru'"),
        (["new", "idea", "--type", "saga"], "unknown task type"),
        (["new", "idea", "--lang", "fr"], "unknown language"),
        (["new", "idea", "--model", "nosuch:thing"], "unknown model"),
        (["show", "42"], "42"),
        (["export", "42", "--out", "/tmp/x", "--format", "pdf"], "unknown export format"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str, database: str) -> None:
    code, out, err = cli(*args)
    assert code == 2, err
    assert message in err and err.count("\n") == 1 and out == ""
    assert Store(database).list_runs() == []


def test_unreadable_master_document_is_input_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COAUTHOR_MASTER_DOCUMENT", str(tmp_path / "missing.md"))
    code, _, err = cli("new", "idea")
    assert code == 2 and "master document" in err


def test_a_fault_mid_run_is_saved_as_failed_and_resumes(
    database: str, scripted: ScriptedModel
) -> None:
    replies = run_replies(1)
    scripted.add(*replies[:3], ModelUnavailableError("cannot reach the model server"))
    code, out, err = cli("new", "idea", "--steps", "1", "--json")
    assert code == 1 and out.count("\n") == 1
    failed = json.loads(out)
    assert failed["status"] == "failed" and failed["run_id"] == 1
    assert "cannot reach the model server" in failed["error"]
    assert "cannot reach the model server" in err and "coauthor resume 1" in err
    code, out, _ = cli("list", "--json")
    assert json.loads(out)["runs"][0]["status"] == "failed"
    assert Store(database).list_tasks() == []

    scripted.add(*replies[2:])  # the step stage that was in flight is redone
    code, out, err = cli("resume", "1", "--json")
    assert code == 0, err
    assert json.loads(out)["status"] == "done"


def test_a_model_that_keeps_returning_invalid_json_is_a_fault(
    database: str, scripted: ScriptedModel
) -> None:
    scripted.add("{}", "not json", '{"lessons": 3}')
    code, out, err = cli("new", "idea", "--steps", "1")
    assert code == 1 and out == ""
    [line] = [line for line in err.splitlines() if line.startswith("error:")]
    assert "did not return valid LessonList after 3 attempts" in line
    assert Store(database).run(1).status == "failed"


@pytest.mark.real_model
def test_a_model_url_that_does_not_answer_is_a_fault(database: str) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, _, err = cli("new", "idea", "--model", f"openai:m@http://127.0.0.1:{port}/v1")
    assert code == 1
    assert f"127.0.0.1:{port}" in err and "coauthor resume 1" in err
    assert Store(database).run(1).status == "failed"
