"""Students' graded results read back from the graders, and the pass-through they give.

A grader's file (otter's grades CSV, nbgrader's gradebook) becomes a :class:`GradedFile`:
one :class:`StepScore` per student and step. The store keeps the latest file of each source
per task and computes :class:`TaskPassThrough` from them (see ``coauthor.store.results``).

Definitions, the same everywhere (CLI, studio, metrics, copilot):

- a student *attempted* a step when they earned at least one point on it (a submission that
  leaves the starter earns none);
- a student *passed* a step with every point of it;
- *mean score*: the mean over the class of the share of the step's points earned;
- *drop-out* at step N: students who attempted step N-1 and did not attempt step N, as a
  count and as a share of those who attempted step N-1.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ResultSource(StrEnum):
    otter = "otter"  # otter-grader's final_grades.csv (``otter grade``)
    nbgrader = "nbgrader"  # nbgrader's gradebook.db


class StepScore(_Strict):
    """One student's points on one step (summed over the step's graded tests)."""

    student: str
    step: int = Field(ge=1)
    score: float = Field(ge=0)
    possible: float = Field(ge=0)

    @property
    def attempted(self) -> bool:
        return self.score > 0

    @property
    def passed(self) -> bool:
        return self.possible > 0 and self.score >= self.possible


class GradedFile(_Strict):
    """What one grader's file says about one task: every student's score on every step."""

    source: ResultSource
    file: str = Field(description="The file's name, as it was imported")
    students: list[str] = Field(default_factory=list)
    steps: list[int] = Field(default_factory=list, description="Steps the file grades")
    scores: list[StepScore] = Field(default_factory=list)


class StepPassThrough(_Strict):
    step: int
    title: str = ""
    graded: bool = Field(description="False: no imported file grades this step")
    students: int = 0
    attempted: int = 0
    passed: int = 0
    mean_score: float | None = Field(default=None, description="Mean share of points, 0..1")
    pass_through: float | None = Field(default=None, description="passed / students")
    dropped: int | None = Field(
        default=None, description="Attempted the previous step, not this one (None: step 1)"
    )
    drop_out: float | None = Field(default=None, description="dropped / attempted previous")


class TaskPassThrough(_Strict):
    task_id: int
    title: str = ""
    sources: list[ResultSource] = Field(default_factory=list)
    imported_at: datetime | None = None
    students: int = 0
    passed_all: int = Field(default=0, description="Students who passed every graded step")
    pass_through: float | None = None
    steps: list[StepPassThrough] = Field(default_factory=list)
    largest_drop: int | None = Field(
        default=None, description="The step where most students drop out (None: nobody does)"
    )

    def hardest(self) -> list[StepPassThrough]:
        """Graded steps, the lowest pass-through first (ties: the earlier step first)."""
        graded = [s for s in self.steps if s.graded and s.pass_through is not None]
        return sorted(graded, key=lambda s: (s.pass_through, s.step))


class ResultsImport(_Strict):
    """What importing one file did."""

    task_id: int
    source: ResultSource
    file: str
    students: int
    scores: int = Field(description="Student-step scores written")
    replaced: int = Field(description="Scores of an earlier file from this source, replaced")
    pass_through: TaskPassThrough


class StudentsMetrics(_Strict):
    """The metrics page's Students section: pass-through per task and step, and drop-out."""

    tasks: list[TaskPassThrough] = Field(default_factory=list)
    students: int = Field(default=0, description="Student results over all tasks")
    pass_through: float | None = Field(default=None, description="Passed all / students")
