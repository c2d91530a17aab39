"""Graded results read back from the formats this package exports to.

- otter-grader: the grades CSV ``otter grade`` writes (``final_grades.csv``): a ``file``
  column, one column per question, ``total_points_earned``, ``percent_correct`` and
  ``grading_status``; its first row, ``points-per-question``, holds each question's points.
  The otter export names step N's question ``step_N`` (:mod:`coauthor.export.otter`).
- nbgrader: its ``gradebook.db``, read through nbgrader's own ``Gradebook`` API (on a copy,
  since nbgrader creates or upgrades tables in what it opens). The nbgrader export names
  step N's grade cells ``step_N_<test>`` and the notebook ``task-<id>``
  (:mod:`coauthor.export.nbgrader`). nbgrader's CSV export (``nbgrader export``) has only
  assignment totals, no cells: it is recognised and refused with that reason.

Anything that does not map raises :class:`GradesError` naming the first row or cell.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable
from pathlib import Path

from coauthor.schemas.results import GradedFile, ResultSource, StepScore

OTTER_POSSIBLE = "points-per-question"
OTTER_META = frozenset({"file", "total_points_earned", "percent_correct", "grading_status"})
NBGRADER_CSV = ("assignment", "duedate", "timestamp", "student_id")
SQLITE_MAGIC = b"SQLite format 3\x00"
_OTTER_QUESTION = re.compile(r"step_(\d+)")
_NBGRADER_CELL = re.compile(r"step_(\d+)_.+")
_NBGRADER_NOTEBOOK = re.compile(r"task-(\d+)")


class GradesError(ValueError):
    """The file is not a grader's results for this task; the message names the first
    row or cell that does not map."""


def read_grades(path: Path, *, task_id: int, steps: int, name: str | None = None) -> GradedFile:
    """The graded results in ``path`` for task ``task_id`` of ``steps`` steps, by content:
    a SQLite file is nbgrader's gradebook, a CSV otter's grades (or nbgrader's export)."""
    label = name or path.name
    try:
        head = path.read_bytes()[: len(SQLITE_MAGIC)]
    except OSError as exc:
        raise GradesError(f"{label}: cannot be read ({exc.strerror or exc})") from None
    if head == SQLITE_MAGIC:
        return read_gradebook(path, task_id=task_id, steps=steps, name=label)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise GradesError(
            f"{label}: neither an otter grades CSV nor an nbgrader gradebook.db"
        ) from None
    return read_otter_csv(text, steps=steps, name=label)


def _number(value: str, where: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise GradesError(f"{where}: {value!r} is not a number") from None
    if number != number or number < 0:  # NaN or negative
        raise GradesError(f"{where}: {value!r} is not a score")
    return number


def _step(number: str, steps: int) -> int | None:
    step = int(number)
    return step if 1 <= step <= steps else None


def read_otter_csv(text: str, *, steps: int, name: str = "grades.csv") -> GradedFile:
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or not rows[0]:
        raise GradesError(f"{name}: empty, not an otter grades CSV")
    header = [h.strip() for h in rows[0]]
    if tuple(header[: len(NBGRADER_CSV)]) == NBGRADER_CSV:
        raise GradesError(
            f"{name}: nbgrader's CSV export has only assignment totals, no cells to map to "
            "steps; import the course's gradebook.db instead"
        )
    if "file" not in header:
        raise GradesError(f"{name}: header row has no 'file' column: not an otter grades CSV")
    questions: dict[int, int] = {}  # column -> step
    for column, title in enumerate(header):
        if title in OTTER_META:
            continue
        match = _OTTER_QUESTION.fullmatch(title)
        step = _step(match.group(1), steps) if match else None
        if step is None:
            raise GradesError(
                f"{name}: header row, column {title!r} does not map to a step "
                f"(this task's questions are step_1..step_{steps})"
            )
        questions[column] = step
    if not questions:
        raise GradesError(f"{name}: header row names no question (step_1..step_{steps})")
    file_at = header.index("file")
    possible: dict[int, float] = {}
    scores: list[StepScore] = []
    students: list[str] = []
    for number, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise GradesError(
                f"{name}: row {number} has {len(row)} cells, the header {len(header)}"
            )
        student = row[file_at].strip()
        values = {
            step: _number(row[column].strip(), f"{name}: row {number}, column {header[column]!r}")
            for column, step in questions.items()
        }
        if student == OTTER_POSSIBLE:
            possible = values
            continue
        if not possible:
            raise GradesError(
                f"{name}: row {number} comes before the {OTTER_POSSIBLE!r} row otter writes first"
            )
        if not student or student in students:
            raise GradesError(f"{name}: row {number}: file {student!r} is empty or repeated")
        students.append(student)
        scores += [
            StepScore(student=student, step=step, score=score, possible=possible[step])
            for step, score in values.items()
        ]
    if not students:
        raise GradesError(f"{name}: no graded submission in it")
    return GradedFile(
        source=ResultSource.otter,
        file=name,
        students=students,
        steps=sorted(set(questions.values())),
        scores=scores,
    )


def _tables(path: Path) -> set[str]:
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        with sqlite3.connect(uri, uri=True) as db:
            rows = db.execute("select name from sqlite_master where type = 'table'").fetchall()
    except sqlite3.Error as exc:
        raise GradesError(f"{path.name}: not a readable SQLite database ({exc})") from None
    return {str(row[0]) for row in rows}


def read_gradebook(
    path: Path, *, task_id: int, steps: int, name: str = "gradebook.db"
) -> GradedFile:
    """nbgrader's gradebook, through nbgrader's API, on a copy of ``path``."""
    if not {"assignment", "grade_cells", "submitted_assignment", "grade"} <= _tables(path):
        raise GradesError(f"{name}: a SQLite database, but not an nbgrader gradebook")
    from nbgrader.api import Gradebook

    with tempfile.TemporaryDirectory(prefix="coauthor-gradebook-") as folder:
        copy = Path(folder) / "gradebook.db"
        shutil.copyfile(path, copy)
        with Gradebook(f"sqlite:///{copy}") as gradebook:
            assignments = [a.name for a in gradebook.assignments]
            if len(assignments) != 1:
                found = ", ".join(assignments) or "none"
                raise GradesError(
                    f"{name}: one assignment expected (the exported task), found {found}"
                )
            [assignment] = assignments
            cells = {
                (notebook.name, cell.name): cell.max_score
                for notebook in gradebook.find_assignment(assignment).notebooks
                for cell in notebook.grade_cells
            }
            graded = [
                (
                    submission.student_id,
                    [
                        (n.name, g.name, float(g.score))
                        for n in submission.notebooks
                        for g in n.grades
                    ],
                )
                for submission in gradebook.assignment_submissions(assignment)
            ]
    return _gradebook_scores(name, assignment, cells, graded, task_id=task_id, steps=steps)


def _gradebook_scores(
    name: str,
    assignment: str,
    cells: dict[tuple[str, str], float],
    graded: Iterable[tuple[str, list[tuple[str, str, float]]]],
    *,
    task_id: int,
    steps: int,
) -> GradedFile:
    where = f"{name}: assignment {assignment!r}"
    cell_step: dict[tuple[str, str], int] = {}
    for notebook, cell in sorted(cells):
        match = _NBGRADER_NOTEBOOK.fullmatch(notebook)
        if match and int(match.group(1)) != task_id:
            raise GradesError(
                f"{where}, notebook {notebook!r} is task {match.group(1)}'s, not task {task_id}'s"
            )
        cell_match = _NBGRADER_CELL.fullmatch(cell)
        step = _step(cell_match.group(1), steps) if cell_match else None
        if step is None:
            raise GradesError(
                f"{where}, notebook {notebook!r}: grade cell {cell!r} does not map to a step "
                f"(this task's cells are step_1_* .. step_{steps}_*)"
            )
        cell_step[(notebook, cell)] = step
    if not cell_step:
        raise GradesError(f"{where} has no grade cells")
    possible: dict[int, float] = {}
    for key, step in cell_step.items():
        possible[step] = possible.get(step, 0.0) + cells[key]
    students: list[str] = []
    scores: list[StepScore] = []
    for student, grades in sorted(graded):
        earned = dict.fromkeys(possible, 0.0)
        for notebook, cell, score in grades:
            earned[cell_step[(notebook, cell)]] += score
        students.append(student)
        scores += [
            StepScore(student=student, step=step, score=score, possible=possible[step])
            for step, score in sorted(earned.items())
        ]
    if not students:
        raise GradesError(f"{where} has no submission (run nbgrader autograde first)")
    return GradedFile(
        source=ResultSource.nbgrader,
        file=name,
        students=students,
        steps=sorted(possible),
        scores=scores,
    )
