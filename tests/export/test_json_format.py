"""JSON export: versioned, and a task round-trips through it (and through the CLI) unchanged."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from export_samples import CHART_PNG, CHART_SVG, JPEG, SVG, make_task, make_task_with_figures
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from coauthor import schemas
from coauthor.cli import app
from coauthor.export import ExportError, exporter
from coauthor.export.json_format import SCHEMA_VERSION, dumps, load, loads
from coauthor.schemas import (
    Difficulty,
    Language,
    Lesson,
    Link,
    Plan,
    Step,
    StepOutline,
    Task,
    TaskBrief,
    TaskType,
    Verdict,
)
from coauthor.schemas.figures import Figure, FigureKind, FigureStatus
from coauthor.store import Store

text = st.text(max_size=60)
short = st.text(min_size=1, max_size=40).map(str.strip).filter(bool)
names = st.lists(short, max_size=4)
number = st.floats(min_value=0, max_value=100, allow_nan=False)

verdicts = st.builds(
    Verdict,
    verified=st.booleans(),
    tests=st.integers(min_value=0, max_value=50),
    solution_outcomes=st.dictionaries(short, st.sampled_from(schemas.TestOutcome), max_size=4),
    starter_outcomes=st.dictionaries(short, st.sampled_from(schemas.TestOutcome), max_size=4),
    weak_tests=names,
    coverage=st.none() | number,
    problems=names,
    warnings=names,
    output=text,
    isolation=text,
    duration_s=number,
    repair_rounds=st.integers(min_value=0, max_value=5),
    repairs=names,
)
figure_names = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True)
figure_list = st.lists(
    st.builds(
        Figure,
        name=figure_names,
        kind=st.sampled_from(FigureKind),
        caption=text,
        alt=text,
        purpose=text,
        source=text,
        status=st.sampled_from(FigureStatus),
        error=text,
        png=st.binary(max_size=64).map(lambda b: base64.b64encode(b).decode()),
        svg=text,
        media_type=st.sampled_from(["image/png", "image/jpeg", "image/svg+xml"]),
        drawn_from=st.text(max_size=64),
    ),
    max_size=3,
)
steps = st.builds(
    Step,
    title=short,
    goal=text,
    lessons=names,
    story=text,
    theory=text,
    links=st.lists(st.builds(Link, title=short, url=short), max_size=3),
    requirements=names,
    starter=text,
    solution=text,
    tests=text,
    flags=names,
    verdict=st.none() | verdicts,
    figures=figure_list,
)
tasks = st.builds(
    Task,
    brief=st.builds(
        TaskBrief,
        idea=short,
        domain=short,
        difficulty=st.sampled_from(Difficulty),
        task_type=st.sampled_from(TaskType),
        language=st.sampled_from(Language),
        steps=st.integers(min_value=1, max_value=12),
        lessons=st.lists(st.builds(Lesson, title=short, detail=text), max_size=3),
    ),
    plan=st.builds(
        Plan,
        title=short,
        steps=st.lists(
            st.builds(StepOutline, title=short, goal=short, lessons=names), min_size=1, max_size=4
        ),
    ),
    steps=st.lists(steps, max_size=3),
    summary=text,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(task=tasks, task_id=st.integers(min_value=1, max_value=10**6))
def test_any_task_round_trips_without_loss(task: Task, task_id: int) -> None:
    document = json.loads(dumps(task, task_id=task_id, revision=3))
    assert document["schema_version"] == SCHEMA_VERSION == 1
    assert (document["task_id"], document["revision"]) == (task_id, 3)
    assert document["exported_at"].endswith("+00:00")
    assert loads(json.dumps(document)) == task


def test_export_writes_task_id_json_and_load_reads_it(tmp_path: Path) -> None:
    task = make_task()
    path = exporter("json").export(task, tmp_path / "out", task_id=12, revision=4)
    assert path == tmp_path / "out" / "task-12.json"
    assert load(path) == task
    steps = json.loads(path.read_text())["task"]["steps"]
    assert steps[0]["verdict"]["verified"] is True and steps[1]["verdict"] is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "is not JSON"),
        ("[1, 2]", "not a Co-Author task export"),
        ('{"task": {}}', "not a Co-Author task export"),
        ('{"schema_version": "1", "task": {}}', "invalid schema_version"),
        ('{"schema_version": 2, "task": {}}', "newer than this Co-Author reads (1); upgrade"),
        ('{"schema_version": 1, "task": {"plan": {}}}', "invalid task at brief"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(
    content: str, message: str, tmp_path: Path
) -> None:
    path = tmp_path / "task.json"
    path.write_text(content)
    with pytest.raises(ExportError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load(path)
    with pytest.raises(ExportError, match="cannot read"):
        load(tmp_path / "missing.json")


def test_cli_export_then_import_makes_an_equal_new_task(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'library.db'}"
    monkeypatch.setenv("COAUTHOR_DATABASE_URL", url)
    original = make_task()
    task_id = Store(url).create_task(original).id
    runner = CliRunner()
    exported = runner.invoke(
        app, ["export", str(task_id), "--format", "json", "--out", str(tmp_path)]
    )
    assert exported.exit_code == 0, exported.stderr
    path = Path(exported.stdout.strip())

    imported = runner.invoke(app, ["import", str(path), "--json"])
    assert imported.exit_code == 0, imported.stderr
    payload = json.loads(imported.stdout)
    assert payload["task_id"] != task_id and payload["status"] == "ok"
    revision = Store(url).revision(payload["task_id"])
    assert revision.task == original and revision.source == "import"

    plain = runner.invoke(app, ["import", str(path)])
    assert plain.exit_code == 0 and plain.stdout.strip().isdigit()

    path.write_text('{"schema_version": 9}')
    refused = runner.invoke(app, ["import", str(path)])
    assert refused.exit_code == 2 and "upgrade Co-Author" in refused.stderr
    assert refused.stdout == "" and refused.stderr.count("\n") == 1


def test_figures_round_trip_through_export_and_import_byte_for_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PNG chart (with its SVG), an SVG diagram and an uploaded JPEG come back identical."""
    url = f"sqlite:///{tmp_path / 'library.db'}"
    monkeypatch.setenv("COAUTHOR_DATABASE_URL", url)
    original = make_task_with_figures()
    task_id = Store(url).create_task(original).id
    runner = CliRunner()

    def export(number: int, out: Path) -> Path:
        done = runner.invoke(app, ["export", str(number), "--format", "json", "--out", str(out)])
        assert done.exit_code == 0, done.stderr
        return Path(done.stdout.strip())

    path = export(task_id, tmp_path / "first")
    assert list(path.parent.iterdir()) == [path]  # one self-contained file, images inside
    imported = runner.invoke(app, ["import", str(path), "--json"])
    assert imported.exit_code == 0, imported.stderr
    new_id = json.loads(imported.stdout)["task_id"]
    task = Store(url).revision(new_id).task
    assert task == original
    chart, flow, photo, broken = task.steps[0].figures
    assert base64.b64decode(chart.png) == CHART_PNG and chart.svg == CHART_SVG
    assert flow.svg == SVG and flow.png == ""
    assert base64.b64decode(photo.png) == JPEG and photo.media_type == "image/jpeg"
    assert broken.status is FigureStatus.failed and "ZeroDivisionError" in broken.error
    assert "figure:uplift-chart" in task.steps[0].story  # anchors stay as written

    second = export(new_id, tmp_path / "second")
    first_task = json.loads(path.read_text())["task"]
    assert json.loads(second.read_text())["task"] == first_task  # the same document again
