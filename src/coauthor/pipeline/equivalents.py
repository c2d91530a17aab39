"""An author marks a surviving mutant as equivalent: it behaves exactly like the solution,
so no test can kill it and it should not count against the tests.

Only an author does this, with a note saying why; the mark is saved with the step in a
new revision, and the step's mutation report is rescored at once (the mutant ran against
the same tests and survived, so nothing needs running again). Later checks leave marked
survivors out of the score too (the engine reads ``step.equivalent_mutants``).

An author who changes their mind unmarks it (``unmark_equivalent``): the mark is dropped
in a new revision, and the mutant counts as a survivor again at once.
"""

from __future__ import annotations

from collections.abc import Collection

from coauthor.mutation import survivor_problems
from coauthor.mutation.analysis import scored
from coauthor.pipeline.edit import replace_step, step_at
from coauthor.schemas import Step, Verdict
from coauthor.schemas.mutation import EquivalentMark, MutantStatus, MutationReport
from coauthor.store import RevisionInfo, Store

NOTE_KEPT = 500


class EquivalentError(ValueError):
    """The mark names no surviving mutant of the step, or the step has no analysis."""


def mark_equivalent(
    store: Store,
    task_id: int,
    number: int,
    mutant_id: str,
    *,
    note: str,
    by: str = "",
    base_revision: int | None = None,
) -> RevisionInfo:
    """Save a new revision in which step ``number`` marks ``mutant_id`` as equivalent.

    ``base_revision`` (default the head) is the revision the author looked at; a newer
    head is a conflict, never a silent overwrite."""
    head = store.revision(task_id, base_revision)
    step = step_at(head.task, number)
    marked = with_equivalent(step, mutant_id, note=note, by=by, number=number)
    task = replace_step(head.task, number, marked)
    label = f"step {number}: mutant {mutant_id} marked equivalent: {note.strip()}"
    return store.add_revision(
        task_id, task, source="edit", note=label[:300], base_revision=head.number
    )


def with_equivalent(
    step: Step, mutant_id: str, *, note: str, by: str = "", number: int = 1
) -> Step:
    """``step`` with ``mutant_id`` marked equivalent and its verdict rescored.

    EquivalentError (one line) when the step has no mutation analysis, when no surviving
    mutant has that id, or when the note is empty."""
    verdict = step.verdict
    report = verdict.mutation if verdict is not None else None
    if verdict is None or report is None or report.skipped or not report.mutants:
        raise EquivalentError(
            f"step {number} has no mutation analysis yet; verify it first "
            f"(coauthor verify ID --step {number})"
        )
    survivors = [m.id for m in report.survivors]
    if mutant_id not in survivors:
        listed = ", ".join(survivors) if survivors else "none"
        raise EquivalentError(
            f"mutant {mutant_id!r} is not a surviving mutant of step {number} (survivors: {listed})"
        )
    if not note.strip():
        raise EquivalentError("say in a note why the mutant behaves exactly like the solution")
    mark = EquivalentMark(mutant_id=mutant_id, note=note.strip()[:NOTE_KEPT], by=by[:200])
    marks = [m for m in step.equivalent_mutants if m.mutant_id != mutant_id] + [mark]
    return _rejudged(step, verdict, marks, rescore(report, {m.mutant_id for m in marks}))


def unmark_equivalent(
    store: Store,
    task_id: int,
    number: int,
    mutant_id: str,
    *,
    base_revision: int | None = None,
) -> RevisionInfo:
    """Save a new revision in which step ``number`` no longer marks ``mutant_id`` as
    equivalent (it counts as a survivor again). A newer head than ``base_revision`` is a
    conflict, as for marking."""
    head = store.revision(task_id, base_revision)
    step = step_at(head.task, number)
    unmarked = without_equivalent(step, mutant_id, number=number)
    task = replace_step(head.task, number, unmarked)
    label = f"step {number}: mutant {mutant_id} no longer marked equivalent"
    return store.add_revision(
        task_id, task, source="edit", note=label[:300], base_revision=head.number
    )


def without_equivalent(step: Step, mutant_id: str, *, number: int = 1) -> Step:
    """``step`` without its mark on ``mutant_id``, the verdict rescored (the mutant is a
    survivor again). EquivalentError (one line) when the step does not mark that id."""
    marks = [m for m in step.equivalent_mutants if m.mutant_id != mutant_id]
    if len(marks) == len(step.equivalent_mutants):
        listed = ", ".join(m.mutant_id for m in step.equivalent_mutants) or "none"
        raise EquivalentError(
            f"mutant {mutant_id!r} is not marked equivalent in step {number} (marked: {listed})"
        )
    verdict = step.verdict
    report = verdict.mutation if verdict is not None else None
    if verdict is None or report is None:
        return step.model_copy(update={"equivalent_mutants": marks})
    rescored = rescore(report, {m.mutant_id for m in marks}, unmarked={mutant_id})
    return _rejudged(step, verdict, marks, rescored)


def _rejudged(
    step: Step, verdict: Verdict, marks: list[EquivalentMark], rescored: MutationReport
) -> Step:
    """``step`` with ``marks`` and its verdict judged again on the ``rescored`` analysis:
    the survivor problems of the old analysis give way to those of the new one."""
    report = verdict.mutation
    stale = set(survivor_problems(report, step.solution)) if report is not None else set()
    problems = [p for p in verdict.problems if p not in stale]
    problems += survivor_problems(rescored, step.solution)
    judged = verdict.model_copy(
        update={"mutation": rescored, "problems": problems, "verified": not problems}
    )
    return step.model_copy(update={"equivalent_mutants": marks, "verdict": judged})


def rescore(
    report: MutationReport, marked: Collection[str], *, unmarked: Collection[str] = ()
) -> MutationReport:
    """The report with the surviving mutants in ``marked`` left out of the score, and
    those in ``unmarked`` (marked before) counted as survivors again."""
    mutants = [
        m.model_copy(update={"status": MutantStatus.equivalent})
        if m.id in marked and m.status is MutantStatus.survived
        else m.model_copy(update={"status": MutantStatus.survived})
        if m.id in unmarked and m.status is MutantStatus.equivalent
        else m
        for m in report.mutants
    ]
    counts = scored(mutants, threshold=report.threshold)
    return report.model_copy(
        update={
            "killed": counts.killed,
            "survived": counts.survived,
            "timed_out": counts.timed_out,
            "equivalent": counts.equivalent,
            "score": counts.score,
            "mutants": mutants,
        }
    )
