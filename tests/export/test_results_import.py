"""Students' results read back from files the real graders wrote for a small class.

One class of four synthetic submissions of a 2-step task is graded once per module, by
otter (``otter assign``, then ``otter run`` per submission, merged into ``final_grades.csv``
by the very function ``otter grade`` uses, which otherwise needs Docker) and by nbgrader
(``generate_assignment``, ``autograde``: ``gradebook.db``). Points, worked out by hand
(step 1: 3 tests, step 2: 2 tests, one point each):

======  ==================  ==================
 who     step 1              step 2
======  ==================  ==================
 ada     solution: 3/3       solution: 2/2
 bob     solution: 3/3       no zero check: 1/2
 cyd     no empty check 2/3  starter: 0/2
 dan     starter: 0/3        starter: 0/2
======  ==================  ==================

step 1: attempted 3 of 4, passed 2 (50%), mean score (1 + 1 + 2/3 + 0) / 4 = 2/3;
step 2: attempted 2, passed 1 (25%), mean (1 + 1/2) / 4 = 0.375, dropped 1 (cyd) of the 3
who attempted step 1 (1/3); every step passed: ada alone (25%).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dill
import nbformat
import pandas as pd
import pytest
from export_samples import make_task, tool, tool_env
from nbgrader.api import Gradebook
from nbgrader.plugins.export import CsvExportPlugin
from otter.grade.utils import merge_scores_to_df
from typer.testing import CliRunner

from coauthor.cli import app
from coauthor.export import exporter
from coauthor.pipeline.results import GradesError, import_results
from coauthor.pipeline.starter import stub
from coauthor.schemas import Task
from coauthor.schemas.results import ResultSource, TaskPassThrough
from coauthor.store import Store
from coauthor.testing import SOLUTION, TESTS

pytestmark = pytest.mark.slow
ASSIGNMENT = "quest"

RELATIVE = '''import numpy as np


def relative_uplift(control: list[float], treatment: list[float]) -> float:
    """The treatment mean relative to the control mean, minus one."""
    base = float(np.mean(control))
    if base == 0:
        raise ValueError("the control mean is zero")
    return float(np.mean(treatment)) / base - 1.0
'''
RELATIVE_TESTS = """import pytest

from solution import relative_uplift


def test_doubling():
    assert relative_uplift([1.0, 1.0], [2.0, 2.0]) == pytest.approx(1.0)


def test_zero_control_raises():
    with pytest.raises(ValueError):
        relative_uplift([0.0], [1.0])
"""
NO_EMPTY_CHECK = (
    "import numpy as np\n\n\ndef mean_uplift(control, treatment):\n"
    "    return float(np.mean(treatment) - np.mean(control))\n"
)
NO_ZERO_CHECK = (
    "import numpy as np\n\n\ndef relative_uplift(control, treatment):\n"
    "    return float(np.mean(treatment)) / float(np.mean(control)) - 1.0\n"
)
CLASS = {
    "ada": (SOLUTION, RELATIVE),
    "bob": (SOLUTION, NO_ZERO_CHECK),
    "cyd": (NO_EMPTY_CHECK, stub(RELATIVE)),
    "dan": (stub(SOLUTION), stub(RELATIVE)),
}
GRADE = """import os, sys, dill
from otter.run import main
autograder, out = sys.argv[1], sys.argv[2]
graded = []
for path in sys.argv[3:]:
    results = main(path, autograder=autograder, output_dir=None, no_logo=True)
    results.file = os.path.basename(path)  # as otter grade names a submission
    graded.append(results)
with open(out, "wb") as f:
    dill.dump(graded, f)
"""


def two_step_task() -> Task:
    task = make_task()
    first, second = task.steps
    task.steps = [
        first.model_copy(update={"solution": SOLUTION, "starter": stub(SOLUTION), "tests": TESTS}),
        second.model_copy(
            update={
                "title": "Relative uplift",
                "solution": RELATIVE,
                "starter": stub(RELATIVE),
                "tests": RELATIVE_TESTS,
            }
        ),
    ]
    return task


@dataclass(frozen=True)
class Graded:
    folder: Path
    otter_csv: Path
    gradebook: Path
    nbgrader_csv: Path
    task: Task
    task_id: int


def _check(process: subprocess.Popen[str]) -> None:
    try:
        output, _ = process.communicate(timeout=240)
    finally:
        process.kill()
    assert process.returncode == 0, f"{process.args!r} failed:\n{output[-4000:]}"


def _start(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _otter_submissions(master: Path, dist: Path) -> dict[str, Path]:
    student = dist / "student" / master.name
    notebook = nbformat.read(student, as_version=4)
    answers = [c for c in notebook.cells if "otter_answer_cell" in c.metadata.get("tags", [])]
    assert len(answers) == 2
    paths = {}
    for name, codes in CLASS.items():
        for cell, code in zip(answers, codes, strict=True):
            cell.source = code
        paths[name] = dist / f"{name}.ipynb"
        nbformat.write(notebook, paths[name])
    return paths


def _nbgrader_course(task: Task, task_id: int, course: Path, env: dict[str, str]) -> None:
    exporter("nbgrader").export(task, course / "source" / ASSIGNMENT, task_id=task_id, revision=1)
    (course / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'coauthor'\n"
    )
    nbgrader = tool("nbgrader")
    _check(_start([nbgrader, "generate_assignment", ASSIGNMENT, "--force"], course, env))
    [released] = (course / "release" / ASSIGNMENT).glob("*.ipynb")
    student = nbformat.read(released, as_version=4)
    answers = [c for c in student.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert len(answers) == 2
    for name, codes in CLASS.items():
        for cell, code in zip(answers, codes, strict=True):
            cell.source = code
        folder = course / "submitted" / name / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(student, folder / released.name)
    _check(_start([nbgrader, "autograde", ASSIGNMENT, "--create", "--force"], course, env))


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Graded:
    folder = tmp_path_factory.mktemp("class")
    env = tool_env(folder)
    task = two_step_task()
    task_id = 1  # the first task of every fresh store below
    master = exporter("otter").export(task, folder / "master", task_id=task_id, revision=1)
    dist = folder / "dist"
    assign = [tool("otter"), "assign", "--no-run-tests", str(master), str(dist)]
    _check(_start(assign, folder, env))  # the otter export tests run them
    [autograder] = (dist / "autograder").glob("*.zip")
    submissions = _otter_submissions(master, dist)
    (folder / "grade.py").write_text(GRADE)
    otter = _start(  # one process grades the class, one after the other, as otter grade does
        [sys.executable, "grade.py", str(autograder), "class.pkl", *map(str, submissions.values())],
        folder,
        env,
    )
    _nbgrader_course(task, task_id, folder / "course", env)  # while otter grades
    _check(otter)
    results = dill.loads((folder / "class.pkl").read_bytes())
    otter_csv = folder / "final_grades.csv"
    merge_scores_to_df(results).to_csv(otter_csv, index=False)  # as otter grade writes it
    gradebook = folder / "course" / "gradebook.db"
    nbgrader_csv = folder / "grades.csv"
    with Gradebook(f"sqlite:///{gradebook}") as book:
        CsvExportPlugin(to=str(nbgrader_csv)).export(book)  # what nbgrader export writes
    return Graded(folder, otter_csv, gradebook, nbgrader_csv, task, task_id)


@pytest.fixture
def store(tmp_path: Path, graded: Graded) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'results.db'}") as store:
        assert store.create_task(graded.task).id == graded.task_id
        yield store


def assert_hand_worked(figures: TaskPassThrough, students: int = 4) -> None:
    scale = students // 4  # the same class once per source
    first, second = figures.steps
    assert (figures.students, figures.passed_all) == (students, scale)
    assert figures.pass_through == pytest.approx(0.25)
    assert (first.attempted, first.passed) == (3 * scale, 2 * scale)
    assert first.mean_score == pytest.approx(2 / 3)
    assert first.pass_through == pytest.approx(0.5)
    assert (first.dropped, first.drop_out) == (None, None)
    assert (second.attempted, second.passed) == (2 * scale, scale)
    assert second.mean_score == pytest.approx(0.375)
    assert second.pass_through == pytest.approx(0.25)
    assert second.dropped == scale and second.drop_out == pytest.approx(1 / 3)
    assert figures.largest_drop == 2
    assert [s.step for s in figures.hardest()] == [2, 1]


def test_otter_grades_csv_is_what_otter_writes(graded: Graded) -> None:
    table = pd.read_csv(graded.otter_csv)
    assert list(table.columns) == [
        "file",
        "step_1",
        "step_2",
        "total_points_earned",
        "percent_correct",
        "grading_status",
    ]
    assert table["file"].tolist() == ["points-per-question", *(f"{n}.ipynb" for n in CLASS)]


def test_otter_results_give_the_hand_worked_pass_through(graded: Graded, store: Store) -> None:
    done = import_results(store, graded.task_id, graded.otter_csv)
    assert (done.source, done.students, done.scores, done.replaced) == (ResultSource.otter, 4, 8, 0)
    assert_hand_worked(done.pass_through)
    again = import_results(store, graded.task_id, graded.otter_csv)  # replaces, never adds
    assert again.replaced == 8
    assert_hand_worked(again.pass_through)


def test_nbgrader_gradebook_gives_the_same_pass_through(graded: Graded, store: Store) -> None:
    done = import_results(store, graded.task_id, graded.gradebook)
    assert (done.source, done.students, done.scores) == (ResultSource.nbgrader, 4, 8)
    assert_hand_worked(done.pass_through)
    both = import_results(store, graded.task_id, graded.otter_csv)  # a second class
    assert both.pass_through.sources == [ResultSource.nbgrader, ResultSource.otter]
    assert_hand_worked(both.pass_through, students=8)


def test_a_file_of_another_task_is_refused_naming_what_does_not_map(
    graded: Graded, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'other.db'}")
    request.addfinalizer(store.close)
    one_step = graded.task.model_copy(update={"steps": graded.task.steps[:1]})
    store.create_task(one_step)
    with pytest.raises(GradesError, match=r"header row, column 'step_2' does not map to a step"):
        import_results(store, 1, graded.otter_csv)
    with pytest.raises(GradesError, match=r"grade cell 'step_2_test_doubling' does not map"):
        import_results(store, 1, graded.gradebook)
    assert store.pass_through(1).students == 0  # nothing written
    store.create_task(graded.task)
    with pytest.raises(GradesError, match=r"notebook 'task-1' is task 1's, not task 2's"):
        import_results(store, 2, graded.gradebook)
    with pytest.raises(GradesError, match="nbgrader's CSV export has only assignment totals"):
        import_results(store, 2, graded.nbgrader_csv)


def test_cli_imports_and_refuses_with_exit_2(
    graded: Graded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("COAUTHOR_DATABASE_URL", url)
    with Store(url) as store:
        store.create_task(graded.task)
    runner = CliRunner()
    done = runner.invoke(app, ["results", "import", "1", str(graded.gradebook), "--json"])
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["pass_through"]["passed_all"] == 1
    again = runner.invoke(app, ["results", "import", "1", str(graded.gradebook)])
    assert again.exit_code == 0 and "replaced 8 scores of the earlier nbgrader file" in again.stdout
    shown = runner.invoke(app, ["results", "show", "1", "--json"])
    second = json.loads(shown.stdout)["steps"][1]
    assert (second["title"], second["dropped"], second["passed"]) == ("Relative uplift", 1, 1)
    table = " ".join(runner.invoke(app, ["results", "show", "1"]).stdout.split())
    assert "4 students, 1 passed every step (25%)" in table and "1 (33%)" in table
    bad = runner.invoke(app, ["results", "import", "1", str(graded.nbgrader_csv)])
    assert bad.exit_code == 2
    assert bad.stderr.count("\n") == 1 and "only assignment totals" in bad.stderr
    metrics = runner.invoke(app, ["metrics", "--json"])
    students = json.loads(metrics.stdout)["students"]
    assert students["students"] == 4 and students["tasks"][0]["largest_drop"] == 2
