"""Students' results: a grader's file read (``coauthor.export.grades``) and written to the
store as the task's results from that grader, replacing the grader's earlier file."""

from __future__ import annotations

from pathlib import Path

from coauthor.export.grades import GradesError, read_grades
from coauthor.schemas.results import ResultsImport
from coauthor.store import Store

__all__ = ["GradesError", "import_results"]


def import_results(
    store: Store, task_id: int, path: Path, *, name: str | None = None
) -> ResultsImport:
    """Read ``path`` (otter's grades CSV or nbgrader's gradebook.db) against the task's head
    revision and store it; nothing is written when it does not map (GradesError)."""
    steps = len(store.revision(task_id).task.steps)
    graded = read_grades(path, task_id=task_id, steps=steps, name=name)
    return store.import_results(task_id, graded)
