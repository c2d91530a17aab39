"""Verify (and optionally repair) steps of a stored task; every change is a revision.

Used after generation: by ``coauthor verify``, the studio's re-verify button and
the copilot. Each repair round is saved as its own revision, so an author can see
and restore what the model changed; the verdicts are saved as the last revision.
"""

from __future__ import annotations

from coauthor.pipeline.context import Context
from coauthor.pipeline.edit import EditError, replace_step
from coauthor.pipeline.repair import repair
from coauthor.pipeline.verify import Checker
from coauthor.schemas import Step, Task
from coauthor.store import RevisionInfo, Store


def recheck(
    store: Store,
    task_id: int,
    *,
    checker: Checker,
    steps: list[int] | None = None,
    ctx: Context | None = None,
    rounds: int = 0,
    base_revision: int | None = None,
) -> RevisionInfo:
    """Verify ``steps`` (1-based; default all) of the task's head revision.

    With ``ctx`` and ``rounds`` > 0, a failing step goes to the model for up to
    ``rounds`` repairs, each saved as a revision with the reason.
    """
    head = store.revision(task_id, base_revision)
    task = head.task
    numbers = steps or list(range(1, len(task.steps) + 1))
    for number in numbers:
        if not 1 <= number <= len(task.steps):
            raise EditError(f"the task has {len(task.steps)} steps; there is no step {number}")
    revision = head.number
    for number in numbers:
        task, revision = _check_step(
            store,
            task_id,
            task,
            number,
            checker=checker,
            ctx=ctx,
            rounds=rounds,
            revision=revision,
        )
    verified = sum(1 for n in numbers if (v := task.steps[n - 1].verdict) and v.verified)
    note = f"verified {verified} of {len(numbers)} steps ({', '.join(map(str, numbers))})"
    return store.add_revision(task_id, task, source="verify", note=note, base_revision=revision)


def _check_step(
    store: Store,
    task_id: int,
    task: Task,
    number: int,
    *,
    checker: Checker,
    ctx: Context | None,
    rounds: int,
    revision: int,
) -> tuple[Task, int]:
    step: Step = task.steps[number - 1]
    verdict = checker.verdict(step)
    repairs: list[str] = []
    while not verdict.verified and ctx is not None and len(repairs) < rounds:
        step, change = repair(ctx, step, verdict, number=number)
        repairs.append(f"round {len(repairs) + 1}: {change}")
        task = replace_step(task, number, step)
        saved = store.add_revision(
            task_id,
            task,
            source="repair",
            note=f"step {number}, {repairs[-1]}",
            base_revision=revision,
        )
        revision = saved.number
        verdict = checker.verdict(step)
    verdict = verdict.model_copy(update={"repair_rounds": len(repairs), "repairs": repairs})
    return replace_step(task, number, step.model_copy(update={"verdict": verdict})), revision
