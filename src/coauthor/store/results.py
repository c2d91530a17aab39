"""Students' results: importing a grader's file (replacing that source's earlier one) and
the pass-through per step they give (definitions in ``coauthor.schemas.results``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from coauthor.schemas import Task
from coauthor.schemas.results import (
    GradedFile,
    ResultsImport,
    ResultSource,
    StepPassThrough,
    StepScore,
    TaskPassThrough,
)
from coauthor.schemas.team import Action
from coauthor.store.base import get_task
from coauthor.store.redact import redact
from coauthor.store.tables import StepResultRow, utcnow
from coauthor.store.tasks import TaskStore


class ResultStore(TaskStore):
    def import_results(self, task_id: int, graded: GradedFile) -> ResultsImport:
        """Write ``graded`` as the task's results from its source, replacing the scores an
        earlier file from that source gave (so importing a file twice counts it once)."""
        steps = len(self.revision(task_id).task.steps)
        beyond = [s.step for s in graded.scores if s.step > steps]
        if beyond:
            raise ValueError(f"task {task_id} has {steps} steps; the file grades step {beyond[0]}")
        now = utcnow()
        with self._session() as s, s.begin():
            actor = self._require(s, Action.edit)
            get_task(s, task_id)
            mine = (StepResultRow.task_id == task_id) & (StepResultRow.source == graded.source)
            replaced = s.scalar(sa.select(sa.func.count()).where(mine)) or 0
            s.execute(sa.delete(StepResultRow).where(mine))
            s.add_all(
                StepResultRow(
                    task_id=task_id,
                    source=graded.source.value,
                    file=redact(graded.file),
                    student=score.student,
                    step=score.step,
                    score=score.score,
                    possible=score.possible,
                    actor=actor,
                    imported_at=now,
                )
                for score in graded.scores
            )
        return ResultsImport(
            task_id=task_id,
            source=graded.source,
            file=graded.file,
            students=len(graded.students),
            scores=len(graded.scores),
            replaced=replaced,
            pass_through=self.pass_through(task_id),
        )

    def clear_results(self, task_id: int) -> int:
        """Forget every imported result of the task; the number of scores removed."""
        with self._session() as s, s.begin():
            self._require(s, Action.edit)
            gone = s.execute(sa.delete(StepResultRow).where(StepResultRow.task_id == task_id))
            return int(gone.rowcount or 0)  # type: ignore[attr-defined]

    def step_scores(self, task_id: int) -> list[tuple[ResultSource, StepScore, datetime]]:
        query = (
            sa.select(StepResultRow)
            .where(StepResultRow.task_id == task_id)
            .order_by(StepResultRow.source, StepResultRow.student, StepResultRow.step)
        )
        with self._session() as s:
            return [
                (
                    ResultSource(row.source),
                    StepScore(
                        student=row.student, step=row.step, score=row.score, possible=row.possible
                    ),
                    row.imported_at,
                )
                for row in s.scalars(query)
            ]

    def pass_through(self, task_id: int, task: Task | None = None) -> TaskPassThrough:
        """The task's pass-through from its imported results (``task``: the revision whose
        step titles to show; the head when None)."""
        shown = task if task is not None else self.revision(task_id).task
        rows = self.step_scores(task_id)
        return pass_through(task_id, shown, rows)

    def tasks_with_results(self) -> list[int]:
        query = sa.select(StepResultRow.task_id).distinct().order_by(StepResultRow.task_id)
        with self._session() as s:
            return list(s.scalars(query))


def pass_through(
    task_id: int, task: Task, rows: Sequence[tuple[ResultSource, StepScore, datetime]]
) -> TaskPassThrough:
    """Pass-through per step of ``task`` over ``rows``; a student of one source is not the
    same as a student of another (two classes graded by two tools)."""
    by_student: dict[tuple[ResultSource, str], dict[int, StepScore]] = {}
    for source, score, _ in rows:
        by_student.setdefault((source, score.student), {})[score.step] = score
    students = len(by_student)
    graded_steps = {score.step for _, score, _ in rows}
    steps: list[StepPassThrough] = []
    previous: list[bool] | None = None
    for number, step in enumerate(task.steps, 1):
        if number not in graded_steps:
            steps.append(StepPassThrough(step=number, title=step.title, graded=False))
            previous = None
            continue
        scores = [marks.get(number) for marks in by_student.values()]
        attempted = [s is not None and s.attempted for s in scores]
        passed = sum(1 for s in scores if s is not None and s.passed)
        shares = [s.score / s.possible if s and s.possible else 0.0 for s in scores]
        dropped: int | None = None
        drop_out: float | None = None
        if previous is not None:
            dropped = sum(
                1 for was, now in zip(previous, attempted, strict=True) if was and not now
            )
            before = sum(previous)
            drop_out = dropped / before if before else None
        steps.append(
            StepPassThrough(
                step=number,
                title=step.title,
                graded=True,
                students=students,
                attempted=sum(attempted),
                passed=passed,
                mean_score=sum(shares) / students if students else None,
                pass_through=passed / students if students else None,
                dropped=dropped,
                drop_out=drop_out,
            )
        )
        previous = attempted
    passed_all = sum(
        1
        for marks in by_student.values()
        if graded_steps and all(n in marks and marks[n].passed for n in graded_steps)
    )
    drops = [s for s in steps if s.dropped]
    largest = max(drops, key=lambda s: (s.dropped or 0, -s.step)) if drops else None
    return TaskPassThrough(
        task_id=task_id,
        title=task.title,
        sources=sorted({source for source, _, _ in rows}),
        imported_at=max((at for _, _, at in rows), default=None),
        students=students,
        passed_all=passed_all,
        pass_through=passed_all / students if students else None,
        steps=steps,
        largest_drop=largest.step if largest else None,
    )
