"""The otter export goes through the real ``otter assign`` and ``otter run`` (no Docker)."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path

import nbformat
import pytest
from export_samples import TEST_COUNTS, tool

from coauthor.export import exporter
from coauthor.schemas import Task

pytestmark = pytest.mark.slow


def start(args: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def finish(process: subprocess.Popen[str]) -> str:
    try:
        output, _ = process.communicate(timeout=240)
    finally:
        process.kill()
    assert process.returncode == 0, f"{process.args!r} failed:\n{output[-4000:]}"
    return output


def run(args: list[str], *, cwd: Path, env: dict[str, str]) -> str:
    return finish(start(args, cwd=cwd, env=env))


def filled(student: Path, code: str, target: Path) -> Path:
    """The student notebook with every answer cell replaced by ``code``."""
    notebook = nbformat.read(student, as_version=4)
    answers = [c for c in notebook.cells if "otter_answer_cell" in c.metadata.get("tags", [])]
    assert len(answers) == len(TEST_COUNTS)
    for cell in answers:
        cell.source = code
    nbformat.write(notebook, target)
    return target


def scores(results: Path) -> tuple[float, float]:
    tests = json.loads(results.read_text())["tests"]
    questions = [t for t in tests if t["name"].startswith("step_")]
    assert [t["name"] for t in questions] == ["step_1", "step_2"]
    return sum(t["score"] for t in questions), sum(t["max_score"] for t in questions)


def test_master_notebook_has_otters_assign_format(task: Task, tmp_path: Path) -> None:
    path = exporter("otter").export(task, tmp_path / "out", task_id=7, revision=3)
    assert path.name == "task-7.ipynb"
    master = nbformat.read(path, as_version=4)
    nbformat.validate(master)
    raw = [c.source for c in master.cells if c.cell_type == "raw"]
    assert raw[0].startswith('# ASSIGNMENT CONFIG\nname: "coauthor-task-7"')
    assert '"numpy"' in raw[0] and '"pytest"' in raw[0]
    assert "# BEGIN QUESTION\nname: step_1\npoints: 3" in raw
    assert "# BEGIN QUESTION\nname: step_2\npoints: 5" in raw
    code = [c.source for c in master.cells if c.cell_type == "code"]
    solutions = [c for c in code if "# BEGIN SOLUTION NO PROMPT" in c]
    assert len(solutions) == 2 and all(c.index("...") < c.index("np.mean") for c in solutions)
    tests = [c for c in code if c.startswith('""" # BEGIN TEST CONFIG')]
    assert len(tests) == sum(TEST_COUNTS)
    assert sum("hidden: true" in c for c in tests) == 1
    text = "\n".join(c.source for c in master.cells if c.cell_type == "markdown")
    assert "Verified: the reference solution passes all 3 tests" in text
    assert "Not verified yet" in text and "Uplift is the **difference**" in text


def test_a_step_whose_tests_do_not_parse_is_no_question(task: Task, tmp_path: Path) -> None:
    task.steps.append(task.steps[0].model_copy(update={"tests": "def test_broken(:\n"}))
    master = nbformat.read(exporter("otter").export(task, tmp_path, task_id=1, revision=1), 4)
    nbformat.validate(master)
    questions = [c for c in master.cells if c.source.startswith("# BEGIN QUESTION")]
    assert len(questions) == 2
    assert master.cells[-2].source == task.steps[2].starter  # the starter, no solution
    assert master.cells[-1].source.startswith("#### Verification")


def test_otter_assign_then_run_gives_all_points_to_the_solution_only(
    figured: Task, tmp_path: Path, env: dict[str, str]
) -> None:
    task = figured  # with figures: their images are attachments of step 1's statement
    master = exporter("otter").export(task, tmp_path / "master", task_id=1, revision=1)
    dist = tmp_path / "dist"
    run([tool("otter"), "assign", str(master), str(dist)], cwd=tmp_path, env=env)
    student = dist / "student" / master.name
    [autograder] = (dist / "autograder").glob("*.zip")

    assert "test_hidden_fixture_chain" not in student.read_text()  # hidden tests stay hidden
    student_cells = nbformat.read(student, as_version=4).cells
    cells = "\n".join(c.source for c in student_cells)
    attached = {k: v for c in student_cells for k, v in c.get("attachments", {}).items()}
    master_cells = nbformat.read(master, as_version=4).cells
    expected = {k: v for c in master_cells for k, v in c.get("attachments", {}).items()}
    assert attached == expected and len(expected) == 3  # every image, intact
    assert sorted(attached) == sorted(re.findall(r"\]\(attachment:([^ )]+)", cells))
    assert "np.mean" not in cells  # the solution is stripped, the starter kept
    assert "def mean_uplift(control: list[float], treatment: list[float]) -> float:" in cells
    with zipfile.ZipFile(autograder) as archive:
        hidden = archive.read("tests/step_2.py").decode()
    assert "test_hidden_fixture_chain" in hidden and "'hidden': True" in hidden

    graded = {}
    for name, code in (("solution", task.steps[0].solution), ("starter", task.steps[0].starter)):
        submission = filled(student, code, tmp_path / f"{name}.ipynb")
        results = tmp_path / f"results-{name}"
        results.mkdir()
        command = [tool("otter"), "run", "-a", str(autograder), "-o", str(results), str(submission)]
        graded[name] = (results, start(command, cwd=tmp_path, env=env))  # both at once
    for name, (results, process) in graded.items():
        finish(process)
        got, total = scores(results / "results.json")
        assert total == sum(TEST_COUNTS)
        assert (got == total) is (name == "solution"), f"{name}: {got}/{total}"
