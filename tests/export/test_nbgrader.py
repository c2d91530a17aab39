"""The nbgrader export goes through the real ``generate_assignment`` and ``autograde``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import nbformat
import pytest
from export_samples import TEST_COUNTS, tool
from nbgrader.api import Gradebook
from nbgrader.nbgraderformat import MetadataValidator

from coauthor.export import exporter
from coauthor.schemas import Task

pytestmark = pytest.mark.slow
ASSIGNMENT = "quest"


def nbgrader(*args: str, course: Path, env: dict[str, str]) -> None:
    done = subprocess.run(
        [tool("nbgrader"), *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, f"nbgrader {args[0]} failed:\n{done.stderr[-4000:]}"


def test_source_notebook_has_valid_nbgrader_metadata(task: Task, tmp_path: Path) -> None:
    path = exporter("nbgrader").export(task, tmp_path, task_id=3, revision=1)
    source = nbformat.read(path, as_version=4)
    nbformat.validate(source)
    MetadataValidator().validate_nb(source)  # nbgrader's own check of schema 3 metadata
    meta = [c.metadata["nbgrader"] for c in source.cells]
    assert all(m["schema_version"] == 3 for m in meta)
    assert len({m["grade_id"] for m in meta}) == len(meta)
    solutions = [c for c in source.cells if c.metadata["nbgrader"]["solution"]]
    assert len(solutions) == 2
    assert all(
        "### BEGIN SOLUTION" in c.source and "### END SOLUTION" in c.source for c in solutions
    )
    graded = [m for m in meta if m["grade"]]
    assert len(graded) == sum(TEST_COUNTS) and all(m["points"] == 1 and m["locked"] for m in graded)
    hidden = [c for c in source.cells if "### BEGIN HIDDEN TESTS" in c.source]
    assert [c.metadata["nbgrader"]["grade_id"] for c in hidden] == [
        "step_2_test_hidden_fixture_chain"
    ]
    text = "\n".join(c.source for c in source.cells if c.cell_type == "markdown")
    assert "Not verified yet" in text and "tests cover 100%" in text


def test_generate_and_autograde_give_full_marks_to_the_solution_only(
    figured: Task, tmp_path: Path, env: dict[str, str]
) -> None:
    task = figured  # with figures: their images are attachments of step 1's statement
    course = tmp_path / "course"
    exporter("nbgrader").export(task, course / "source" / ASSIGNMENT, task_id=1, revision=1)
    (course / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'coauthor'\n"
    )
    nbgrader("generate_assignment", ASSIGNMENT, "--force", course=course, env=env)
    [released] = (course / "release" / ASSIGNMENT).glob("*.ipynb")
    student = nbformat.read(released, as_version=4)
    student_text = "\n".join(c.source for c in student.cells)
    assert "np.mean" not in student_text and "raise NotImplementedError()" in student_text
    assert "test_hidden_fixture_chain" not in student_text
    [source] = (course / "source" / ASSIGNMENT).glob("*.ipynb")
    expected = [c.get("attachments") for c in nbformat.read(source, as_version=4).cells]
    assert [c.get("attachments") for c in student.cells] == expected  # images kept, intact
    assert sum(1 for a in expected if a) == 1

    for student_id, code in (("ada", task.steps[0].solution), ("bob", task.steps[0].starter)):
        for cell in student.cells:
            if cell.metadata.get("nbgrader", {}).get("solution"):
                cell.source = code
        folder = course / "submitted" / student_id / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(student, folder / released.name)
    nbgrader("autograde", ASSIGNMENT, "--create", "--force", course=course, env=env)

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        solution = gradebook.find_submission(ASSIGNMENT, "ada")
        starter = gradebook.find_submission(ASSIGNMENT, "bob")
        assert solution.max_score == starter.max_score == sum(TEST_COUNTS)
        assert solution.score == solution.max_score
        assert starter.score < starter.max_score
    autograded = course / "autograded" / "ada" / ASSIGNMENT / released.name
    assert "test_hidden_fixture_chain" in autograded.read_text()  # put back for grading


def test_unusual_tests_still_make_a_valid_notebook(task: Task, tmp_path: Path) -> None:
    cyrillic = "from solution import mean_uplift\n\ndef test_выручка():\n    assert mean_uplift"
    task.steps.append(task.steps[0].model_copy(update={"tests": cyrillic}))
    task.steps.append(task.steps[0].model_copy(update={"tests": "def test_broken(:\n"}))
    source = nbformat.read(exporter("nbgrader").export(task, tmp_path, task_id=1, revision=1), 4)
    MetadataValidator().validate_nb(source)
    ids = [c.metadata["nbgrader"]["grade_id"] for c in source.cells]
    assert "step_3_test" + "_" * 8 + "_1" in ids  # ASCII only, numbered to stay unique
    assert [i for i in ids if i.startswith("step_4")] == [
        "step_4_statement",
        "step_4_solution",
        "step_4_verdict",
    ]
