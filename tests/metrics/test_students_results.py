"""Students' results without the graders: the readers' refusals, the pass-through arithmetic,
re-imports, the metrics' Students section and the CLI's exit codes. The files the real
graders write are read in tests/export/test_results_import.py."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coauthor.cli import app
from coauthor.metrics.report import compute
from coauthor.pipeline.results import GradesError, import_results
from coauthor.schemas import Plan, Step, StepOutline, Task, TaskBrief
from coauthor.store import Store

# otter's final_grades.csv layout (otter.grade.utils.merge_scores_to_df): three students of
# a 3-step task; step 1 has 2 points, step 2 has 4, step 3 has 1
OTTER = """file,step_1,step_2,step_3,total_points_earned,percent_correct,grading_status
points-per-question,2.0,4.0,1.0,7.0,1.0,--
a.ipynb,2.0,4.0,1.0,7.0,1.0,Completed
b.ipynb,2.0,1.0,0.0,3.0,0.43,Completed
c.ipynb,1.0,0.0,0.0,1.0,0.14,Completed
d.ipynb,0.0,0.0,0.0,0.0,0.0,Completed
"""


def three_steps() -> Task:
    steps = [Step(title=f"S{n}", story="A story.", theory="Theory.") for n in (1, 2, 3)]
    plan = Plan(title="Funnel", steps=[StepOutline(title=s.title, goal="G") for s in steps])
    return Task(brief=TaskBrief(idea="A funnel", steps=3), plan=plan, steps=steps)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'students.db'}") as opened:
        opened.create_task(three_steps())
        yield opened


def written(tmp_path: Path, text: str, name: str = "final_grades.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_pass_through_worked_by_hand(store: Store, tmp_path: Path) -> None:
    done = import_results(store, 1, written(tmp_path, OTTER))
    figures = done.pass_through
    one, two, three = figures.steps
    # step 1: a, b, c attempted; a, b passed; mean (1 + 1 + 0.5 + 0) / 4
    assert (one.attempted, one.passed, one.mean_score) == (3, 2, pytest.approx(0.625))
    # step 2: a, b attempted (c dropped: 1 of 3); a passed; mean (1 + 0.25) / 4
    assert (two.attempted, two.passed, two.mean_score) == (2, 1, pytest.approx(0.3125))
    assert (two.dropped, two.drop_out) == (1, pytest.approx(1 / 3))
    # step 3: a alone (b dropped: 1 of 2)
    assert (three.attempted, three.passed, three.dropped) == (1, 1, 1)
    assert three.drop_out == pytest.approx(0.5)
    assert (figures.students, figures.passed_all, figures.pass_through) == (4, 1, 0.25)
    assert figures.largest_drop == 2  # a tie (1 and 1): the earlier step
    assert [s.step for s in figures.hardest()] == [2, 3, 1]  # 25%, 25%, 50%


def test_importing_again_replaces_and_says_so(store: Store, tmp_path: Path) -> None:
    first = import_results(store, 1, written(tmp_path, OTTER))
    fewer = OTTER.replace("d.ipynb,0.0,0.0,0.0,0.0,0.0,Completed\n", "")
    second = import_results(store, 1, written(tmp_path, fewer))
    assert (first.replaced, second.replaced) == (0, 12)
    assert second.pass_through.students == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (OTTER.replace("step_3,", "q3,", 1), "header row, column 'q3' does not map to a step"),
        (OTTER.replace("step_3,", "step_4,", 1), "column 'step_4' does not map to a step"),
        (OTTER.replace("b.ipynb,2.0,1.0", "b.ipynb,2.0,lots"), "row 4, column 'step_2': 'lots'"),
        (OTTER.replace("c.ipynb,1.0,0.0,0.0,", "c.ipynb,1.0,"), "row 5 has 5 cells, the header 7"),
        (OTTER.replace("a.ipynb", "b.ipynb"), "row 4: file 'b.ipynb' is empty or repeated"),
        ("\n".join(OTTER.splitlines()[:1] + OTTER.splitlines()[2:]), "row 2 comes before"),
        ("name,score\nx,1\n", "header row has no 'file' column"),
        (
            "assignment,duedate,timestamp,student_id,last_name\nquest,,,ada,\n",
            "nbgrader's CSV export has only assignment totals",
        ),
        ("", "empty, not an otter grades CSV"),
    ],
)
def test_a_file_that_does_not_map_is_refused_and_nothing_is_written(
    store: Store, tmp_path: Path, text: str, message: str
) -> None:
    import_results(store, 1, written(tmp_path, OTTER))
    with pytest.raises(GradesError, match=message):
        import_results(store, 1, written(tmp_path, text, "bad.csv"))
    assert store.pass_through(1).students == 4  # the earlier import, untouched


def test_binary_and_foreign_databases_are_refused(store: Store, tmp_path: Path) -> None:
    (tmp_path / "x.bin").write_bytes(b"\x00\xff\xfe" * 10)
    with pytest.raises(GradesError, match=r"x\.bin: neither an otter grades CSV nor an nbgrader"):
        import_results(store, 1, tmp_path / "x.bin")
    with sqlite3.connect(tmp_path / "other.db") as db:
        db.execute("create table notes (text)")
    with pytest.raises(GradesError, match="a SQLite database, but not an nbgrader gradebook"):
        import_results(store, 1, tmp_path / "other.db")
    assert [
        r[0]
        for r in sqlite3.connect(tmp_path / "other.db").execute("select name from sqlite_master")
    ] == ["notes"]  # never written to


def test_metrics_have_a_students_section(store: Store, tmp_path: Path) -> None:
    assert compute(store, {}).students.tasks == []
    import_results(store, 1, written(tmp_path, OTTER))
    students = compute(store, {}).students
    assert (students.students, students.pass_through) == (4, 0.25)
    assert [s.title for s in students.tasks[0].steps] == ["S1", "S2", "S3"]


def test_cli_refuses_a_mismatched_file_with_exit_2(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COAUTHOR_DATABASE_URL", f"sqlite:///{tmp_path / 'students.db'}")
    bad = written(tmp_path, OTTER.replace("step_3,", "step_9,", 1), "other.csv")
    refused = CliRunner().invoke(app, ["results", "import", "1", str(bad)])
    assert refused.exit_code == 2
    assert refused.stderr.strip().splitlines() == [
        "error: other.csv: header row, column 'step_9' does not map to a step (this task's "
        "questions are step_1..step_3)"
    ]
    missing = CliRunner().invoke(app, ["results", "import", "7", str(bad)])
    assert missing.exit_code == 2 and "no task 7" in missing.stderr
    done = CliRunner().invoke(app, ["results", "import", "1", str(written(tmp_path, OTTER))])
    assert done.exit_code == 0 and "Imported 4 students' otter results" in done.stdout
    shown = CliRunner().invoke(app, ["metrics"])
    assert "Students" in shown.stdout and "step 2" in shown.stdout
