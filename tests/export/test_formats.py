"""What every format shares: the registry, the verdict of each step, and no secrets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from export_samples import make_task
from notion_server import NotionServer
from typer.testing import CliRunner

from coauthor.cli import app
from coauthor.export import ExportError, ExportFormat, exporter, formats
from coauthor.export import base as export_base
from coauthor.export.base import ExportOptions, Publisher
from coauthor.schemas import Task, Verdict
from coauthor.schemas.mutation import EquivalentMark, MutationReport
from coauthor.store import Store

FOLDER_FORMATS = ["json", "markdown", "nbgrader", "otter"]
SECRETS = {
    "OPENAI_API_KEY": "sk-proj-SECRETsecretSECRETsecret0123",
    "NOTION_TOKEN": "ntn_SECRETsecretSECRETsecret456789",
    "COAUTHOR_API_KEY": "coauthor-SECRET-api-key-00112233",
    "HF_TOKEN": "hf_SECRETsecretSECRETsecret998877",
}


def written(path: Path) -> str:
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return "\n".join(p.read_bytes().decode("utf-8", errors="replace") for p in files)


def test_the_registry_lists_every_format() -> None:
    assert formats() == ["json", "markdown", "nbgrader", "notion", "otter"]
    with pytest.raises(ExportError, match="unknown export format 'pdf'; use one of: json"):
        exporter("pdf")
    with pytest.raises(ExportError, match="needs a parent page"):
        exporter("notion")
    assert all(not isinstance(exporter(name), Publisher) for name in FOLDER_FORMATS)


def test_a_format_that_cannot_be_imported_hides_no_other(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(export_base._MODULES, ExportFormat.nbgrader, "coauthor.export.missing")
    with pytest.raises(ExportError, match="the nbgrader export is unavailable here"):
        exporter("nbgrader")
    assert exporter("markdown").format is ExportFormat.markdown
    assert "nbgrader" in formats()


@pytest.mark.parametrize("name", FOLDER_FORMATS)
def test_every_format_says_each_steps_verdict(name: str, tmp_path: Path) -> None:
    task = make_task()
    task.steps.append(task.steps[0].model_copy(update={"title": "Broken", "verdict": None}))
    task.steps[2].verdict = Verdict(
        verified=False,
        tests=3,
        problems=["the starter passes test_positive_uplift"],
        checking_mode="in-process, tamper-evident",
        isolation="bubblewrap",
        mutation=MutationReport(generated=4, killed=2, survived=2, score=0.5, threshold=0.8),
    )
    first = task.steps[0].verdict
    assert first is not None
    first.mutation = MutationReport(
        generated=11, killed=8, timed_out=1, equivalent=1, survived=1, score=0.9, threshold=0.8
    )
    task.steps[0].equivalent_mutants = [EquivalentMark(mutant_id="boun-1", note="same at 100")]
    text = written(exporter(name).export(task, tmp_path, task_id=1, revision=1))
    if name == "json":
        steps = json.loads(text)["task"]["steps"]
        verdicts = [s["verdict"] for s in steps]
        assert [v and v["verified"] for v in verdicts] == [True, None, False]
        assert verdicts[2]["checking_mode"] == "in-process, tamper-evident"
        assert [v and v["mutation"]["score"] for v in verdicts] == [0.9, None, 0.5]
        assert steps[0]["equivalent_mutants"] == [
            {"mutant_id": "boun-1", "note": "same at 100", "by": ""}
        ]
        assert Task.model_validate(json.loads(text)["task"]) == task
        return
    assert (
        "Mutation score: 0.90 (threshold 0.80): the tests catch 9 of 10 mutants of the "
        "reference solution (8 killed, 1 survived, 1 timed out; 1 marked equivalent by an "
        "author and left out)." in text
    )
    assert "Mutation score: 0.50 (threshold 0.80, below it): the tests catch 2 of 4" in text
    assert "Checked in-process, tamper-evident, under bubblewrap." in text
    assert "Verified: the reference solution passes all 3 tests" in text
    assert "Not verified yet: the checking system has not run this step's tests." in text
    assert "Not verified: the checking system found problems" in text
    assert "the starter passes test_positive_uplift" in text


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    for key, value in SECRETS.items():
        monkeypatch.setenv(key, value)
    yield SECRETS


def test_exports_never_contain_secrets(
    secrets: dict[str, str], figured: Task, tmp_path: Path
) -> None:
    task = figured  # figures too: image files, attachments and Notion's file uploads
    outputs = [
        written(exporter(name).export(task, tmp_path / name, task_id=1, revision=1))
        for name in FOLDER_FORMATS
    ]
    with NotionServer(secrets["NOTION_TOKEN"]) as server:
        pages: dict[tuple[int, str], str] = {}
        options = ExportOptions(
            notion_parent=server.state.parent_id,
            notion_url=server.url,
            known_page=lambda task_id, target: pages.get((task_id, target)),
            remember_page=lambda task_id, target, page: pages.__setitem__((task_id, target), page),
        )
        receipt = exporter("notion", options).export(task, tmp_path / "n", task_id=1, revision=1)
        outputs.append(written(receipt))
        outputs += [request["body"] for request in server.state.requests]
        outputs += [json.dumps(request["headers"]) for request in server.state.requests]
        assert len(server.state.uploads) == 3
    assert json.loads(written(receipt))["page_id"] in pages.values()
    for value in secrets.values():
        leaks = [text for text in outputs if value in text]
        if value == secrets["NOTION_TOKEN"]:  # only in the Authorization header
            assert all(f"Bearer {value}" in text and "{" in text for text in leaks)
            assert len(leaks) == len(server.state.requests)
        else:
            assert leaks == []


def test_cli_export_needs_out_for_folder_formats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'library.db'}"
    monkeypatch.setenv("COAUTHOR_DATABASE_URL", url)
    task_id = Store(url).create_task(make_task()).id
    runner = CliRunner()
    missing = runner.invoke(app, ["export", str(task_id), "--format", "otter"])
    assert missing.exit_code == 2 and "pass --out FOLDER" in missing.stderr
    for name in FOLDER_FORMATS:
        out = tmp_path / name
        done = runner.invoke(app, ["export", str(task_id), "--format", name, "--out", str(out)])
        assert done.exit_code == 0, done.stderr
        assert Path(done.stdout.strip()).exists()
